/**
 * Everything a client knows about who it is: the session token (and its rotations), the user,
 * and the access token with its cache. {@link AuthState.accessToken} is all the rest needs;
 * the refresh retries at this one level, and nothing retries around it.
 */
import { ChatGPTError } from '../errors.js'
import type { User } from '../types.js'
import type { AuthSource } from './auth-source.js'
import { backoffBeforeRetry } from './backoff.js'
import type { AuthEvent } from './client-hooks.js'
import { raceAbort } from './race-abort.js'
import { requestSession } from './session-auth.js'
import type { Secrets } from './secrets.js'
import { AccessTokenCache } from './token-cache.js'
import type { Transport } from './transport.js'

export type AuthOptions = {
  sessionToken: string
  accessToken: string | undefined
  accessTokenTTL: number
  apiBaseUrl: string
  maxRetries: number
  transport: Transport
  secrets: Secrets
}

export class AuthState implements AuthSource {
  readonly canRefresh = true
  #sessionToken: string
  #user: User | null = null
  #accountId: string | undefined
  readonly #cache: AccessTokenCache
  readonly #options: AuthOptions
  readonly #observers = new Set<(event: AuthEvent) => void>()

  constructor(options: AuthOptions) {
    this.#options = options
    this.#sessionToken = options.sessionToken
    this.#cache = new AccessTokenCache(options.accessTokenTTL)
    options.secrets.add(options.sessionToken)
    if (options.accessToken) {
      options.secrets.addAccessToken(options.accessToken)
      this.#cache.set(options.accessToken)
    }
  }

  /** The signed-in user, once a session answer named one. */
  get user(): User | null {
    return this.#user
  }

  /** The account id the last session answer named (`account.id`), if any. */
  get accountId(): string | undefined {
    return this.#accountId
  }

  /**
   * A valid access token: the cached one, or a fresh one from the session. Callers on a cold
   * cache share one refresh; each stops waiting when its own `signal` aborts (the refresh goes on
   * for the others, bounded by its own deadline).
   *
   * @throws the signal's reason; a ChatGPTError starting "ChatGPT failed to refresh auth token."
   */
  accessToken(signal?: AbortSignal): Promise<string> {
    const token = this.#cache.getOrRefresh(() => this.#refresh())
    return signal ? raceAbort(token, signal) : token
  }

  /**
   * Calls `listener` when a refresh starts and when it ends (with its final, redacted error when
   * it failed): the account pool shows an account as refreshing, and marks it dead when its
   * session is gone.
   *
   * @returns A function that stops the calls.
   */
  observe(listener: (event: AuthEvent) => void): () => void {
    const wrapped = (event: AuthEvent) => listener(event)
    this.#observers.add(wrapped)
    return () => {
      this.#observers.delete(wrapped)
    }
  }

  /**
   * Forgets `token` after the server refused it, unless a newer one has replaced it already: the
   * next {@link AuthState.accessToken} asks the session for another.
   */
  invalidate(token: string): void {
    if (this.#cache.get() === token) this.#cache.clear()
  }

  async #refresh(): Promise<string> {
    this.#notify({ refreshing: true })
    try {
      const token = await this.#signIn()
      this.#notify({ refreshing: false })
      return token
    } catch (error) {
      this.#notify({ refreshing: false, error })
      throw error
    }
  }

  #notify(event: AuthEvent): void {
    for (const observer of [...this.#observers]) {
      try {
        observer(event)
      } catch {
        // An observer's failure must not fail the sign-in every waiting call shares.
      }
    }
  }

  async #signIn(): Promise<string> {
    const { transport, apiBaseUrl, maxRetries, secrets } = this.#options
    const backoff = { what: 'GET /auth/session', maxRetries, idempotent: true, log: (line: string) => transport.log(line) }
    for (let retries = 0; ; retries++) {
      try {
        const session = await requestSession(transport, {
          apiBaseUrl,
          sessionToken: this.#sessionToken,
          attempt: retries + 1
        })
        if (session.user) this.#user = session.user
        // Each answer names the account of the token it hands out: an answer without one is a
        // token of no account in particular, not the last one's.
        this.#accountId = session.accountId
        if (session.rotatedSessionToken) {
          // The old token stays a secret: it may still be echoed back somewhere.
          secrets.add(session.rotatedSessionToken)
          for (const part of session.rotatedSessionParts ?? []) secrets.add(part)
          this.#sessionToken = session.rotatedSessionToken
        }
        transport.log(`GET /auth/session: signed in${session.rotatedSessionToken ? ', session token rotated' : ''}`)
        secrets.addAccessToken(session.accessToken)
        return session.accessToken
      } catch (error) {
        if (!(await backoffBeforeRetry(backoff, error, retries))) {
          throw error instanceof ChatGPTError ? secrets.redactError(error) : error
        }
      }
    }
  }
}
