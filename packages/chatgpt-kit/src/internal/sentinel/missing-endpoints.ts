/**
 * Which of today's endpoints a server answered 404 to, remembered for a while so that every
 * message does not ask again (PROTOCOL-2026.md §14: the two-step sentinel falls back to the single
 * step, the conduit and `/f/conversation` to `/backend-api/conversation`). Remembered for the
 * bootstrap's TTL, not for ever: a server may gain the endpoint back.
 */
import { BOOTSTRAP_TTL_MS } from './bootstrap.js'

export type OptionalEndpoint = 'two-step sentinel' | 'conduit'

export class MissingEndpoints {
  readonly #missingSince = new Map<OptionalEndpoint, number>()

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether `endpoint` answered 404 less than the TTL ago. */
  has(endpoint: OptionalEndpoint): boolean {
    const since = this.#missingSince.get(endpoint)
    if (since === undefined) return false
    if (this.now() - since < BOOTSTRAP_TTL_MS) return true
    this.#missingSince.delete(endpoint)
    return false
  }

  /** `endpoint` answered 404: use its fallback for the TTL. */
  add(endpoint: OptionalEndpoint): void {
    this.#missingSince.set(endpoint, this.now())
  }
}
