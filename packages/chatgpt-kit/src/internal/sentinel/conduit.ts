/**
 * Step 6 of the 2026 send sequence (PROTOCOL-2026.md §5): `POST /f/conversation/prepare` with
 * `x-conduit-token: no-token` for the conduit token the send to `/f/conversation` must carry.
 * Where the server has no such endpoint (404) the turn goes to `/backend-api/conversation`.
 */
import type { ConversationJSONBody } from '../../types.js'
import { BOOTSTRAP_TTL_MS } from './bootstrap.js'
import { conduitPrepareBody } from './bodies-2026.js'
import { isMissingEndpoint, postJson, tokenFrom, type TurnContext } from './turn-context.js'

export const CONDUIT_PREPARE = '/f/conversation/prepare'

/**
 * The conduit token of the turn whose send body is `body`; `undefined` when the server lacks the
 * conduit endpoints (the turn then goes to the legacy send).
 *
 * @param sentinelHeaders - The turn's sentinel headers: S6 and S8 (2026) send them here too; S5
 *   and S9 (anonymous) do not. ⚠ Which the server wants is not known; sending them costs nothing,
 *   as the requirements are this turn's anyway.
 * @throws ChatGPTError as the request fails (`bad_request` for the server's 422 "Invalid conv…").
 */
export async function fetchConduitToken(
  context: TurnContext,
  body: ConversationJSONBody,
  sentinelHeaders: Record<string, string>
): Promise<string | undefined> {
  const { state, transport } = context
  if (state.missing.has('conduit')) return undefined
  let answer: Record<string, unknown>
  try {
    answer = await postJson(context, CONDUIT_PREPARE, conduitPrepareBody(body, state.profile), {
      idempotent: true,
      headers: { ...sentinelHeaders, 'x-conduit-token': 'no-token' }
    })
  } catch (error) {
    if (!isMissingEndpoint(error)) throw error
    state.missing.add('conduit')
    transport.log(`conduit: prepare answered 404; sending to /conversation for ${BOOTSTRAP_TTL_MS / 60_000} min`)
    return undefined
  }
  // S9 reads `token` when `conduit_token` is absent.
  const token = tokenFrom(context, answer.conduit_token ?? answer.token, 'conduit token')
  transport.log('conduit: token received')
  return token
}
