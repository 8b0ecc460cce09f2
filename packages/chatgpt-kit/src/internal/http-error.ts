/**
 * The one mapping from an HTTP answer to a ChatGPTError: the right code, the
 * server's own `detail` as the message, the server's wait hint, and never the raw body when it
 * is HTML.
 */
import { ChatGPTError, type ChatGPTErrorCode } from '../errors.js'
import { CLOUDFLARE_CHALLENGE_MESSAGE, isCloudflareChallenge } from './cloudflare.js'
import { oneLine } from './redact.js'
import { responseHead } from './response-head.js'
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

/** `text` as JSON, or `undefined` when it is not. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function codeFor(status: number, detail: ServerDetail | undefined): ChatGPTErrorCode {
  if (detail?.code === 'conversation_not_found') return 'conversation_not_found'
  if (detail?.code === 'message_length_exceeds_limit') return 'message_too_long'
  // Whatever the status: an unknown model slug is a thing not found, not a malformed request.
  if (detail?.code === 'model_not_found') return 'not_found'
  switch (status) {
    case 400:
    case 422:
      return 'bad_request'
    case 401:
      return 'token_expired'
    case 403:
      // The server's own bot checks (Cloudflare challenges were told apart before this).
      return /unusual activity/i.test(detail?.message ?? '') ? 'bot_detected' : 'forbidden'
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
 * Errors made from an answer with an empty body. The 2026 send's proof refusal is a bare 403
 * (PROTOCOL-2026.md §13, S8 1.8.4), to be told apart from a 403 that says why; the error keeps no
 * body, and its public fields stay as they are, so the mark is kept here.
 */
const emptyAnswers = new WeakSet<ChatGPTError>()

/** Whether `error` was made from an answer whose body was empty (or only whitespace). */
export function isEmptyAnswer(error: unknown): boolean {
  return error instanceof ChatGPTError && emptyAnswers.has(error)
}

/** A copy of an answer's status and headers, without its body or any cookie. */
function withoutBody(response: Response): Response | undefined {
  return responseHead(response, response.statusText, (name, value) => (COOKIE_HEADERS.has(name) ? undefined : value))
}

// Headers that carry credentials: never kept on an error.
const COOKIE_HEADERS = new Set(['set-cookie', 'set-cookie2', 'cookie', 'authorization', 'proxy-authorization'])

/** The base URL option a request's URL was built from, for the hint on a bare 404. */
export type BaseUrlOption = { name: 'apiBaseUrl' | 'backendApiBaseUrl'; url: string }

/**
 * A 404 that says nothing but "not found" (an HTML page, an empty or generic body) is what a
 * wrong base URL gets; a real missing conversation or message names itself (`code`, message).
 */
function isBareNotFound(detail: ServerDetail | undefined): boolean {
  return !detail?.code && (!detail?.message || /^\s*not found\.?\s*$/i.test(detail.message))
}

/**
 * "http://host/base has no /endpoint; check apiBaseUrl …": the base as origin and path (never
 * its query), and the endpoint that was not there.
 */
export function baseUrlHint(base: BaseUrlOption, requestUrl: string): string {
  const withoutQuery = (text: string) => text.replace(/[?#].*$/s, '')
  let shown = withoutQuery(base.url)
  let endpoint = requestUrl.startsWith(base.url) ? requestUrl.slice(base.url.length) : withoutQuery(requestUrl)
  try {
    const { origin, pathname } = new URL(base.url)
    shown = `${origin}${pathname === '/' ? '' : pathname}`
  } catch {
    // Options are checked as URLs before any request; the text as given is still a fair hint.
  }
  endpoint = withoutQuery(endpoint) || '/'
  return `${oneLine(shown)} has no ${oneLine(endpoint)}; check ${base.name} (the server and the path)`
}

/**
 * The error for a non-2xx answer (or a 2xx that is an error page), given the body text read
 * with a bound. Secrets are redacted later, on the way out (`secrets.ts`); the answer kept on
 * the error has no body and no cookies.
 *
 * @param request - The request's URL and the base URL option it was built from: a bare 404
 *   then says which option to check.
 */
export function errorFromResponse(
  response: Response,
  bodyText: string,
  request?: { url: string; baseUrl?: BaseUrlOption }
): ChatGPTError {
  const base = {
    statusCode: response.status,
    // Not cut to its final length here: redaction (`secrets.ts`) cuts it after taking secrets out.
    statusText: oneLine(response.statusText),
    response: withoutBody(response)
  }
  if (isCloudflareChallenge(response, bodyText)) {
    return new ChatGPTError(CLOUDFLARE_CHALLENGE_MESSAGE, { ...base, code: 'cloudflare_challenge' })
  }

  const detail = detailOf(parseJson(bodyText))
  const code = codeFor(response.status, detail)
  const said = detail?.message ? oneLine(detail.message) : ''
  const status = `${response.status}${base.statusText ? ` ${base.statusText}` : ''}`
  const message =
    code === 'not_found' && request?.baseUrl && isBareNotFound(detail)
      ? `ChatGPT error ${status}: ${baseUrlHint(request.baseUrl, request.url)}`
      : said
        ? `ChatGPT error ${response.status}: ${said}`
        : `ChatGPT error ${status}`
  const error = new ChatGPTError(message, {
    ...base,
    code,
    // Any status may carry a hint (503 with Retry-After is a refusal to come back later).
    retryAfterMs: retryAfterMs(response.headers, detail?.raw)
  })
  if (bodyText.trim() === '') emptyAnswers.add(error)
  return error
}

/** An answer that is not what the request expects (`what`: "a reply stream", "JSON"). */
export function unexpectedAnswerError(
  response: Response,
  bodyText: string,
  what: string
): ChatGPTError {
  const contentType = response.headers.get('content-type') ?? ''
  if (contentType.includes('html') || /^\s*</.test(bodyText)) {
    const asError = errorFromResponse(response, bodyText)
    if (asError.code === 'cloudflare_challenge') return asError
    return new ChatGPTError(`ChatGPT answered with an HTML page instead of ${what}`, {
      code: 'invalid_response',
      statusCode: response.status,
      statusText: asError.statusText,
      response: asError.response
    })
  }
  const detail = detailOf(parseJson(bodyText))?.message
  const sent = contentType.includes('json') ? 'JSON' : contentType ? `"${oneLine(contentType)}"` : 'something'
  return new ChatGPTError(
    `ChatGPT answered with ${sent} instead of ${what}${detail ? `: ${oneLine(detail)}` : ''}`,
    { code: 'invalid_response', statusCode: response.status, response: withoutBody(response) }
  )
}
