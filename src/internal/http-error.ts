/**
 * Turning a failed HTTP answer into a ChatGPTError (PROTOCOL.md §3): the right code, the
 * server's own `detail` as the message, and never the raw body when it is HTML.
 */
import { ChatGPTError, type ChatGPTErrorCode } from '../errors.js'
import { CLOUDFLARE_CHALLENGE_MESSAGE, isCloudflareChallenge } from './cloudflare.js'
import { sanitizeServerText } from './redact.js'
import { retryAfterMs } from './retry-after.js'

/** What the server said went wrong, pulled out of a JSON error body. */
export type ServerDetail = { message?: string; code?: string; raw?: unknown }

/**
 * Reads `detail` (a string or `{message, code}`), or failing that `error`, out of a parsed body.
 * The 2023+ stream and the error bodies both use these two spellings.
 */
export function detailOf(body: unknown): ServerDetail | undefined {
  if (!body || typeof body !== 'object') return undefined
  const record = body as Record<string, unknown>
  const raw = record.detail ?? record.error
  if (raw === undefined || raw === null) return undefined
  if (typeof raw === 'string') return { message: raw, raw }
  if (typeof raw === 'object') {
    const { message, code } = raw as Record<string, unknown>
    return {
      message: typeof message === 'string' ? message : undefined,
      code: typeof code === 'string' ? code : undefined,
      raw
    }
  }
  return { message: String(raw), raw }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function codeFor(status: number, detail: ServerDetail | undefined): ChatGPTErrorCode {
  if (detail?.code === 'conversation_not_found') return 'conversation_not_found'
  if (detail?.code === 'message_length_exceeds_limit') return 'message_too_long'
  switch (status) {
    case 400:
    case 422:
      return 'bad_request'
    case 401:
      return 'token_expired'
    case 403:
      return 'forbidden'
    case 404:
      return /conversation not found/i.test(detail?.message ?? '')
        ? 'conversation_not_found'
        : 'not_found'
    case 413:
      return 'message_too_long'
    case 429:
      return 'rate_limited'
    default:
      return status >= 500 ? 'server_error' : 'http_error'
  }
}

/**
 * The error for a non-2xx answer (or a 2xx that is an error page), given the body text read
 * with a bound. `clean` must redact secrets from server text.
 */
export function errorFromResponse(
  response: Response,
  bodyText: string,
  clean: (text: string) => string
): ChatGPTError {
  const base = {
    statusCode: response.status,
    statusText: response.statusText,
    response
  }
  if (isCloudflareChallenge(response, bodyText)) {
    return new ChatGPTError(CLOUDFLARE_CHALLENGE_MESSAGE, { ...base, code: 'cloudflare_challenge' })
  }

  const detail = detailOf(parseJson(bodyText))
  const code = codeFor(response.status, detail)
  const said = detail?.message ? clean(sanitizeServerText(detail.message)) : ''
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`
  return new ChatGPTError(said ? `ChatGPT error ${response.status}: ${said}` : `ChatGPT error ${status}`, {
    ...base,
    code,
    retryAfterMs: code === 'rate_limited' ? retryAfterMs(response.headers, detail?.raw) : undefined
  })
}
