/**
 * The options of {@link ChatGPTAPI}: their defaults, in one place, and the checks that turn an
 * unusable value into an `invalid_argument` error before anything is sent.
 */
import { ChatGPTError } from './errors.js'
import { RETRY_DEFAULTS } from './internal/retry.js'
import {
  assertBaseUrl,
  assertCount,
  assertDuration,
  assertToken,
  validModel
} from './internal/validate.js'

/** The defaults of {@link ChatGPTAPI}'s options, in one place. */
export const CHATGPT_API_DEFAULTS = {
  accessTokenTTL: 60_000,
  apiBaseUrl: 'https://chat.openai.com/api',
  backendApiBaseUrl: 'https://chat.openai.com/backend-api',
  markdown: true,
  userAgent:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36',
  model: 'text-davinci-002-render',
  maxRetries: RETRY_DEFAULTS.maxRetries,
  maxQueueSize: 100,
  idleTimeoutMs: 120_000
} as const

/** Options of the {@link ChatGPTAPI} constructor. */
export type ChatGPTAPIOptions = {
  /**
   * **Required** OpenAI session token, the `__Secure-next-auth.session-token` cookie of a
   * signed-in browser session (see the README for how to find it).
   */
  sessionToken: string
  /** Cloudflare clearance token, the `cf_clearance` cookie of the same browser. */
  clearanceToken?: string
  /** An access token you already have; it is used until `accessTokenTTL` passes. */
  accessToken?: string
  /**
   * How long in milliseconds an access token is used before it is refreshed.
   * @defaultValue 60000 (60 seconds)
   */
  accessTokenTTL?: number
  /**
   * The base URL of the web app's API (`/api`).
   * @defaultValue `'https://chat.openai.com/api'`
   */
  apiBaseUrl?: string
  /**
   * The base URL of the backend API (`/backend-api`).
   * @defaultValue `'https://chat.openai.com/backend-api'`
   */
  backendApiBaseUrl?: string
  /**
   * `true`: replies are markdown, as ChatGPT writes them. `false`: plain text (code blocks keep
   * their content).
   * @defaultValue `true`
   */
  markdown?: boolean
  /**
   * The `User-Agent` header; it must match the browser that obtained the clearance token.
   * @defaultValue `'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36'`
   */
  userAgent?: string
  /**
   * The model messages are answered with, unless a call says otherwise (`opts.model`).
   * @defaultValue `'text-davinci-002-render'`
   */
  model?: string
  /**
   * How many times a request that failed before any reply byte arrived (a connection error,
   * 408, 409, 429, 5xx) is retried, with exponential backoff and jitter, honouring the server's
   * `Retry-After`. A message whose reply had started is never sent again. Per call too.
   * @defaultValue 2
   */
  maxRetries?: number
  /**
   * The account answers one message at a time, so concurrent `sendMessage` calls wait their turn
   * in order. This bounds how many may wait; one more fails with code `queue_full`.
   * @defaultValue 100
   */
  maxQueueSize?: number
  /**
   * A request that receives nothing for this long (no headers, no stream bytes) fails with code
   * `timeout`, even when the call has no `timeoutMs`. `0` turns it off.
   * @defaultValue 120000 (2 minutes)
   */
  idleTimeoutMs?: number
  /**
   * An HTTP(S) proxy URL for every request, e.g. `'http://127.0.0.1:8080'`. Without it the usual
   * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` variables apply. Needs Node.js ≥ 20.18 (undici).
   */
  proxy?: string
  /** A `fetch` to use instead of the global one (tests, custom agents, other runtimes). */
  fetch?: typeof fetch
  /**
   * Receives one line per request, retry, re-authentication and queue wait. Tokens, cookies and
   * the `Authorization` header never appear in these lines.
   * @example `debug: (line) => console.error('[chatgpt]', line)`
   */
  debug?: (line: string) => void
}

/** The options with every default applied, checked. */
export type ResolvedOptions = ChatGPTAPIOptions & {
  -readonly [K in keyof typeof CHATGPT_API_DEFAULTS]: (typeof CHATGPT_API_DEFAULTS)[K] extends string
    ? string
    : (typeof CHATGPT_API_DEFAULTS)[K] extends number
      ? number
      : boolean
}

function invalid(message: string): ChatGPTError {
  return new ChatGPTError(message, { code: 'invalid_argument' })
}

/**
 * Applies the defaults and checks every option.
 * @throws `ChatGPTError('ChatGPT invalid session token')` without a session token (the seed's
 *   message); `invalid_argument` for any other unusable value (never echoing it: it may be secret).
 */
export function resolveOptions(opts: ChatGPTAPIOptions): ResolvedOptions {
  const options: ResolvedOptions = { ...CHATGPT_API_DEFAULTS, ...definedOnly(opts ?? {}) }
  if (!options.sessionToken) {
    throw new ChatGPTError('ChatGPT invalid session token', { code: 'invalid_argument' })
  }
  assertToken('sessionToken', options.sessionToken, true)
  assertToken('clearanceToken', options.clearanceToken)
  assertToken('accessToken', options.accessToken)
  assertDuration('accessTokenTTL', options.accessTokenTTL)
  assertCount('maxRetries', options.maxRetries)
  assertCount('maxQueueSize', options.maxQueueSize)
  assertDuration('idleTimeoutMs', options.idleTimeoutMs)
  assertBaseUrl('apiBaseUrl', options.apiBaseUrl)
  assertBaseUrl('backendApiBaseUrl', options.backendApiBaseUrl)
  if (options.proxy !== undefined) assertBaseUrl('proxy', options.proxy)
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw invalid('fetch must be a function')
  }
  if (options.debug !== undefined && typeof options.debug !== 'function') {
    throw invalid('debug must be a function that takes a line')
  }
  if (typeof options.userAgent !== 'string' || /[\r\n]/.test(options.userAgent)) {
    throw invalid('userAgent must be a single-line string')
  }
  return {
    ...options,
    model: validModel('model', options.model),
    // Paths are appended with a leading slash.
    apiBaseUrl: options.apiBaseUrl.replace(/\/+$/, ''),
    backendApiBaseUrl: options.backendApiBaseUrl.replace(/\/+$/, '')
  }
}

/** Drops `undefined` values so that they do not override the defaults. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined)
  ) as T
}
