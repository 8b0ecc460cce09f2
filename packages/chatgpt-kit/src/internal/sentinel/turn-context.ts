/**
 * What every request of one 2026 turn shares (the call, its retries, one re-authentication for
 * the whole turn), and the JSON POST the sentinel and conduit steps make with it.
 */
import { ChatGPTError } from '../../errors.js'
import type { AuthSource } from '../auth-source.js'
import { backendCall, type ReauthBudget } from '../backend-call.js'
import type { CallSignal } from '../call-signal.js'
import { jsonAnswer } from '../response-handlers.js'
import type { Transport } from '../transport.js'
import type { Protocol2026State } from './protocol-2026-state.js'

export type TurnContext = {
  transport: Transport
  auth: AuthSource
  backendApiBaseUrl: string
  call: CallSignal
  maxRetries: number
  /** One re-authentication after a 401 for the whole turn, whichever step meets it. */
  reauth: ReauthBudget
  state: Protocol2026State
}

/**
 * `POST {backendApiBaseUrl}{path}` with a JSON body, for its JSON answer (an object).
 *
 * @param idempotent - Whether sending it twice is harmless (a prepare is; a finalize uses its
 *   prepare token up, so it is retried only when it cannot have arrived).
 * @throws ChatGPTError as the request fails; `invalid_response` when the answer is not an object.
 */
export async function postJson(
  context: TurnContext,
  path: string,
  body: unknown,
  options: { idempotent: boolean; headers?: Record<string, string> }
): Promise<Record<string, unknown>> {
  const { value } = await backendCall(
    context.transport,
    context.auth,
    {
      method: 'POST',
      url: `${context.backendApiBaseUrl}${path}`,
      baseUrl: context.backendApiBaseUrl,
      body,
      headers: options.headers,
      call: context.call,
      maxRetries: context.maxRetries,
      idempotent: options.idempotent,
      reauth: context.reauth
    },
    jsonAnswer
  )
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new ChatGPTError(`ChatGPT answered POST ${path} with JSON that is not an object`, { code: 'invalid_response' })
  }
  return value as Record<string, unknown>
}

/** Whether `error` is a plain 404: the endpoint is not there (the cue for a fallback). */
export function isMissingEndpoint(error: unknown): boolean {
  return error instanceof ChatGPTError && error.code === 'not_found' && error.statusCode === 404
}

// What a token must be to go into a header: visible ASCII, no separators a header could split on.
const HEADER_TOKEN = /^[\x21-\x7e]{1,65536}$/

/**
 * `value` as a token to send back, kept as a secret from now on.
 * @throws ChatGPTError `invalid_response` naming `what` when it is missing or cannot go into a header.
 */
export function tokenFrom(context: TurnContext, value: unknown, what: string): string {
  if (typeof value !== 'string' || !HEADER_TOKEN.test(value)) {
    throw new ChatGPTError(`ChatGPT sent no usable ${what} (a string that can go into a header)`, {
      code: 'invalid_response'
    })
  }
  context.state.secrets.addTurnToken(value)
  return value
}
