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

/** The rotated session token from the answer's `Set-Cookie`, if the server sent one. */
export function rotatedSessionToken(headers: Headers): string | undefined {
  const cookies = typeof headers.getSetCookie === 'function' ? headers.getSetCookie() : []
  for (const cookie of cookies) {
    if (!cookie.startsWith(`${SESSION_COOKIE}=`)) continue
    const end = cookie.indexOf(';')
    const value = cookie.slice(SESSION_COOKIE.length + 1, end === -1 ? undefined : end).trim()
    // A value that could not go back into a cookie (a hostile `;` would add cookies of its own).
    if (value && COOKIE_VALUE.test(value) && !COOKIE_SEPARATORS.test(value)) return value
  }
  return undefined
}
