/**
 * The options of {@link ChatGPTAPI}: their defaults, in one place, and the checks that turn an
 * unusable value into an `invalid_argument` error before anything is sent. (The type itself is in
 * `types.ts`, at the bottom of the layers.)
 */
import { ChatGPTError } from './errors.js'
import type { ChatGPTAPIAccessTokenOptions, ChatGPTAPIOptions, ChatGPTProtocol } from './types.js'
import {
  assertBaseUrl,
  assertCount,
  assertDuration,
  assertHeaderValue,
  assertToken,
  assertUuid,
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

/**
 * The defaults protocol '2026' changes: today's site. (`chat.openai.com` redirects there, and a
 * redirected POST would arrive as a GET.)
 */
export const PROTOCOL_2026_DEFAULTS = {
  apiBaseUrl: 'https://chatgpt.com/api',
  backendApiBaseUrl: 'https://chatgpt.com/backend-api'
} as const

/** The options with every default applied, checked. */
export type ResolvedOptions = Omit<ChatGPTAPIOptions, 'protocol'> & {
  protocol: ChatGPTProtocol
} & {
  -readonly [K in keyof typeof CHATGPT_API_DEFAULTS]: (typeof CHATGPT_API_DEFAULTS)[K] extends string
    ? string
    : (typeof CHATGPT_API_DEFAULTS)[K] extends number
      ? number
      : boolean
}

/** The options of {@link ChatGPTAPI.fromAccessToken} with every default applied, checked. */
export type ResolvedAccessTokenOptions = Omit<ResolvedOptions, 'sessionToken' | 'accessToken'> & {
  sessionToken?: undefined
  accessToken: string
}

/**
 * Applies the defaults and checks every option.
 * @throws `ChatGPTError('ChatGPT invalid session token')` without a session token (`chatgpt` 2.x's
 *   message); `invalid_argument` for any other unusable value (never echoing it: it may be secret).
 */
export function resolveOptions(opts: ChatGPTAPIOptions): ResolvedOptions {
  const options = { ...defaultsFor(opts), ...definedOnly(opts ?? {}) } as ResolvedOptions
  if (!options.sessionToken) {
    throw new ChatGPTError('ChatGPT invalid session token', { code: 'invalid_argument' })
  }
  assertToken('sessionToken', options.sessionToken, true)
  assertToken('accessToken', options.accessToken)
  return checkedRest(options)
}

/**
 * The options of an access token alone: the same checks, the access token required.
 * @throws ChatGPTError `invalid_argument` without an access token, with a session token (the
 *   constructor takes those), or for any unusable value.
 */
export function resolveAccessTokenOptions(opts: ChatGPTAPIAccessTokenOptions): ResolvedAccessTokenOptions {
  const options = { ...defaultsFor(opts), ...definedOnly(opts ?? {}) } as ResolvedAccessTokenOptions
  assertToken('accessToken', options.accessToken, true)
  if ((options as { sessionToken?: unknown }).sessionToken) {
    throw invalidArgument('fromAccessToken takes no sessionToken: pass both to new ChatGPTAPI({ sessionToken, accessToken }) instead')
  }
  return checkedRest(options)
}

/** The checks and normalisations every client's options share, besides its credentials. */
function checkedRest<T extends Omit<ResolvedOptions, 'sessionToken'>>(options: T): T {
  assertToken('clearanceToken', options.clearanceToken)
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
  checkProtocolOptions(options)
  return {
    ...options,
    model: validModel('model', options.model),
    // Paths are appended with a leading slash.
    apiBaseUrl: options.apiBaseUrl.replace(/\/+$/, ''),
    backendApiBaseUrl: options.backendApiBaseUrl.replace(/\/+$/, '')
  }
}

/** The defaults of the protocol `opts` names (checked later, with the rest). */
function defaultsFor(opts: { protocol?: unknown } | undefined) {
  return opts?.protocol === '2026'
    ? { ...CHATGPT_API_DEFAULTS, ...PROTOCOL_2026_DEFAULTS, protocol: '2026' as const }
    : { ...CHATGPT_API_DEFAULTS, protocol: '2022' as const }
}

/**
 * `protocol` and the options only protocol '2026' uses: given with '2022' they would do nothing,
 * which is never what the caller meant.
 */
function checkProtocolOptions(options: { protocol: unknown; deviceId?: unknown; turnstileSolver?: unknown }): void {
  if (options.protocol !== '2022' && options.protocol !== '2026') throw invalidArgument("protocol must be '2022' or '2026'")
  for (const name of ['deviceId', 'turnstileSolver'] as const) {
    if (options[name] !== undefined && options.protocol !== '2026') {
      throw invalidArgument(`${name} applies to protocol '2026' only`)
    }
  }
  if (options.deviceId !== undefined) {
    if (typeof options.deviceId !== 'string') throw invalidArgument('deviceId must be a UUID')
    assertUuid('deviceId', options.deviceId)
  }
  if (options.turnstileSolver !== undefined && typeof options.turnstileSolver !== 'function') {
    throw invalidArgument('turnstileSolver must be a function (dx, p) => Promise<string>')
  }
}

/** Drops `undefined` values so that they do not override the defaults. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined)
  ) as T
}

export type { ChatGPTAPIAccessTokenOptions, ChatGPTAPIOptions }
