import { DEFAULT_API_MODELS } from './api-models.js'
import { defaultReply } from './default-reply.js'
import { DEFAULT_MODEL_SLUGS } from './models.js'
import { checkProtocol2026Options, PROTOCOL_2026_DEFAULTS } from './protocol-2026-options.js'
import { approximateTokenCount } from './token-estimate.js'
import type { ReplyFunction, StreamShape, TestBackendOptions } from './types.js'

/** Options with every default filled in. */
export type ResolvedOptions = Required<TestBackendOptions> & { reply: ReplyFunction }

/** The User-Agent of the original client (chatgpt@2.x), which the clearance is bound to by default. */
export const SEED_USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36'

/** Every default of {@link TestBackendOptions}, in one place. */
export const TEST_BACKEND_DEFAULTS: ResolvedOptions = {
  port: 0,
  host: '127.0.0.1',
  shape: 'v1',
  reply: defaultReply,
  models: DEFAULT_MODEL_SLUGS,
  eventDelayMs: 0,
  // Shorter than a pool's default lease (10 s, renewed every third of it), so a holder cut off
  // mid-reply has its reply ended here before its lease can expire.
  stalledClientTimeoutMs: 5000,
  tokensPerEvent: 1,
  chunking: 'event',
  accessTokenTTLSeconds: 3600,
  userAgent: SEED_USER_AGENT,
  maxPromptLength: 20_000,
  maxReplyTokens: Infinity,
  maxBodyBytes: 1024 * 1024,
  maxRecordedRequests: 1000,
  maxRecordedBodyBytes: 64 * 1024,
  apiModels: DEFAULT_API_MODELS,
  apiContextTokens: 128_000,
  apiMaxOutputTokens: 16_384,
  apiTokenCounter: approximateTokenCount,
  ...PROTOCOL_2026_DEFAULTS
}

/** Every event shape, oldest first. */
export const STREAM_SHAPES: readonly StreamShape[] = ['2022', '2023', 'v1', '2026']

/** Whether `value` names an event shape. */
export function isStreamShape(value: unknown): value is StreamShape {
  return STREAM_SHAPES.includes(value as StreamShape)
}

/**
 * Fills in defaults and rejects values the backend could not honour, so a typo fails at
 * creation instead of as a confusing stream later.
 *
 * @throws TypeError or RangeError naming the bad option.
 */
export function resolveOptions(options: TestBackendOptions = {}): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  const resolved: ResolvedOptions = { ...TEST_BACKEND_DEFAULTS, ...defined }
  const { shape, reply, chunking } = resolved
  if (!isStreamShape(shape)) throw new TypeError(`shape must be one of ${STREAM_SHAPES.join(', ')}`)
  if (typeof reply !== 'function') throw new TypeError('reply must be a function')
  if (chunking !== 'event' && chunking !== 'bytes' && !isPositiveInteger(chunking)) {
    throw new RangeError("chunking must be 'event', 'bytes' or a positive integer")
  }
  resolved.models = checkModels(resolved.models, 'models')
  resolved.apiModels = checkModels(resolved.apiModels, 'apiModels')
  if (typeof resolved.apiTokenCounter !== 'function') throw new TypeError('apiTokenCounter must be a function')
  requirePositiveInteger(resolved, 'apiContextTokens')
  requirePositiveInteger(resolved, 'apiMaxOutputTokens')
  requireAtLeast(resolved, 'eventDelayMs', 0)
  if (resolved.stalledClientTimeoutMs !== Infinity) requireTimerDelay(resolved, 'stalledClientTimeoutMs')
  requireAtLeast(resolved, 'accessTokenTTLSeconds', 0)
  requireAtLeast(resolved, 'port', 0)
  requirePositiveInteger(resolved, 'tokensPerEvent')
  requirePositiveInteger(resolved, 'maxPromptLength')
  requirePositiveInteger(resolved, 'maxBodyBytes')
  if (resolved.maxRecordedRequests !== Infinity) requireWholeNumber(resolved, 'maxRecordedRequests')
  requireWholeNumber(resolved, 'maxRecordedBodyBytes')
  if (resolved.maxReplyTokens !== Infinity) requirePositiveInteger(resolved, 'maxReplyTokens')
  resolved.bootstrapScripts = checkProtocol2026Options(resolved)
  return resolved
}

/** A frozen copy, so that changing the caller's array later changes nothing. */
function checkModels(models: unknown, name: 'models' | 'apiModels'): readonly string[] {
  const valid =
    Array.isArray(models) &&
    models.length > 0 &&
    models.every((slug) => typeof slug === 'string' && slug !== '' && !/[\x00-\x1f\x7f]/.test(slug))
  if (!valid) throw new TypeError(`${name} must be a non-empty array of model slugs (non-empty one-line strings)`)
  return Object.freeze([...new Set(models as string[])])
}

function isPositiveInteger(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0
}

function requirePositiveInteger(options: ResolvedOptions, name: keyof ResolvedOptions): void {
  if (!isPositiveInteger(options[name])) throw new RangeError(`${name} must be a positive integer`)
}

function requireWholeNumber(options: ResolvedOptions, name: keyof ResolvedOptions): void {
  const value = options[name]
  if (!Number.isInteger(value) || (value as number) < 0) throw new RangeError(`${name} must be an integer >= 0`)
}

// Node fires a timer of more than 2^31-1 ms after 1 ms instead.
const MAX_TIMER_MS = 2 ** 31 - 1

function requireTimerDelay(options: ResolvedOptions, name: keyof ResolvedOptions): void {
  const value = options[name]
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_TIMER_MS) {
    throw new RangeError(`${name} must be Infinity or a whole number of milliseconds from 1 to ${MAX_TIMER_MS}`)
  }
}

function requireAtLeast(options: ResolvedOptions, name: keyof ResolvedOptions, min: number): void {
  const value = options[name]
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a number >= ${min}`)
  }
}
