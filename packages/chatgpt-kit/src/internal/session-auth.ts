/**
 * Session token → access token: one `GET /auth/session`, and every way it can
 * fail turned into a ChatGPTError whose message starts "ChatGPT failed to refresh auth token."
 */
import { ChatGPTError, type ChatGPTErrorCode } from '../errors.js'
import type { SessionResult, User } from '../types.js'
import { rotatedSessionToken } from './browser-headers.js'
import { isAccountId } from './jwt-claims.js'
import { oneLine } from './redact.js'
import { jsonAnswer } from './response-handlers.js'
import type { Transport } from './transport.js'

export const AUTH_FAILED_PREFIX = 'ChatGPT failed to refresh auth token.'

/** How long one try at `/auth/session` may take: it is shared by every caller, so it must not hang. */
export const SESSION_REQUEST_TIMEOUT_MS = 30_000

// What an access token may hold: it goes into a header as is.
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/

export type Session = {
  accessToken: string
  user?: User
  /**
   * `account.id` of the answer (2025–26 sessions): the workspace the access token acts for, sent
   * as `ChatGPT-Account-Id` in protocol '2026' (PROTOCOL-2026.md §11.1).
   */
  accountId?: string
  /** A new session token from `Set-Cookie`, when the server rotated it. */
  rotatedSessionToken?: string
  /** Its cookie chunks (`.0`, `.1`, …), or the token alone when it came whole. */
  rotatedSessionParts?: string[]
}

function authError(reason: string, code: ChatGPTErrorCode, cause?: unknown, answered?: Response): ChatGPTError {
  const from = cause instanceof ChatGPTError ? cause : undefined
  return new ChatGPTError(`${AUTH_FAILED_PREFIX} ${reason}`, {
    code,
    statusCode: from?.statusCode ?? answered?.status,
    statusText: from?.statusText,
    response: from?.response,
    retryAfterMs: from?.retryAfterMs,
    originalError: cause
  })
}

/** The failure of the request itself, in the words of this endpoint. */
function requestFailure(error: unknown, timedOut: boolean): unknown {
  if (timedOut) {
    const seconds = SESSION_REQUEST_TIMEOUT_MS / 1000
    return authError(`The session endpoint did not answer within ${seconds} s.`, 'timeout', error)
  }
  if (!(error instanceof ChatGPTError)) return error
  // The fetch failure itself stays the cause: the retry policy asks it what kind it was.
  if (error.code === 'network') return authError(error.message.replace(/^ChatGPT request failed/, 'Network error'), 'network', error.originalError)
  if (error.code === 'cloudflare_challenge' || error.code === 'invalid_response') return authError(error.message, error.code, error)
  // A bare 404 carries the hint to check apiBaseUrl (`http-error.ts`); the message keeps it.
  if (error.code === 'not_found') return authError(error.message.replace(/^ChatGPT error /, 'HTTP '), 'not_found', error)
  // On this endpoint a 401 or 403 refuses the session itself, not an access token.
  const code = error.code === 'token_expired' || error.code === 'forbidden' ? 'unauthorized' : error.code
  const status = `HTTP ${error.statusCode ?? ''} ${error.statusText ?? ''}`.trim()
  return authError(status, code, error)
}

/**
 * One try at the session.
 *
 * @param signal - The caller's end of waiting (the shared refresh has none: it is bounded by
 *   {@link SESSION_REQUEST_TIMEOUT_MS} alone).
 */
export async function requestSession(
  transport: Transport,
  request: { apiBaseUrl: string; sessionToken: string; attempt: number }
): Promise<Session> {
  const signal = AbortSignal.timeout(SESSION_REQUEST_TIMEOUT_MS)
  let answer: { value: unknown; response: Response }
  try {
    answer = await transport.request(
      {
        method: 'GET',
        url: `${request.apiBaseUrl}/auth/session`,
        baseUrl: { name: 'apiBaseUrl', url: request.apiBaseUrl },
        sessionToken: request.sessionToken,
        signal,
        attempt: request.attempt
      },
      jsonAnswer
    )
  } catch (error) {
    throw requestFailure(error, signal.aborted)
  }

  const session = answer.value as Partial<SessionResult> | null
  const refused = (reason: string, code: ChatGPTErrorCode) => authError(reason, code, undefined, answer.response)
  if (typeof session !== 'object' || session === null || Array.isArray(session)) {
    throw refused('The session endpoint did not answer with a session object.', 'invalid_response')
  }
  // The error field is checked before the token: an expired session may still carry a stale token.
  if (session.error === 'RefreshAccessTokenError') throw refused('session token may have expired', 'session_expired')
  if (session.error) throw refused(oneLine(String(session.error)), 'unauthorized')
  if (typeof session.accessToken !== 'string' || !session.accessToken) throw refused('Unauthorized', 'unauthorized')
  if (!TOKEN_CHARACTERS.test(session.accessToken)) {
    throw refused('The session endpoint sent an access token that cannot go into a header.', 'invalid_response')
  }
  const rotated = rotatedSessionToken(answer.response.headers)
  return {
    accessToken: session.accessToken,
    user: session.user && typeof session.user === 'object' ? session.user : undefined,
    accountId: accountIdOf(session.account),
    rotatedSessionToken: rotated?.token,
    rotatedSessionParts: rotated?.parts
  }
}

/** `account.id` of a session answer, when it is an id that can go into a header. */
function accountIdOf(account: unknown): string | undefined {
  const id = account && typeof account === 'object' ? (account as { id?: unknown }).id : undefined
  return isAccountId(id) ? id : undefined
}
