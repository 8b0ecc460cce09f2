/**
 * Per-key limits of one gateway process: requests per minute (a token bucket, so that a burst up
 * to the minute's allowance passes and the rest is spread) and requests at once. Each refusal
 * says when to come back. Several processes each apply the limits on their own. Keys are the
 * configured ones (by position), so the map holds at most one bucket per key.
 */
import { apiError, type ApiError } from './api-error.js'
import type { GatewayKeyLimits } from './gateway-options.js'

type Bucket = { tokens: number; at: number; running: number }

export class KeyLimits {
  readonly #buckets = new Map<string, Bucket>()

  constructor(
    private readonly limits: GatewayKeyLimits,
    private readonly now: () => number = Date.now
  ) {}

  /**
   * Takes a slot for a request of `key`: `release` gives it back when the request ends; or the
   * 429 to answer instead.
   */
  take(key: string): { ok: true; release: () => void } | { ok: false; error: ApiError } {
    const { requestsPerMinute, concurrentRequests } = this.limits
    if (requestsPerMinute === undefined && concurrentRequests === undefined) return { ok: true, release: () => {} }
    const now = this.now()
    const bucket = this.#buckets.get(key) ?? { tokens: requestsPerMinute ?? 0, at: now, running: 0 }
    this.#buckets.set(key, bucket)
    if (concurrentRequests !== undefined && bucket.running >= concurrentRequests) {
      return { ok: false, error: limited(`Too many requests at once for this key (at most ${concurrentRequests})`, 1) }
    }
    if (requestsPerMinute !== undefined) {
      const perMs = requestsPerMinute / 60_000
      bucket.tokens = Math.min(requestsPerMinute, bucket.tokens + (now - bucket.at) * perMs)
      bucket.at = now
      if (bucket.tokens < 1) {
        return { ok: false, error: limited(`Too many requests for this key (at most ${requestsPerMinute} a minute)`, Math.ceil((1 - bucket.tokens) / perMs / 1000)) }
      }
      bucket.tokens -= 1
    }
    bucket.running++
    let released = false
    return {
      ok: true,
      release: () => {
        if (released) return
        released = true
        bucket.running--
      }
    }
  }
}

function limited(message: string, retryAfterSeconds: number): ApiError {
  return apiError(429, message, { code: 'rate_limit_exceeded', retryAfterSeconds: Math.max(1, retryAfterSeconds) })
}
