/**
 * The retry policy, as pure functions: what may be retried, and how long to
 * wait first. Only a request is ever retried, never a stream whose reply had begun; and a request
 * that is not idempotent (a POST: a message) only when it cannot have run — see
 * {@link shouldRetry}.
 */
import { ChatGPTError } from '../errors.js'
import { isConnectFailure, isNetworkError } from './network-error.js'

export const RETRY_DEFAULTS = {
  /** First backoff step; doubles each retry. */
  baseDelayMs: 500,
  /** Backoff never grows past this (without a server hint). */
  maxBackoffMs: 8_000,
  /** A server that asks for a longer wait is not waited for: the call fails with `rate_limited`. */
  maxRetryAfterMs: 60_000
} as const

const RETRYABLE_STATUS = new Set([408, 409, 429])

/**
 * True for failures that may pass on a second try. An idempotent request is retried after any
 * network failure, 408, 409, 429 or 5xx. A POST that may have reached the server is sent again
 * only when the server explicitly refused it — 429, or 503 with a wait hint — or when the
 * connection was never made: a 502 from a proxy, a reset or a 500 may come after the server
 * started the reply, and sending again would post the message twice.
 */
export function shouldRetry(error: unknown, idempotent = true): boolean {
  if (!(error instanceof ChatGPTError)) return false
  if (error.code === 'network') {
    const cause = error.originalError
    return isConnectFailure(cause) || (idempotent && isNetworkError(cause))
  }
  const status = error.statusCode
  // A quota that ran out (a 429 too) does not come back on a second try.
  if (status === undefined || error.code === 'cloudflare_challenge' || error.code === 'forbidden') return false
  if (!idempotent) return status === 429 || (status === 503 && error.retryAfterMs !== undefined)
  return RETRYABLE_STATUS.has(status) || status >= 500
}

/**
 * How long to wait before retry number `retry` (0 for the first): the server's hint when it gave
 * one, otherwise exponential backoff with "equal jitter" (half fixed, half random) so that many
 * clients failing together do not retry together.
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random
): number {
  if (retryAfterMs !== undefined) return retryAfterMs
  const backoff = Math.min(RETRY_DEFAULTS.maxBackoffMs, RETRY_DEFAULTS.baseDelayMs * 2 ** retry)
  return backoff / 2 + (backoff / 2) * random()
}

/** What to do after a failed attempt. */
export type RetryDecision = { retry: false } | { retry: true; delayMs: number }

/**
 * The decision after `retriesDone` retries have failed with `error`. A wait over the cap is
 * refused, so that a call never sleeps for minutes: the caller fails with the error, whose
 * `retryAfterMs` says when to come back.
 */
export function decideRetry(
  error: unknown,
  retriesDone: number,
  maxRetries: number,
  idempotent = true
): RetryDecision {
  if (retriesDone >= maxRetries || !shouldRetry(error, idempotent)) return { retry: false }
  const hint = (error as ChatGPTError).retryAfterMs
  if (hint !== undefined && hint > RETRY_DEFAULTS.maxRetryAfterMs) return { retry: false }
  return { retry: true, delayMs: retryDelayMs(retriesDone, hint) }
}
