/**
 * The access-token cache: a value that lives for a TTL, and one refresh shared by every caller
 * that finds the cache cold (so a burst of messages costs one `/auth/session` request).
 */
export class AccessTokenCache {
  private token: string | undefined
  private expiresAt = 0
  private pending: Promise<string> | undefined

  constructor(private readonly ttlMs: number) {}

  /** The cached token, if it has not outlived the TTL. */
  get(): string | undefined {
    if (this.token !== undefined && Date.now() < this.expiresAt) return this.token
    this.token = undefined
    return undefined
  }

  set(token: string): void {
    this.token = token
    this.expiresAt = Date.now() + this.ttlMs
  }

  /** Forgets the token (e.g. after the server rejected it); an in-flight refresh still lands. */
  clear(): void {
    this.token = undefined
  }

  /** The cached token, or the result of `refresh`, which runs at most once at a time. */
  getOrRefresh(refresh: () => Promise<string>): Promise<string> {
    const cached = this.get()
    if (cached !== undefined) return Promise.resolve(cached)
    this.pending ??= refresh()
      .then((token) => {
        this.set(token)
        return token
      })
      .finally(() => {
        this.pending = undefined
      })
    return this.pending
  }
}
