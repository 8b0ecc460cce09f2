/**
 * The models the pool's accounts offer, for `GET /v1/models` and to refuse an unknown `model`
 * with a 404 before anything is sent. Asking every account is not free, so the list is kept for a
 * while and fetched by one call at a time; when a refresh fails, the last list stays in use.
 */
import type { ChatGPTAccountPool, Model } from 'chatgpt-kit'

export class ModelCatalog {
  #models: Model[] | undefined
  #fetchedAt = 0
  #pending: Promise<Model[]> | undefined

  constructor(
    private readonly pool: ChatGPTAccountPool,
    private readonly maxAgeMs: number
  ) {}

  /** The models, fetched when the list is missing or older than `maxAgeMs`; rejects when none could be. */
  async list(): Promise<Model[]> {
    if (this.#models && Date.now() - this.#fetchedAt < this.maxAgeMs) return this.#models
    this.#pending ??= this.pool
      .getModels()
      .then((models) => {
        this.#models = models
        this.#fetchedAt = Date.now()
        return models
      })
      .catch((error: unknown) => {
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
