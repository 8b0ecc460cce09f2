/**
 * What every request carries: the browser-like headers `chatgpt` 2.x sends, and the
 * cookies, built in one place so that they stay exact and never leak into a message.
 */

export const SESSION_COOKIE = '__Secure-next-auth.session-token'
export const CLEARANCE_COOKIE = 'cf_clearance'

/** The headers the web app sends with every request. */
export function browserHeaders(userAgent: string): Record<string, string> {
  return {
    'User-Agent': userAgent,
    'x-openai-assistant-app-id': '',
    'accept-language': 'en-US,en;q=0.9',
    origin: 'https://chat.openai.com',
    referer: 'https://chat.openai.com/chat'
  }
}

/** The cookie header value for the given cookies, leaving out the ones we do not have. */
export function cookieHeader(cookies: Record<string, string | undefined>): string {
  return Object.entries(cookies)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([name, value]) => `${name}=${value}`)
    .join('; ')
}

const COOKIE_VALUE = /^[\x21-\x7e]+$/
const COOKIE_SEPARATORS = /[;,"\\]/

/** How many chunks of one cookie we join at most (NextAuth splits a large session into `.0`, `.1`, …). */
const MAX_COOKIE_CHUNKS = 16

/**
 * The rotated session token from the answer's `Set-Cookie`, if the server sent one: whole, or
 * chunked into `…session-token.0`, `.1`, … as NextAuth does for a large session (joined in order;
 * a chunked set with a gap is no token), with its parts (each a secret of its own: a server may
 * echo one).
 */
export function rotatedSessionToken(headers: Headers): { token: string; parts: string[] } | undefined {
  const cookies = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : []
  let whole: string | undefined
  const chunks = new Map<number, string>()
  for (const cookie of cookies) {
    const nameEnd = cookie.indexOf('=')
    if (nameEnd === -1) continue
    const name = cookie.slice(0, nameEnd).trim()
    const end = cookie.indexOf(';')
    const value = cookie.slice(nameEnd + 1, end === -1 ? undefined : end).trim()
    // A value that could not go back into a cookie (a hostile `;` would add cookies of its own).
    if (!value || !COOKIE_VALUE.test(value) || COOKIE_SEPARATORS.test(value)) continue
    if (name === SESSION_COOKIE) whole ??= value
    const chunk = /^\.(\d{1,2})$/.exec(name.slice(SESSION_COOKIE.length))
    if (name.startsWith(SESSION_COOKIE) && chunk && Number(chunk[1]) < MAX_COOKIE_CHUNKS) chunks.set(Number(chunk[1]), value)
  }
  if (whole !== undefined) return { token: whole, parts: [whole] }
  if (chunks.size === 0) return undefined
  const parts: string[] = []
  for (let index = 0; index < chunks.size; index++) {
    const part = chunks.get(index)
    if (part === undefined) return undefined
    parts.push(part)
  }
  return { token: parts.join(''), parts }
}
