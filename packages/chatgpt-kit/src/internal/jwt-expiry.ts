/**
 * When a JWT expires, from its `exp` claim, read without verifying anything: the server is the
 * judge, and this only spares a request that is bound to fail. The token is the caller's secret,
 * so nothing here throws or says anything about it.
 */

/** A payload longer than this is not a token anybody sends in a header; it is not decoded. */
const MAX_PAYLOAD_CHARS = 64 * 1024

/** The largest time a `Date` can hold, in milliseconds either side of 1970. */
const MAX_DATE_MS = 8.64e15

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/

/**
 * @returns The moment `token`'s `exp` claim names, in milliseconds since 1970; `undefined` when
 *   it is not a signed JWT (three parts) whose payload is a JSON object with a numeric `exp` a
 *   `Date` can hold.
 */
export function jwtExpiresAt(token: string): number | undefined {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  // A JWS has three parts; a JWE (five parts, like the session token) cannot be read.
  if (first === -1 || second === -1 || token.indexOf('.', second + 1) !== -1) return undefined
  const payload = token.slice(first + 1, second)
  if (payload.length > MAX_PAYLOAD_CHARS || !BASE64URL.test(payload)) return undefined
  try {
    const binary = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0))
    const claims: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    const exp = claims && typeof claims === 'object' ? (claims as { exp?: unknown }).exp : undefined
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
    const ms = exp * 1000
    return Math.abs(ms) <= MAX_DATE_MS ? ms : undefined
  } catch {
    // Not base64, not UTF-8, not JSON: a token of some other kind, used as it is.
    return undefined
  }
}
