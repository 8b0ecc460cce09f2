/**
 * Errors as the OpenAI API sends them (`{ error: { message, type, param, code } }`), and which
 * HTTP status each failure of the pool becomes. Clients (the official SDK above all) pick their
 * error class from the status, and retry on 429 and 5xx after `Retry-After`.
 */
import { ChatGPTError, type ChatGPTErrorCode } from 'chatgpt-kit'

/** An error answer of the gateway, before it is written. */
export type ApiError = {
  status: number
  message: string
  /** OpenAI's `type`: `invalid_request_error`, `authentication_error`, … */
  type: string
  param: string | null
  code: string | null
  /** Seconds, for the `Retry-After` header. */
  retryAfterSeconds?: number
}

export function apiError(status: number, message: string, fields: Partial<Omit<ApiError, 'status' | 'message'>> = {}): ApiError {
  return {
    status,
    message,
    type: fields.type ?? typeOfStatus(status),
    param: fields.param ?? null,
    code: fields.code ?? null,
    retryAfterSeconds: fields.retryAfterSeconds
  }
}

function typeOfStatus(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'invalid_request_error'
  if (status === 429) return 'rate_limit_error'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

/** The `Response` of an error: its JSON body, and `Retry-After` when there is a wait to tell. */
export function errorResponse(error: ApiError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds)
  return new Response(JSON.stringify(errorBody(error)), { status: error.status, headers })
}

/** The body of an error answer, also sent as the last event of a stream that fails mid-way. */
export function errorBody(error: ApiError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } }
}

/** How long a client should wait when every account was busy for the whole queue timeout. */
const BUSY_RETRY_AFTER_SECONDS = 5

/** What the client hears of a failure upstream. The message is the library's: it never holds a token. */
const STATUS_OF_CODE: Partial<Record<ChatGPTErrorCode, { status: number; code: string }>> = {
  rate_limited: { status: 429, code: 'rate_limit_exceeded' },
  queue_full: { status: 503, code: 'accounts_busy' },
  store_unavailable: { status: 503, code: 'store_unavailable' },
  session_expired: { status: 503, code: 'no_usable_account' },
  unauthorized: { status: 503, code: 'no_usable_account' },
  token_expired: { status: 503, code: 'no_usable_account' },
  timeout: { status: 504, code: 'upstream_timeout' },
  message_too_long: { status: 400, code: 'context_length_exceeded' },
  not_found: { status: 404, code: 'model_not_found' },
  invalid_argument: { status: 400, code: 'invalid_request' }
}

/**
 * The answer for a failed call to the pool: 429 / 503 / 504 / 400 / 404 as the table says, 502
 * for anything else that went wrong upstream (server errors, Cloudflare, a broken stream).
 */
export function upstreamError(error: unknown): ApiError {
  if (!(error instanceof ChatGPTError)) {
    return apiError(502, 'The upstream reply failed', { code: 'upstream_error' })
  }
  const known = STATUS_OF_CODE[error.code] ?? { status: 502, code: 'upstream_error' }
  const retryAfterSeconds =
    error.retryAfterMs !== undefined
      ? Math.max(1, Math.ceil(error.retryAfterMs / 1000))
      : error.code === 'queue_full'
        ? BUSY_RETRY_AFTER_SECONDS
        : undefined
  return apiError(known.status, error.message, { code: known.code, retryAfterSeconds })
}
