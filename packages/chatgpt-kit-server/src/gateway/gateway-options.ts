/**
 * The options of {@link createGateway}, their defaults in one place, and their checks.
 */
import { type ChatGPTAccountPool, ChatGPTError, type ConversationStore } from 'chatgpt-kit'
import type { Registry } from 'prom-client'

/** A pino-compatible logger: the gateway writes one line per request, and warnings. */
export type GatewayLogger = {
  info(fields: Record<string, unknown>, message?: string): void
  warn(fields: Record<string, unknown>, message?: string): void
  error(fields: Record<string, unknown>, message?: string): void
}

/** Limits per API key (or for every caller together, without keys). */
export type GatewayKeyLimits = {
  /** Requests a key may start per minute; one more gets 429 with `Retry-After`. */
  requestsPerMinute?: number
  /** Requests of a key that may run at once; one more gets 429. */
  concurrentRequests?: number
}

export type GatewayOptions = {
  /** The accounts that answer. The gateway never closes it: its owner does, after the gateway's `shutdown`. */
  pool: ChatGPTAccountPool
  /**
   * Where the gateway remembers the transcripts it answered, so that a follow-up continues the
   * same web conversation, from any process on the same store. Give the pool's store.
   * @defaultValue a `MemoryStore` of this gateway's own (one process)
   */
  store?: ConversationStore
  /**
   * The keys callers send as `Authorization: Bearer KEY`. Empty: no key needed (keep such a
   * gateway on a loopback address; `chatgpt serve` refuses anything else).
   * @defaultValue []
   */
  apiKeys?: readonly string[]
  /** A key for `GET /metrics` alone (sent the same way); without it `/metrics` is open. */
  metricsKey?: string
  /**
   * How long a request may wait for a free account before it gets 503 with `Retry-After`.
   * @defaultValue 60000
   */
  queueTimeoutMs?: number
  /**
   * How long a reply may take, from the request to its last token, before it gets 504 (or the
   * stream ends with an error).
   * @defaultValue 600000
   */
  timeoutMs?: number
  /** @defaultValue 4194304 (4 MiB) */
  maxBodyBytes?: number
  /** How long the list of models is kept before the accounts are asked again. @defaultValue 300000 */
  modelsMaxAgeMs?: number
  /** More checks for `GET /readyz`, each rejecting when what it checks is down (e.g. `() => redis.ping()`). */
  readinessChecks?: readonly (() => Promise<unknown>)[]
  /** Per-key limits. @defaultValue none */
  limits?: GatewayKeyLimits
  /** One JSON line per request. @defaultValue none */
  logger?: GatewayLogger
  /** The prom-client registry to put the gateway's metrics in. @defaultValue a registry of its own */
  registry?: Registry
}

export const GATEWAY_DEFAULTS = {
  queueTimeoutMs: 60_000,
  timeoutMs: 600_000,
  maxBodyBytes: 4 * 1024 * 1024,
  modelsMaxAgeMs: 300_000,
  /** How long a readiness check may take before it counts as failed. */
  readinessTimeoutMs: 2_000
} as const

const invalid = (message: string) => new ChatGPTError(message, { code: 'invalid_argument' })

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalid(`${name} must be a positive number`)
  return value
}

function positiveInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isInteger(value) || (value as number) < 1) throw invalid(`${name} must be a whole number of 1 or more`)
  return value as number
}

export function resolveGatewayOptions(opts: GatewayOptions) {
  // Duck-typed: an application may hold another copy of the library than this package does.
  const pool = (opts as { pool?: Partial<ChatGPTAccountPool> } | null)?.pool
  if (typeof pool?.streamMessage !== 'function' || typeof pool.status !== 'function' || typeof pool.getModels !== 'function') {
    throw invalid('createGateway needs { pool }: a ChatGPTAccountPool')
  }
  const apiKeys = opts.apiKeys ?? []
  if (!Array.isArray(apiKeys) || apiKeys.some((key) => typeof key !== 'string' || !/^\S{8,}$/.test(key))) {
    throw invalid('apiKeys must be strings of at least 8 characters without spaces')
  }
  if (opts.metricsKey !== undefined && (typeof opts.metricsKey !== 'string' || !/^\S{8,}$/.test(opts.metricsKey))) {
    throw invalid('metricsKey must be a string of at least 8 characters without spaces')
  }
  const readinessChecks = opts.readinessChecks ?? []
  if (!Array.isArray(readinessChecks) || readinessChecks.some((check) => typeof check !== 'function')) {
    throw invalid('readinessChecks must be an array of functions')
  }
  return {
    pool: opts.pool,
    store: opts.store,
    apiKeys,
    metricsKey: opts.metricsKey,
    queueTimeoutMs: positive('queueTimeoutMs', opts.queueTimeoutMs, GATEWAY_DEFAULTS.queueTimeoutMs),
    timeoutMs: positive('timeoutMs', opts.timeoutMs, GATEWAY_DEFAULTS.timeoutMs),
    maxBodyBytes: positive('maxBodyBytes', opts.maxBodyBytes, GATEWAY_DEFAULTS.maxBodyBytes),
    modelsMaxAgeMs: positive('modelsMaxAgeMs', opts.modelsMaxAgeMs, GATEWAY_DEFAULTS.modelsMaxAgeMs),
    readinessChecks,
    limits: {
      requestsPerMinute: positiveInteger('limits.requestsPerMinute', opts.limits?.requestsPerMinute),
      concurrentRequests: positiveInteger('limits.concurrentRequests', opts.limits?.concurrentRequests)
    },
    logger: opts.logger,
    registry: opts.registry
  }
}

export type ResolvedGatewayOptions = ReturnType<typeof resolveGatewayOptions>
