/**
 * How long the server asked us to wait (PROTOCOL.md §3), from whichever hint it gave.
 */

/**
 * Milliseconds to wait before retrying, from `retry-after-ms`, `Retry-After` (seconds or an HTTP
 * date) or a `clears_in` (seconds) inside the error detail; `undefined` when there is no usable hint.
 */
export function retryAfterMs(
  headers: Headers,
  detail?: unknown,
  now: number = Date.now()
): number | undefined {
  const ms = Number(headers.get('retry-after-ms'))
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms

  const retryAfter = headers.get('retry-after')
  if (retryAfter) {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
    const date = Date.parse(retryAfter)
    if (Number.isFinite(date)) return Math.max(0, date - now)
  }

  if (detail && typeof detail === 'object') {
    const clearsIn = Number((detail as { clears_in?: unknown }).clears_in)
    if (Number.isFinite(clearsIn) && clearsIn >= 0) return clearsIn * 1000
  }
  return undefined
}
