/**
 * How long the server asked us to wait, from whichever hint it gave.
 */

// A plain non-negative number: no sign, no exponent, nothing empty.
const DECIMAL = /^\d+(\.\d+)?$/

/**
 * Milliseconds to wait before retrying, from `retry-after-ms`, `Retry-After` (seconds or an HTTP
 * date) or a `clears_in` (seconds) inside the error detail; `undefined` when there is no usable hint.
 */
export function retryAfterMs(
  headers: Headers,
  detail?: unknown,
  now: number = Date.now()
): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim()
  if (ms && DECIMAL.test(ms)) return Number(ms)

  const retryAfter = headers.get('retry-after')?.trim()
  if (retryAfter) {
    // Delay-seconds is digits only; anything else numeric-looking ("-5", "1e3") is no hint, and
    // must not reach Date.parse, which reads "-5" as a year.
    if (DECIMAL.test(retryAfter)) return Number(retryAfter) * 1000
    // An HTTP date names a weekday or month; Date.parse alone accepts bare numbers too.
    const date = /[a-z]/i.test(retryAfter) ? Date.parse(retryAfter) : NaN
    if (Number.isFinite(date)) return Math.max(0, date - now)
  }

  if (detail && typeof detail === 'object') {
    const raw = (detail as { clears_in?: unknown }).clears_in
    // A number or a numeric string only: Number() reads null, '', [] and false as 0, "retry now".
    const numeric = typeof raw === 'number' || (typeof raw === 'string' && DECIMAL.test(raw.trim()))
    const clearsIn = numeric ? Number(raw) : NaN
    if (Number.isFinite(clearsIn) && clearsIn >= 0) return clearsIn * 1000
  }
  return undefined
}
