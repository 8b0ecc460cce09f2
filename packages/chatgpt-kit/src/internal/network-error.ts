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
 * (`secrets.ts`) keeps it on itself; a failed dual-stack connect may wrap several in an
 * `AggregateError`.
 */
function causeCode(error: unknown): string | undefined {
  const failure = error as { code?: unknown; cause?: { code?: unknown; cause?: { code?: unknown }; errors?: unknown } }
  const cause = failure?.cause
  const first = Array.isArray(cause?.errors) ? (cause.errors[0] as { code?: unknown } | undefined) : undefined
  const code = failure?.code ?? cause?.code ?? cause?.cause?.code ?? first?.code
  return typeof code === 'string' ? code : undefined
}

/** True for a network failure that happened before a connection existed. */
export function isConnectFailure(error: unknown): boolean {
  const code = causeCode(error)
  return code !== undefined && CONNECT_ERROR_CODES.has(code)
}

/** `host:port` of a URL, with the scheme's default port spelled out; never its path or query. */
export function hostOf(url: string): string | undefined {
  try {
    const { protocol, hostname, port } = new URL(url)
    return `${hostname}:${port || (protocol === 'https:' ? '443' : '80')}`
  } catch {
    return undefined
  }
}

// Node's and OpenSSL's names for a failed handshake or a certificate it would not trust.
const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|EPROTO$)/

/**
 * What happened, in words, with what to do about it: `where` names the host, `code`
 * the low-level cause. An unknown code still names both.
 */
export function describeNetworkFailure(code: string | undefined, where: string, causeMessage: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where} (ECONNREFUSED): nothing listens there; check the base URL and that the server is up`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return `DNS lookup failed for ${where} (${code}): check the host name in the base URL, and your network or DNS`
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connect timeout: ${where} did not accept a connection in time (${code}); check your network, firewall or proxy`
    case 'ETIMEDOUT':
      return `the connection to ${where} timed out (ETIMEDOUT); check your network, firewall or proxy`
    case 'ECONNRESET':
      return `the connection to ${where} was reset (ECONNRESET) by the server or something in between; try again`
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return `socket closed: ${where} closed the connection (${code}) before the answer was complete; try again`
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `${where} stopped answering (${code}); try again`
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return `${where} is unreachable (${code}): check your network`
  }
  if (code && TLS_CODE.test(code)) {
    // OpenSSL's own messages are "809C…:error:0A00010B:SSL routines:…": its code says it better.
    const reason = code.startsWith('ERR_SSL_') ? code.slice(8).toLowerCase().replace(/_/g, ' ') : causeMessage
    return `TLS failure with ${where} (${code}${reason ? `: ${oneLine(reason)}` : ''}): check http vs https in the base URL, the proxy, or the certificates this machine trusts`
  }
  // undici's only word for the Fetch standard's blocked ports (9, 25, 6000, …), with no code.
  if (causeMessage === 'bad port') {
    return `fetch refuses to connect to ${where}: a port the Fetch standard blocks ("bad port"); use another port`
  }
  const said = causeMessage ? oneLine(causeMessage) : ''
  const detail = code && said ? `${code}: ${said}` : code || said || 'no reason given'
  return `network error talking to ${where} (${detail})`
}

/**
 * A failed `fetch()` or body read as a ChatGPTError `network`, naming the host (`url`: never its
 * path or query) and the low-level cause in words. The cause stays its `originalError` (so that
 * {@link isNetworkError} and {@link isConnectFailure} can still be asked of it: only those
 * failures are retried). A `fetch` of the caller's may fail in its own words; it is still the
 * request that failed, and its message is redacted like any other.
 */
export function networkError(error: unknown, url?: string, partialText?: string): ChatGPTError {
  const cause = (error as { cause?: { message?: unknown } })?.cause
  const causeMessage = String(cause?.message ?? (error as Error)?.message ?? error)
  const host = url === undefined ? undefined : hostOf(url)
  // Cut to its final length only once redacted (`secrets.ts`): a cut here could halve a token.
  return new ChatGPTError(
    `ChatGPT request failed: ${oneLine(describeNetworkFailure(causeCode(error), host ?? 'the server', causeMessage))}`,
    { code: 'network', originalError: error, partialText }
  )
}
