/**
 * Which failures are the network's, and which of those happened before a request could have
 * reached the server. Only `fetch()` itself and a body read are ever judged here: an error thrown
 * by a caller's callback is the caller's and passes through untouched.
 */
import { ChatGPTError } from '../errors.js'
import { oneLine } from './redact.js'

/**
 * What `fetch` implementations reject with when the network fails: always a `TypeError`, with
 * one of these messages (as `is-network-error` lists them).
 */
const NETWORK_ERROR_MESSAGES = new Set([
  'fetch failed', // undici (Node.js)
  'terminated', // undici, a body read cut short
  'Failed to fetch', // Chromium
  'network error', // Chromium, a body read
  'NetworkError when attempting to fetch resource.', // Firefox
  'The Internet connection appears to be offline.', // Safari
  'Network request failed', // cross-fetch, React Native
  'Network connection lost', // Cloudflare Workers
  'A network error occurred.' // Bun
])

/** True when `error` is how a `fetch` reports a network failure (not an abort, not a bug). */
export function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'TypeError') return false
  const { message } = error
  return NETWORK_ERROR_MESSAGES.has(message) || message.startsWith('Load failed') // Safari
}

/**
 * Socket error codes of a connection that was never made: the request cannot have reached the
 * server, so even a POST may be sent again. A reset (`ECONNRESET`, "other side closed") is not
 * here: it can come after the server read the request.
 */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT'
])

/**
 * The low-level cause's `code`: undici puts it on `error.cause`; a redacted copy of the error
 * (`secrets.ts`) keeps it on itself.
 */
function causeCode(error: unknown): string | undefined {
  const failure = error as { code?: unknown; cause?: { code?: unknown; cause?: { code?: unknown } } }
  const cause = failure?.cause
  const code = failure?.code ?? cause?.code ?? cause?.cause?.code
  return typeof code === 'string' ? code : undefined
}

/** True for a network failure that happened before a connection existed. */
export function isConnectFailure(error: unknown): boolean {
  const code = causeCode(error)
  return code !== undefined && CONNECT_ERROR_CODES.has(code)
}

/**
 * A failed `fetch()` as a ChatGPTError `network`, naming the low-level cause, which stays its
 * `originalError` (so that {@link isNetworkError} and {@link isConnectFailure} can still be asked
 * of it: only those failures are retried). A `fetch` of the caller's may fail in its own words;
 * it is still the request that failed, and its message is redacted like any other.
 */
export function networkError(error: unknown, partialText?: string): ChatGPTError {
  const cause = (error as { cause?: { message?: unknown } })?.cause
  const detail = causeCode(error) ?? cause?.message ?? (error as Error)?.message ?? error
  // Cut to its final length only once redacted (`secrets.ts`): a cut here could halve a token.
  return new ChatGPTError(`ChatGPT request failed: ${oneLine(String(detail))}`, {
    code: 'network',
    originalError: error,
    partialText
  })
}
