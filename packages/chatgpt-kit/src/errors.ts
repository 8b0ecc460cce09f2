/**
 * The one error class of the library and its codes. How an HTTP answer becomes one is decided in
 * `internal/http-error.ts` (status → code), how a failed `fetch` does in
 * `internal/network-error.ts`, and every error is redacted on its way out by
 * `internal/secrets.ts`.
 */

/**
 * What went wrong, for callers that branch on it. Stable across releases.
 *
 * - `unauthorized` — the session token is invalid (or the server refused it).
 * - `session_expired` — the session token expired; sign in again for a new one.
 * - `token_expired` — the access token expired or was rejected (401 on a backend call). A client
 *   made with `ChatGPTAPI.fromAccessToken` has nothing to refresh it with: from then on each call
 *   fails with this code, without a request; sign in again for a new token.
 * - `cloudflare_challenge` — Cloudflare answered with a challenge: the clearance token is
 *   missing, stale, or was issued to another IP or User-Agent.
 * - `bot_detected` — 403 "Unusual activity has been detected from your device" without a Cloudflare
 *   challenge: the server's own bot checks (sentinel, proof of work, turnstile) refused the device
 *   or IP. Not fixed by a clearance token; retrying at once does not help.
 * - `rate_limited` — 429: too many requests, or one message already in flight on this account; with
 *   a model's cap (`model_cap_exceeded`), `model` names the model and `retryAfterMs` when it clears.
 * - `conversation_not_found` — unknown or deleted conversation (404).
 * - `not_found` — any other 404 (a bare one, as a wrong base URL gets, names the base URL option
 *   to check), or a model slug the server does not offer (`model_not_found`).
 * - `message_too_long` — the prompt is over the server's limit (413).
 * - `context_length_exceeded` — the Chat Completions API (or `ChatGPTCompletionsAPI` before
 *   sending) found the messages longer than the model's context window.
 * - `bad_request` — the server refused the request as malformed (400, 422).
 * - `forbidden` — 403 that is not a Cloudflare challenge; on the Chat Completions API also a quota
 *   that ran out (429 `insufficient_quota`), which no retry cures.
 * - `server_error` — 5xx.
 * - `http_error` — any other unexpected HTTP status.
 * - `network` — the connection failed or was reset; the message names the host (`host:port`)
 *   and the cause: connection refused, DNS lookup failed, TLS failure, timeout, reset, closed.
 * - `timeout` — `timeoutMs` elapsed.
 * - `aborted` — a reply stream was aborted without a reason of the caller's own (its loop was
 *   left early, `abort()` was called, or its `ReadableStream` was cancelled), or the account
 *   pool was closed while the call waited for an account.
 * - `stream_incomplete` — the reply stream ended before the reply had finished; `partialText`
 *   holds what had arrived.
 * - `stream_error` — the server reported an error inside the reply stream.
 * - `invalid_response` — the server sent something that is not what the protocol promises
 *   (an HTML page or JSON where a stream was expected, an oversized event, garbage).
 * - `queue_full` — too many calls waiting for their turn on this account (or in the pool).
 * - `store_unavailable` — the conversation store or the pool's coordinator (the shared state of
 *   accounts: leases, cool-downs) could not be reached or failed, or was closed. Nothing is
 *   sent while it is down; try again when it is back.
 * - `invalid_argument` — the caller passed something unusable (nothing was sent), or consumed a
 *   stream twice.
 */
export const CHATGPT_ERROR_CODES = [
  'unauthorized',
  'session_expired',
  'token_expired',
  'cloudflare_challenge',
  'bot_detected',
  'rate_limited',
  'conversation_not_found',
  'not_found',
  'message_too_long',
  'context_length_exceeded',
  'bad_request',
  'forbidden',
  'server_error',
  'http_error',
  'network',
  'timeout',
  'aborted',
  'stream_incomplete',
  'stream_error',
  'invalid_response',
  'queue_full',
  'store_unavailable',
  'invalid_argument'
] as const

/** One of {@link CHATGPT_ERROR_CODES}. */
export type ChatGPTErrorCode = (typeof CHATGPT_ERROR_CODES)[number]

/** Everything a {@link ChatGPTError} can be built with besides its message. */
export type ChatGPTErrorOptions = {
  code: ChatGPTErrorCode
  statusCode?: number
  statusText?: string
  response?: Response
  originalError?: unknown
  partialText?: string
  retryAfterMs?: number
  model?: string
}

/**
 * The error every call of this library rejects with (except an abort, which rejects with the
 * signal's own reason).
 *
 * Messages are short and human and never contain a token, a cookie or a raw HTML page.
 *
 * @example
 * ```ts
 * try {
 *   await api.sendMessage('Hello')
 * } catch (err) {
 *   if (err instanceof ChatGPTError && err.code === 'cloudflare_challenge') {
 *     // ask the user for a fresh clearance token
 *   }
 * }
 * ```
 */
export class ChatGPTError extends Error {
  /** Machine-readable cause; see {@link ChatGPTErrorCode}. */
  code: ChatGPTErrorCode
  /** HTTP status of the answer that failed, when there was one. */
  statusCode?: number
  /** HTTP status text of the answer that failed, when there was one. */
  statusText?: string
  /**
   * The HTTP answer that failed, when there was one: its status, status text and headers (no
   * body, which has been read), with cookies left out and secrets redacted. Not enumerable, so
   * that `util.inspect` and loggers that walk an error's fields do not print its headers.
   */
  declare response?: Response
  /** The lower-level error this one wraps (a network error, a parse error, …). */
  originalError?: Error
  /**
   * With `stream_incomplete`, `stream_error`, `network` and `timeout`: the reply text that had
   * arrived, as the caller saw it (plain text with `markdown: false`).
   */
  partialText?: string
  /** How long the server asked us to wait, in milliseconds, when it said (429, 503, …). */
  retryAfterMs?: number
  /** With `rate_limited`: the model of the message that was refused (a cap is per model). */
  model?: string

  constructor(message: string, options: ChatGPTErrorOptions = { code: 'http_error' }) {
    super(message)
    this.name = 'ChatGPTError'
    this.code = options.code
    this.statusCode = options.statusCode
    this.statusText = options.statusText
    Object.defineProperty(this, 'response', {
      value: options.response,
      enumerable: false,
      writable: true,
      configurable: true
    })
    if (options.originalError !== undefined) {
      this.originalError =
        options.originalError instanceof Error
          ? options.originalError
          : new Error(String(options.originalError))
    }
    this.partialText = options.partialText
    this.retryAfterMs = options.retryAfterMs
    if (options.model !== undefined) this.model = options.model
  }

  /**
   * What `JSON.stringify(error)` shows: the fields a log wants, without the `Response` object
   * (whose headers a logger could otherwise dump).
   */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      statusCode: this.statusCode,
      statusText: this.statusText,
      partialText: this.partialText,
      retryAfterMs: this.retryAfterMs,
      model: this.model,
      originalError: this.originalError?.message
    }
  }
}
