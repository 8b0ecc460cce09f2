/**
 * Everything a client knows about who it is: the session token (and its rotations), the user,
 * and the access token with its cache. {@link AuthState.accessToken} is all the rest needs;
 * the refresh retries at this one level, and nothing retries around it.
 */
import { ChatGPTError } from '../errors.js'
import type { User } from '../types.js'
import type { AuthSource } from './auth-source.js'
import { backoffBeforeRetry } from './backoff.js'
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
  readonly #cache: AccessTokenCache
  readonly #options: AuthOptions

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
   * Forgets `token` after the server refused it, unless a newer one has replaced it already: the
   * next {@link AuthState.accessToken} asks the session for another.
   */
  invalidate(token: string): void {
    if (this.#cache.get() === token) this.#cache.clear()
  }

  async #refresh(): Promise<string> {
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
        if (session.rotatedSessionToken) {
          // The old token stays a secret: it may still be echoed back somewhere.
          secrets.add(session.rotatedSessionToken)
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
