import { peekUserId } from './access.js'
import type { BackendContext, Exchange } from './context.js'
import { sendAnswerFault } from './faults.js'
import { isObject, sendJson } from './http-io.js'
import { deviceIdOf, headerOf, requireUser2026 } from './sentinel-answers.js'

/**
 * `POST /backend-api/f/conversation/prepare` in 2026 mode (PROTOCOL-2026.md §5): a conduit
 * token for the send that follows, `{status: 'ok', conduit_token}`.
 *
 * The body must look like a turn (`action` and `parent_message_id`); `{}` gets 422
 * `{detail: 'Invalid conversation request'}` (the live text is only known to start "Invalid
 * conv…", S11). The sentinel headers some clients send here are not checked, nor is
 * `x-conduit-token: no-token`: the sources show clients sending it, not what happens without it.
 * Both are recorded ({@link TestBackend.conduitTokens}, {@link TestBackend.requests}).
 */
export function handleConduitPrepare(ctx: BackendContext, ex: Exchange): void {
  const { req, res } = ex
  const fault = ctx.faults.takeAnswer('conduit', peekUserId(ctx.accounts, req))
  if (fault) return sendAnswerFault(res, fault, 'conduit')
  const user = requireUser2026(ctx.accounts, req, res)
  if (!user) return
  const body = ex.body.kind === 'json' ? ex.body.value : undefined
  const looksLikeTurn =
    isObject(body) &&
    (body.action === 'next' || body.action === 'variant' || body.action === 'continue') &&
    typeof body.parent_message_id === 'string'
  if (!looksLikeTurn) return sendJson(res, 422, { detail: 'Invalid conversation request' })
  const token = ctx.protocol2026.conduits.issue({
    userId: user.id,
    deviceId: deviceIdOf(req),
    sentConduitHeader: headerOf(req, 'x-conduit-token')
  })
  sendJson(res, 200, { status: 'ok', conduit_token: token })
}
