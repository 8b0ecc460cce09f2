/**
 * One reply in flight per account, as the real backend enforces ("Only one message at a time").
 */
export class ReplySlots {
  readonly #busy = new Set<string>()

  /** Claims the account's slot; returns its release function, or `undefined` when taken. */
  acquire(accountId: string): (() => void) | undefined {
    if (this.#busy.has(accountId)) return undefined
    this.#busy.add(accountId)
    let released = false
    return () => {
      // Idempotent: a stream can end by several paths (done, fault, client abort, close()).
      if (released) return
      released = true
      this.#busy.delete(accountId)
    }
  }

  /** How many replies are streaming. */
  get size(): number {
    return this.#busy.size
  }
}
