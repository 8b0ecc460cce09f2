/**
 * Session token → access token (PROTOCOL.md §1): one `GET /auth/session`, and every way it
 * can fail turned into a ChatGPTError whose message starts "ChatGPT failed to refresh auth token."
 */
import { ChatGPTError, type ChatGPTErrorCode } from '../errors.js'
import type { SessionResult, User } from '../types.js'
import { errorFromResponse } from './http-error.js'
import { readBodyText } from './read-body.js'
import { sanitizeServerText } from './redact.js'
import {
  CLEARANCE_COOKIE,
  SESSION_COOKIE,
  browserHeaders,
  cookieHeader,
  rotatedSessionToken
} from './transport.js'

export const AUTH_FAILED_PREFIX = 'ChatGPT failed to refresh auth token.'

/** How long we wait for `/auth/session`: it is shared by every caller, so it must not hang. */
export const SESSION_REQUEST_TIMEOUT_MS = 30_000

export type SessionRequest = {
  apiBaseUrl: string
  sessionToken: string
  clearanceToken?: string
  userAgent: string
  fetch: typeof fetch
  /** Removes secrets from server-provided text. */
  clean: (text: string) => string
}

export type Session = {
  accessToken: string
  user?: User
  /** A new session token from `Set-Cookie`, when the server rotated it. */
  rotatedSessionToken?: string
}

function authError(
  reason: string,
  code: ChatGPTErrorCode,
  response?: Response,
  originalError?: unknown
): ChatGPTError {
  return new ChatGPTError(`${AUTH_FAILED_PREFIX} ${reason}`, {
    code,
    response,
    statusCode: response?.status,
    statusText: response?.statusText,
    originalError
  })
}

export async function requestSession(request: SessionRequest): Promise<Session> {
  let response: Response
  try {
    response = await request.fetch(`${request.apiBaseUrl}/auth/session`, {
      headers: {
        ...browserHeaders(request.userAgent),
        cookie: cookieHeader({
          [CLEARANCE_COOKIE]: request.clearanceToken,
          [SESSION_COOKIE]: request.sessionToken
        })
      },
      signal: AbortSignal.timeout(SESSION_REQUEST_TIMEOUT_MS)
    })
  } catch (error) {
    if ((error as Error)?.name === 'TimeoutError') {
      const seconds = SESSION_REQUEST_TIMEOUT_MS / 1000
      throw authError(`The session endpoint did not answer within ${seconds} s.`, 'timeout', undefined, error)
    }
    throw authError(`Network error: ${sanitizeServerText(String((error as Error)?.message ?? error))}`, 'network', undefined, error)
  }

  const { text } = await readBodyText(response).catch((error: unknown) => {
    throw authError('The connection was lost while reading the session.', 'network', response, error)
  })
  if (!response.ok) {
    const cause = errorFromResponse(response, text, request.clean)
    if (cause.code === 'cloudflare_challenge') throw authError(cause.message, cause.code, response, cause)
    // On this endpoint a 401 or 403 refuses the session itself, not an access token.
    const code = cause.code === 'token_expired' || cause.code === 'forbidden' ? 'unauthorized' : cause.code
    throw authError(`HTTP ${response.status} ${response.statusText}`.trim(), code, response, cause)
  }

  let session: Partial<SessionResult>
  try {
    session = JSON.parse(text) ?? {}
  } catch (error) {
    throw authError('The session endpoint did not answer with JSON.', 'invalid_response', response, error)
  }
  if (typeof session !== 'object') {
    throw authError('The session endpoint did not answer with a session object.', 'invalid_response', response)
  }

  // The error field is checked before the token: an expired session may still carry a stale token.
  if (session.error === 'RefreshAccessTokenError') {
    throw authError('session token may have expired', 'session_expired', response)
  }
  if (session.error) {
    throw authError(request.clean(sanitizeServerText(String(session.error))), 'unauthorized', response)
  }
  if (typeof session.accessToken !== 'string' || !session.accessToken) {
    throw authError('Unauthorized', 'unauthorized', response)
  }
  return {
    accessToken: session.accessToken,
    user: session.user && typeof session.user === 'object' ? session.user : undefined,
    rotatedSessionToken: rotatedSessionToken(response.headers)
  }
}
