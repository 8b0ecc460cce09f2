import type { ServerResponse } from 'node:http'
import type { BackendContext, Exchange } from './context.js'
import { GENERIC_FAILURE, sendAnswerFault, type AnswerFault } from './faults.js'
import { parseCookies, sendJson } from './http-io.js'
import type { Fault, TestUser } from './types.js'

const SESSION_COOKIE = '__Secure-next-auth.session-token'
const SESSION_LIFETIME_MS = 30 * 24 * 3600 * 1000

/**
 * `GET /api/auth/session`: the session cookie buys an access token.
 *
 * An expired session answers `error: 'RefreshAccessTokenError'` *and* an `accessToken` that is
 * already expired, as the real server did (it returned the stale token it held). So a client
 * that checks `accessToken` first, as `chatgpt` 2.x did, still reaches the error and reports "session
 * token may have expired" instead of "Unauthorized".
 */
export async function handleSession(ctx: BackendContext, ex: Exchange): Promise<void> {
  const { req, res } = ex
  const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE)
  const found = ctx.accounts.lookupSession(token)
  const fault = ctx.faults.take('session', found.kind === 'unknown' ? undefined : found.user.id)
  if (fault) return sessionFault(ctx, res, fault, found.kind === 'unknown' ? undefined : found.user)

  if (found.kind === 'unknown') return sendJson(res, 200, {})
  const { user } = found
  if (found.kind === 'expired') {
    return sendJson(res, 200, {
      user,
      expires: new Date().toISOString(),
      accessToken: ctx.accounts.issueStaleAccessToken(user),
      error: 'RefreshAccessTokenError'
    })
  }
  const headers: Record<string, string> = {}
  if (ctx.rotateSessionTokens) {
    const next = ctx.accounts.issueSessionToken(user.id)
    const expires = new Date(Date.now() + SESSION_LIFETIME_MS).toUTCString()
    headers['set-cookie'] = `${SESSION_COOKIE}=${next}; Path=/; Expires=${expires}; HttpOnly; Secure; SameSite=Lax`
  }
  sendJson(res, 200, sessionBody(ctx, user), headers)
}

function sessionBody(ctx: BackendContext, user: TestUser) {
  return {
    user,
    expires: new Date(Date.now() + SESSION_LIFETIME_MS).toISOString(),
    accessToken: ctx.accounts.issueAccessToken(user).token
  }
}

/** Stream faults have no stream here; each maps to the closest way a session answer breaks. */
async function sessionFault(
  ctx: BackendContext,
  res: ServerResponse,
  fault: Fault,
  user: TestUser | undefined
): Promise<void> {
  switch (fault.type) {
    case 'stall':
      await new Promise((resolve) => res.once('close', resolve))
      return
    case 'reset':
      res.socket?.destroy()
      return
    case 'cut': {
      const json = JSON.stringify({ user: user ?? null, expires: new Date().toISOString() })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(json.slice(0, Math.floor(json.length / 2)))
      return
    }
    case 'stream-error':
      return sendJson(res, 200, {
        // A token rides along for the same reason as with an expired session.
        ...(user && { user, expires: new Date().toISOString(), accessToken: ctx.accounts.issueStaleAccessToken(user) }),
        error: fault.error ?? GENERIC_FAILURE
      })
    case 'detail-event':
      return sendJson(res, 200, { detail: fault.detail ?? GENERIC_FAILURE })
    default:
      return sendAnswerFault(res, fault as AnswerFault, 'session')
  }
}
