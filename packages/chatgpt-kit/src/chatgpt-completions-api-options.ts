/**
 * The options of {@link ChatGPTCompletionsAPI}, their defaults in one place, and their checks.
 */
import type { ConversationStore } from './store.js'
import { assertBaseUrl, assertCount, assertDuration, assertHeaderValue, assertPositiveCount, invalidArgument, validModel } from './internal/validate.js'

/**
 * What every request sends besides `messages` (which the client builds) and `stream`: the
 * model and any sampling parameter of the Chat Completions API, passed as they are.
 */
export type CompletionParams = {
  /** @defaultValue `'gpt-4o-mini'` */
  model?: string
  temperature?: number
  top_p?: number
  presence_penalty?: number
  frequency_penalty?: number
  stop?: string | string[]
  seed?: number
  user?: string
  /** Anything else the API takes (`reasoning_effort`, `service_tier`, …). */
  [param: string]: unknown
}

export type ChatGPTCompletionsAPIOptions = {
  /** **Required** An OpenAI API key (or the key of any server that speaks the API, such as `chatgpt serve`). */
  apiKey: string
  /** @defaultValue `'https://api.openai.com/v1'` */
  apiBaseUrl?: string
  /** Sent as `OpenAI-Organization`. */
  organization?: string
  /** See {@link CompletionParams}. */
  completionParams?: CompletionParams
  /**
   * The system message of every request. `''` sends none.
   * @defaultValue "You are ChatGPT, a large language model trained by OpenAI. Answer as concisely as possible.\nCurrent date: YYYY-MM-DD" (today's date)
   */
  systemMessage?: string
  /**
   * The model's context window in tokens: the prompt and the reply together never ask for more.
   * @defaultValue 128000
   */
  maxModelTokens?: number
  /**
   * Tokens kept for the reply (`max_completion_tokens`, or what is left when the prompt is long).
   * @defaultValue 4096
   */
  maxResponseTokens?: number
  /**
   * Where the messages of conversations are kept, so that a follow-up rebuilds its context: the
   * SQLite or Redis store (`chatgpt-kit-server`) lets another process or host continue it.
   * @defaultValue a `MemoryStore` of this client's own
   */
  store?: ConversationStore
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch
  /** An HTTP(S) proxy URL for every request (needs the optional `undici` package). */
  proxy?: string
  /** Receives one line per request and retry; never the API key. */
  debug?: (line: string) => void
  /**
   * Retries of a request the API refused or failed before any of the reply arrived (429, 5xx, a
   * failed connection), after its `Retry-After` or a growing back-off.
   * @defaultValue 2
   */
  maxRetries?: number
  /** The default `timeoutMs` of each call. @defaultValue no timeout */
  timeoutMs?: number
  /**
   * A call fails with `timeout` when the API sends nothing for this long (before the answer, or
   * mid-stream): a stalled connection ends even without `timeoutMs`.
   * @defaultValue 120000 (2 minutes)
   */
  idleTimeoutMs?: number
}

/** The defaults of {@link ChatGPTCompletionsAPI}'s options. */
export const CHATGPT_COMPLETIONS_API_DEFAULTS = {
  apiBaseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  maxModelTokens: 128_000,
  maxResponseTokens: 4_096,
  maxRetries: 2,
  idleTimeoutMs: 120_000
} as const

/** The default system message, dated today (as the web app tells the model the date). */
export function defaultSystemMessage(now = new Date()): string {
  return `You are ChatGPT, a large language model trained by OpenAI. Answer as concisely as possible.\nCurrent date: ${now.toISOString().slice(0, 10)}`
}

/** Parameters the client sets itself: a `completionParams` with them would be silently overridden. */
const OWN_PARAMS = ['messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'n']

export function resolveCompletionsOptions(opts: ChatGPTCompletionsAPIOptions) {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('ChatGPTCompletionsAPI needs options with an apiKey')
  if (typeof opts.apiKey !== 'string' || opts.apiKey.trim() === '') {
    throw invalidArgument('apiKey is required: an OpenAI API key (or the key of a server that speaks the API)')
  }
  assertHeaderValue('apiKey', opts.apiKey)
  if (opts.organization !== undefined) assertHeaderValue('organization', opts.organization)
  const apiBaseUrl = opts.apiBaseUrl ?? CHATGPT_COMPLETIONS_API_DEFAULTS.apiBaseUrl
  assertBaseUrl('apiBaseUrl', apiBaseUrl)
  if (opts.proxy !== undefined) assertBaseUrl('proxy', opts.proxy, true)
  const params = opts.completionParams ?? {}
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw invalidArgument('completionParams must be an object')
  const own = OWN_PARAMS.filter((name) => name in params)
  if (own.length > 0) throw invalidArgument(`completionParams may not set ${own.join(', ')}: the client sets them`)
  const model = validModel('completionParams.model', params.model ?? CHATGPT_COMPLETIONS_API_DEFAULTS.model)
  if (opts.systemMessage !== undefined && typeof opts.systemMessage !== 'string') throw invalidArgument('systemMessage must be a string')
  const maxModelTokens = opts.maxModelTokens ?? CHATGPT_COMPLETIONS_API_DEFAULTS.maxModelTokens
  const maxResponseTokens = opts.maxResponseTokens ?? CHATGPT_COMPLETIONS_API_DEFAULTS.maxResponseTokens
  assertPositiveCount('maxModelTokens', maxModelTokens)
  assertPositiveCount('maxResponseTokens', maxResponseTokens)
  if (maxResponseTokens >= maxModelTokens) throw invalidArgument('maxResponseTokens must be less than maxModelTokens: the prompt needs room too')
  const maxRetries = opts.maxRetries ?? CHATGPT_COMPLETIONS_API_DEFAULTS.maxRetries
  assertCount('maxRetries', maxRetries)
  assertDuration('timeoutMs', opts.timeoutMs)
  const idleTimeoutMs = opts.idleTimeoutMs ?? CHATGPT_COMPLETIONS_API_DEFAULTS.idleTimeoutMs
  assertDuration('idleTimeoutMs', idleTimeoutMs)
  if (opts.fetch !== undefined && typeof opts.fetch !== 'function') throw invalidArgument('fetch must be a function')
  if (opts.debug !== undefined && typeof opts.debug !== 'function') throw invalidArgument('debug must be a function that takes a line')
  const store = opts.store
  if (store !== undefined) {
    const missing = ['getMessage', 'putMessage', 'getBinding', 'putBinding'].filter((name) => typeof (store as unknown as Record<string, unknown>)[name] !== 'function')
    if (missing.length > 0) throw invalidArgument(`store must implement ${missing.join(', ')}`)
  }
  return {
    apiKey: opts.apiKey,
    apiBaseUrl: apiBaseUrl.replace(/\/+$/, ''),
    organization: opts.organization,
    completionParams: { ...params, model },
    systemMessage: opts.systemMessage,
    maxModelTokens,
    maxResponseTokens,
    store,
    fetch: opts.fetch,
    proxy: opts.proxy,
    debug: opts.debug,
    maxRetries,
    timeoutMs: opts.timeoutMs,
    idleTimeoutMs
  }
}
