/**
 * The options of {@link ChatGPTAPI}: their defaults, in one place, and the checks that turn an
 * unusable value into an `invalid_argument` error before anything is sent. (The type itself is in
 * `types.ts`, at the bottom of the layers.)
 */
import { ChatGPTError } from './errors.js'
import type { ChatGPTAPIOptions } from './types.js'
import {
  assertBaseUrl,
  assertCount,
  assertDuration,
  assertHeaderValue,
  assertToken,
  invalidArgument,
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
  maxRetries: 2,
  maxQueueSize: 100,
  idleTimeoutMs: 120_000
} as const

/** The options with every default applied, checked. */
export type ResolvedOptions = ChatGPTAPIOptions & {
  -readonly [K in keyof typeof CHATGPT_API_DEFAULTS]: (typeof CHATGPT_API_DEFAULTS)[K] extends string
    ? string
    : (typeof CHATGPT_API_DEFAULTS)[K] extends number
      ? number
      : boolean
}

/**
 * Applies the defaults and checks every option.
 * @throws `ChatGPTError('ChatGPT invalid session token')` without a session token (`chatgpt` 2.x's
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
  if (options.proxy !== undefined) assertBaseUrl('proxy', options.proxy, true)
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw invalidArgument('fetch must be a function')
  }
  if (options.debug !== undefined && typeof options.debug !== 'function') {
    throw invalidArgument('debug must be a function that takes a line')
  }
  assertHeaderValue('userAgent', options.userAgent)
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

export type { ChatGPTAPIOptions }
