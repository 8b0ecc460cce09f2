/**
 * When a JWT expires, from its `exp` claim, read without verifying anything (see `jwt-claims.ts`).
 */
import { jwtClaims } from './jwt-claims.js'

/** The largest time a `Date` can hold, in milliseconds either side of 1970. */
const MAX_DATE_MS = 8.64e15

/**
 * @returns The moment `token`'s `exp` claim names, in milliseconds since 1970; `undefined` when
 *   it is not a signed JWT (three parts) whose payload is a JSON object with a numeric `exp` a
 *   `Date` can hold.
 */
export function jwtExpiresAt(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
  const ms = exp * 1000
  return Math.abs(ms) <= MAX_DATE_MS ? ms : undefined
}
