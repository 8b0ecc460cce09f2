/**
 * One round of a reply in protocol '2026' (PROTOCOL-2026.md §14): the site's page, fresh sentinel
 * requirements (proof of work, turnstile), a conduit token, then the send, read like any reply
 * stream. Requirements serve one send, so every try of the round runs the whole sequence again;
 * a reply that started streaming is never sent again (its errors end the call).
 *
 * Tries again, each time from the start:
 * - once after a 401 anywhere in the turn, with a fresh access token (one re-auth per round);
 * - once after a bare 403 on the send (the proof refused, §13, S8 1.8.4), with the page reloaded;
 * - when `/f/conversation` answers 404: on the legacy `/conversation`;
 * - as the POST rule of `retry.ts` allows (a 429, a connection never made).
 * A 403 "Unusual activity" (`bot_detected`) is never tried again: the sources say not to loop.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationJSONBody } from '../types.js'
import { backoffBeforeRetry } from './backoff.js'
import { isEmptyAnswer } from './http-error.js'
import type { ReplyState } from './reply.js'
import { readReplyStream } from './reply-stream.js'
import { eventStream } from './response-handlers.js'
import type { SendContext } from './send.js'
import { sendBody2026 } from './sentinel/bodies-2026.js'
import { turnConfig } from './sentinel/browser-profile.js'
import { fetchRequirements, type Requirements } from './sentinel/chat-requirements.js'
import { fetchConduitToken } from './sentinel/conduit.js'
import type { Protocol2026State } from './sentinel/protocol-2026-state.js'
import { isMissingEndpoint, type TurnContext } from './sentinel/turn-context.js'
import { withModel } from './with-model.js'

const CONDUIT_SEND = '/f/conversation'
const LEGACY_SEND = '/conversation'

/** A send ready to go: where, with which headers, and its body. */
type PreparedSend = { path: string; headers: Record<string, string>; body: Record<string, unknown> }

export async function sendRound2026(
  context: SendContext,
  state: Protocol2026State,
  body: ConversationJSONBody
): Promise<ReplyState> {
  const { call, transport, auth, backendApiBaseUrl } = context
  const turn: TurnContext = {
    transport,
    auth,
    backendApiBaseUrl,
    call,
    maxRetries: context.maxRetries,
    reauth: { used: false },
    state
  }
  let pageReloaded = false
  for (let retries = 0, attempt = 1; ; attempt++) {
    const send = await prepareSend(turn, body)
    const what = `POST ${new URL(`${backendApiBaseUrl}${send.path}`).pathname}`
    const accessToken = await auth.accessToken(call.signal)
    let stream
    try {
      stream = await withModel(body.model, () =>
        transport.request(
          {
            method: 'POST',
            url: `${backendApiBaseUrl}${send.path}`,
            baseUrl: { name: 'backendApiBaseUrl', url: backendApiBaseUrl },
            body: send.body,
            headers: send.headers,
            accessToken,
            signal: call.signal,
            attempt,
            onAlive: () => call.touch()
          },
          eventStream
        )
      )
    } catch (error) {
      if (call.aborted) throw call.reason
      if (!(error instanceof ChatGPTError)) throw error
      if (error.code === 'token_expired' && !turn.reauth.used) {
        turn.reauth.used = true
        transport.log(`${what}: access token refused (${error.statusCode}); ${auth.canRefresh ? 're-auth and the turn again' : 'it cannot be refreshed'}`)
        auth.invalidate(accessToken, error)
        continue
      }
      if (error.statusCode === 403 && isEmptyAnswer(error) && !pageReloaded) {
        pageReloaded = true
        state.bootstrap.invalidate()
        transport.log(`${what}: bare 403 (the proof was refused); the page again and the turn once more`)
        continue
      }
      if (send.path === CONDUIT_SEND && isMissingEndpoint(error)) {
        state.missing.add('conduit')
        transport.log(`${what}: 404; the turn again through ${LEGACY_SEND}`)
        continue
      }
      const backoff = { what, maxRetries: context.maxRetries, idempotent: false, log: (line: string) => transport.log(line), call }
      if (!(await backoffBeforeRetry(backoff, error, retries))) throw error
      retries++
      continue
    }
    // From here the reply has started: it is read to its end or fails, never sent again.
    return readReplyStream(stream, {
      onText: context.onText,
      onConversationResponse: context.onConversationResponse
    })
  }
}

/** Steps 1–6 of §14 for `body`: the page, the requirements, the conduit token. */
async function prepareSend(turn: TurnContext, body: ConversationJSONBody): Promise<PreparedSend> {
  const { state, call } = turn
  const page = await state.bootstrap.get(call)
  const started = performance.now()
  const config = turnConfig(state.profile, page, state.sdkUrl)
  const requirements = await fetchRequirements(turn, config, performance.now() - started)
  const sentinel = sentinelHeaders(requirements)
  const conduitToken = await fetchConduitToken(turn, body, sentinel)
  const viaConduit = conduitToken !== undefined
  return {
    path: viaConduit ? CONDUIT_SEND : LEGACY_SEND,
    headers: viaConduit ? { ...sentinel, 'x-conduit-token': conduitToken } : sentinel,
    body: sendBody2026(body, state.profile, viaConduit)
  }
}

/** The headers that hand the sentinel's requirements to the send (§3.3). */
function sentinelHeaders(requirements: Requirements): Record<string, string> {
  const headers: Record<string, string> = {
    'openai-sentinel-chat-requirements-token': requirements.token
  }
  if (requirements.proof !== undefined) headers['openai-sentinel-proof-token'] = requirements.proof
  if (requirements.turnstile !== undefined) headers['openai-sentinel-turnstile-token'] = requirements.turnstile
  if (requirements.soToken !== undefined) headers['openai-sentinel-so-token'] = requirements.soToken
  return headers
}
