/**
 * Calls waiting for an account lease, served first come first: the waiting half of a
 * coordinator. A coordinator gives it a way to take a lease (synchronously in one process, with
 * one round trip to a shared store across processes) and calls {@link LeaseWaiters.pump} whenever
 * an account may have become free or a mark changed; the waiters are never polled.
 */
import type { LeaseRequest } from '../coordinator.js'
import { whenAborted } from './abort-fanout.js'

export type LeaseTaker<L> = {
  /** A lease on the first free account of `candidates` (in their order), or `undefined` when none is. */
  tryTake(candidates: readonly string[]): L | undefined | Promise<L | undefined>
  /** Frees a lease that was taken for a waiter that stopped waiting meanwhile. */
  giveBack(lease: L): void
  /** The account a lease is on. */
  accountOf(lease: L): string
}

type Waiter<L> = {
  request: LeaseRequest
  resolve: (lease: L) => void
  reject: (error: unknown) => void
  unlink: () => void
  /** Served, failed or gone: out of the queue. */
  done: boolean
}

export class LeaseWaiters<L> {
  readonly #queue: Waiter<L>[] = []
  #pumping = false
  #again = false

  constructor(private readonly taker: LeaseTaker<L>) {}

  /** How many calls are waiting. */
  get size(): number {
    return this.#queue.length
  }

  /**
   * A lease for `request`, once every call that came before it and could use the same account
   * has been served. Aborting the request's signal leaves the queue at once.
   */
  wait(request: LeaseRequest): Promise<L> {
    const { signal } = request
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<L>((resolve, reject) => {
      const waiter: Waiter<L> = { request, resolve, reject, unlink: () => {}, done: false }
      this.#queue.push(waiter)
      waiter.unlink = whenAborted(signal, () => this.#settle(waiter, () => reject(signal.reason)))
      this.pump()
    })
  }

  /**
   * Serves what can be served now, oldest waiter first. Called while a pass runs, it runs one more
   * pass after it, so that no wake-up is lost.
   */
  pump(): void {
    if (this.#pumping) {
      this.#again = true
      return
    }
    this.#pumping = true
    void this.#drain()
  }

  /**
   * Whether a waiting call could take `accountId` now, for a coordinator that hears of releases
   * of accounts it may not wait for: across processes a pass costs a round trip per account, so a
   * release nobody here can use should not run one. A call whose candidates throw counts as
   * wanting it (the pass reports the error).
   */
  wants(accountId: string): boolean {
    return this.#queue.some((waiter) => {
      if (waiter.done) return false
      try {
        return waiter.request.candidates().includes(accountId)
      } catch {
        return true
      }
    })
  }

  /** Fails every waiting call with `reason`. */
  rejectAll(reason: unknown): void {
    for (const waiter of [...this.#queue]) this.#settle(waiter, () => waiter.reject(reason))
  }

  async #drain(): Promise<void> {
    try {
      do {
        this.#again = false
        await this.#pass()
      } while (this.#again)
    } finally {
      this.#pumping = false
    }
  }

  /**
   * One pass over the queue. An account found busy (or just leased) counts as busy for the rest
   * of the pass, so that a pass asks about each account at most once however many calls wait
   * (one round trip per account, not per waiter, with a shared store); a release during the pass
   * runs another pass.
   */
  async #pass(): Promise<void> {
    const busy = new Set<string>()
    for (const waiter of [...this.#queue]) {
      if (waiter.done) continue
      let open: string[]
      try {
        open = waiter.request.candidates().filter((id) => !busy.has(id))
      } catch (error) {
        this.#settle(waiter, () => waiter.reject(error))
        continue
      }
      if (open.length === 0) continue
      let lease: L | undefined
      try {
        lease = await this.taker.tryTake(open)
      } catch (error) {
        this.#settle(waiter, () => waiter.reject(error))
        continue
      }
      if (lease === undefined) {
        for (const id of open) busy.add(id)
        continue
      }
      // The lease is on the first free candidate: the ones before it were busy, and it is now.
      const taken = this.taker.accountOf(lease)
      for (const id of open.slice(0, open.indexOf(taken) + 1)) busy.add(id)
      if (waiter.done) {
        // It gave up while the lease was being taken: the next waiter gets the account.
        this.taker.giveBack(lease)
      } else {
        const granted = lease
        this.#settle(waiter, () => waiter.resolve(granted))
      }
    }
  }

  #settle(waiter: Waiter<L>, settle: () => void): void {
    if (waiter.done) return
    waiter.done = true
    waiter.unlink()
    const index = this.#queue.indexOf(waiter)
    if (index !== -1) this.#queue.splice(index, 1)
    settle()
  }
}
