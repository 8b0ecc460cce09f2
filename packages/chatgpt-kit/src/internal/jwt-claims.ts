/**
 * A JWT's claims, read without verifying anything: the server is the judge, and the claims only
 * spare a request that is bound to fail (`exp`) or name what the server would otherwise have to
 * be told (the account). The token is the caller's secret, so nothing here throws or says
 * anything about it.
 */

/** A payload longer than this is not a token anybody sends in a header; it is not decoded. */
const MAX_PAYLOAD_CHARS = 64 * 1024

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/

/**
 * @returns The payload of `token` as an object; `undefined` when it is not a signed JWT (three
 *   parts) whose payload is base64url of a UTF-8 JSON object.
 */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
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
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined
  } catch {
    // Not base64, not UTF-8, not JSON: a token of some other kind, used as it is.
    return undefined
  }
}

/** The claim OpenAI's access tokens keep the ChatGPT account under (PROTOCOL-2026.md §11.1). */
const AUTH_CLAIM = 'https://api.openai.com/auth'

// What may go into the `ChatGPT-Account-Id` header: an id (a uuid in every sample), nothing else.
const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,128}$/

/**
 * The ChatGPT account (workspace) an access token was issued for: its
 * `https://api.openai.com/auth`.`chatgpt_account_id` claim, when that is an id that can go into a
 * header; `undefined` otherwise (older tokens have no such claim).
 */
export function jwtChatGPTAccountId(token: string): string | undefined {
  const auth = jwtClaims(token)?.[AUTH_CLAIM]
  const id = auth && typeof auth === 'object' ? (auth as Record<string, unknown>).chatgpt_account_id : undefined
  return isAccountId(id) ? id : undefined
}

/** Whether `value` is an account id fit for the `ChatGPT-Account-Id` header. */
export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID.test(value)
}
