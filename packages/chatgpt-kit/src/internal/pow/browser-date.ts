/**
 * Config entry [1] is `String(new Date())` in the browser, e.g.
 * `"Mon Jan 05 2026 19:00:00 GMT+0900 (Japan Standard Time)"`. The server can compare its
 * timezone with the `timezone` of the conversation body and the exit IP (PROTOCOL-2026.md §4.3,
 * S8 1.8.5), so it is formatted for a chosen IANA zone rather than the process's own.
 */

const partsFormats = new Map<string, Intl.DateTimeFormat>()
const nameFormats = new Map<string, Intl.DateTimeFormat>()

function cached(cache: Map<string, Intl.DateTimeFormat>, timeZone: string, options: Intl.DateTimeFormatOptions) {
  let format = cache.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, ...options })
    cache.set(timeZone, format)
  }
  return format
}

/**
 * `at` as V8's `Date.prototype.toString` writes it when the process runs in `timeZone`
 * (which is what Chrome shows): `Www Mmm DD YYYY HH:MM:SS GMT±hhmm (Long Zone Name)`.
 *
 * @param timeZone An IANA zone such as `'Asia/Tokyo'`; an unknown one throws a `RangeError`.
 */
export function browserDateString(at: Date, timeZone: string): string {
  const parts: Record<string, string> = {}
  const format = cached(partsFormats, timeZone, {
    weekday: 'short',
    month: 'short',
    day: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset'
  })
  for (const { type, value } of format.formatToParts(at)) parts[type] = value
  // 'longOffset' writes 'GMT+09:00', and plain 'GMT' for a zero offset; Date writes 'GMT+0900'.
  const offset = parts.timeZoneName === 'GMT' ? '+0000' : (parts.timeZoneName ?? '').slice(3).replace(':', '')
  const name = cached(nameFormats, timeZone, { timeZoneName: 'long' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value
  const time = `${parts.hour}:${parts.minute}:${parts.second}`
  return `${parts.weekday} ${parts.month} ${parts.day} ${parts.year} ${time} GMT${offset} (${name})`
}
