/**
 * The models the pool's accounts offer, for `GET /v1/models` and to refuse an unknown `model`
 * with a 404 before anything is sent. Asking every account is not free, so the list is kept for a
 * while and fetched by one call at a time; when a refresh fails, the last list stays in use, and
 * the accounts are not asked again for {@link RETRY_FAILED_LIST_MS}: otherwise every request
 * would ask every account (each with its own retries) while their models endpoint is down.
 */
import type { ChatGPTAccountPool, Model } from 'chatgpt-kit'

/** How long after a failed fetch the list is not asked for again. */
export const RETRY_FAILED_LIST_MS = 10_000

export class ModelCatalog {
  #models: Model[] | undefined
  #fetchedAt = 0
  #pending: Promise<Model[]> | undefined
  /** After a failed fetch: no fetch before this time, and what to answer meanwhile. */
  #failed: { retryAt: number; error: unknown } | undefined

  constructor(
    private readonly pool: ChatGPTAccountPool,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now
  ) {}

  /** The models, fetched when the list is missing or older than `maxAgeMs`; rejects when none could be. */
  async list(): Promise<Model[]> {
    if (this.#models && this.now() - this.#fetchedAt < this.maxAgeMs) return this.#models
    if (this.#failed && this.now() < this.#failed.retryAt) {
      if (this.#models) return this.#models
      throw this.#failed.error
    }
    this.#pending ??= this.pool
      .getModels()
      .then((models) => {
        this.#models = models
        this.#fetchedAt = this.now()
        this.#failed = undefined
        return models
      })
      .catch((error: unknown) => {
        this.#failed = { retryAt: this.now() + RETRY_FAILED_LIST_MS, error }
        if (this.#models) return this.#models
        throw error
      })
      .finally(() => {
        this.#pending = undefined
      })
    return this.#pending
  }

  /** Whether an account offers `slug`; `undefined` when the list cannot be had (the pool will say). */
  async has(slug: string): Promise<boolean | undefined> {
    try {
      return (await this.list()).some((model) => model.slug === slug)
    } catch {
      return undefined
    }
  }
}
