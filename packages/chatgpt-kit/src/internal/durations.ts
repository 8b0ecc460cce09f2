/**
 * Durations as timers can take them. `setTimeout` fires at once (after a warning) for any delay
 * above 2^31 − 1 ms, so a caller's "one month" timeout would abort every call immediately.
 */

/** The longest delay `setTimeout` honours: about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The delay to arm a timer with for `ms`, or `undefined` for no timer: `0`, `undefined` and
 * `Infinity` mean no limit, and anything beyond {@link MAX_TIMER_MS} is clamped to it (a call
 * still running after 24.8 days has outlived any reasonable wish).
 */
export function timerDelay(ms: number | undefined): number | undefined {
  if (!ms || ms === Infinity) return undefined
  return Math.min(ms, MAX_TIMER_MS)
}
