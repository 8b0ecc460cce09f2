import type { TestReplyStats } from './types.js'

/**
 * One reply in flight per account, as the real backend enforces ("Only one message at a time"),
 * and what each account was asked: how many replies at once at most, how many were refused.
 */
export class ReplySlots {
  readonly #busy = new Set<string>()
  readonly #stats = new Map<string, TestReplyStats>()

  /** Claims the account's slot; returns its release function, or `undefined` when taken. */
  acquire(accountId: string): (() => void) | undefined {
    let stats = this.#stats.get(accountId)
    if (!stats) this.#stats.set(accountId, (stats = { inFlight: 0, maxInFlight: 0, refused: 0 }))
    const counted = stats
    if (this.#busy.has(accountId)) {
      // The refused request was a second reply asked of the account at the same moment.
      counted.refused++
      counted.maxInFlight = Math.max(counted.maxInFlight, counted.inFlight + 1)
      return undefined
    }
    this.#busy.add(accountId)
    counted.inFlight = 1
    counted.maxInFlight = Math.max(counted.maxInFlight, 1)
    let released = false
    return () => {
      // Idempotent: a stream can end by several paths (done, fault, client abort, close()).
      if (released) return
      released = true
      this.#busy.delete(accountId)
      counted.inFlight = 0
    }
  }

  /** How many replies are streaming. */
  get size(): number {
    return this.#busy.size
  }

  /** A copy of every account's counts, by `user.id`. */
  stats(): Record<string, TestReplyStats> {
    return Object.fromEntries([...this.#stats].map(([id, stats]) => [id, { ...stats }]))
  }

  /** Forgets the counts (not the replies in flight). */
  clearStats(): void {
    for (const [id, stats] of this.#stats) {
      if (stats.inFlight === 0) this.#stats.delete(id)
      else this.#stats.set(id, { inFlight: stats.inFlight, maxInFlight: stats.inFlight, refused: 0 })
    }
  }
}
