/**
 * An access token given as is (`ChatGPTAPI.fromAccessToken`). There is no session to buy another
 * one with, so it is used until it expires — its JWT `exp` claim passes, or the server refuses it
 * — and from then on every call fails at once, without a request, with `token_expired` saying
 * what to do. `accessTokenTTL` plays no part: nothing would replace the token once it "expired".
 */
import { ChatGPTError } from '../errors.js'
import type { AuthSource } from './auth-source.js'
import { jwtExpiresAt } from './jwt-expiry.js'
import type { Secrets } from './secrets.js'

export const CANNOT_REFRESH_HINT =
  'An access token cannot be refreshed: sign in again and pass the new access token, or use a session token instead.'

export class AccessTokenAuth implements AuthSource {
  readonly user = null
  readonly canRefresh = false
  readonly #token: string
  readonly #expiresAt: number | undefined
  #refusal: ChatGPTError | undefined

  constructor(token: string, secrets: Secrets) {
    this.#token = token
    this.#expiresAt = jwtExpiresAt(token)
    // The client's one credential: kept as a secret for its whole life, like a session token.
    secrets.add(token)
  }

  /**
   * The token, as long as it is neither past its `exp` nor refused by the server.
   * @throws ChatGPTError `token_expired` once it is.
   */
  async accessToken(): Promise<string> {
    const refusal = this.#refusal
    if (refusal) {
      const status = refusal.statusCode === undefined ? '' : ` (HTTP ${refusal.statusCode})`
      throw new ChatGPTError(`ChatGPT refused the access token${status}. ${CANNOT_REFRESH_HINT}`, {
        code: 'token_expired',
        statusCode: refusal.statusCode,
        statusText: refusal.statusText,
        response: refusal.response,
        originalError: refusal
      })
    }
    const expiresAt = this.#expiresAt
    if (expiresAt !== undefined && Date.now() >= expiresAt) {
      throw new ChatGPTError(
        `ChatGPT access token expired at ${new Date(expiresAt).toISOString()}. ${CANNOT_REFRESH_HINT}`,
        { code: 'token_expired' }
      )
    }
    return this.#token
  }

  invalidate(token: string, refusal: ChatGPTError): void {
    if (token === this.#token) this.#refusal = refusal
  }
}
