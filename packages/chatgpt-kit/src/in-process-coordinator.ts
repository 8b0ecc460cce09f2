/**
 * The coordinator of a pool that runs in one process: leases, cool-downs and dead marks in
 * memory. The default of {@link ChatGPTAccountPool}.
 */
import { randomUUID } from 'node:crypto'

import type { AccountLease, CooldownMark, DeadMark, LeaseRequest, PoolCoordinator } from './coordinator.js'
import { ChatGPTError } from './errors.js'
import { FORGET_COOLDOWNS_AFTER_MS, checkCooldown } from './internal/cooldown-mark.js'
import { LeaseWaiters } from './internal/lease-waiters.js'
import { assertRecordId } from './internal/store-records.js'
import { MAX_TIMER_MS } from './internal/durations.js'

/**
 * A {@link PoolCoordinator} for one process: one lease per account, handed to waiting calls in
 * the order they came; cool-downs and dead marks kept in memory, with a timer that wakes waiting
 * calls and subscribers when a cool-down runs out. It cannot be shared between processes: each
 * process would then allow its own reply per account, and the backend refuses the second one.
 * For that, use the Redis coordinator of the server-side package.
 *
 * @example
 * ```ts
 * const coordinator = new InProcessCoordinator()
 * const pool = new ChatGPTAccountPool({ accounts, coordinator })
 * ```
 */
export class InProcessCoordinator implements PoolCoordinator {
  readonly #held = new Map<string, { token: string; controller: AbortController }>()
  readonly #cooldowns = new Map<string, Map<string, CooldownMark>>()
  readonly #dead = new Map<string, DeadMark>()
  readonly #listeners = new Set<() => void>()
  readonly #waiters = new LeaseWaiters<AccountLease>({
    tryTake: (candidates) => this.#take(candidates),
    giveBack: (lease) => void lease.release(),
    accountOf: (lease) => lease.accountId
  })
  #timer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  /** How many calls are waiting for a lease. */
  get waiting(): number {
    return this.#waiters.size
  }

  /** The accounts whose lease is held. */
  get leased(): string[] {
    return [...this.#held.keys()]
  }

  acquire(request: LeaseRequest): Promise<AccountLease> {
    if (this.#closed) return Promise.reject(closedError())
    return this.#waiters.wait(request)
  }

  cooldownOf(accountId: string, model: string): CooldownMark | undefined {
    const mark = this.#cooldowns.get(accountId)?.get(model)
    return mark && { ...mark }
  }

  cooldownsOf(accountId: string): readonly CooldownMark[] {
    return [...(this.#cooldowns.get(accountId)?.values() ?? [])].map((mark) => ({ ...mark }))
  }

  deadMarkOf(accountId: string): DeadMark | undefined {
    const mark = this.#dead.get(accountId)
    return mark && { ...mark }
  }

  async setCooldown(mark: CooldownMark): Promise<void> {
    this.#assertOpen()
    const checked = checkCooldown(mark)
    this.#forgetOldCooldowns()
    let marks = this.#cooldowns.get(checked.accountId)
    if (!marks) this.#cooldowns.set(checked.accountId, (marks = new Map()))
    marks.set(checked.model, checked)
    this.#changed()
  }

  async clearCooldown(accountId: string, model: string): Promise<void> {
    this.#assertOpen()
    const marks = this.#cooldowns.get(accountId)
    if (!marks?.delete(model)) return
    if (marks.size === 0) this.#cooldowns.delete(accountId)
    this.#changed()
  }

  async markDead(mark: DeadMark): Promise<void> {
    this.#assertOpen()
    assertRecordId('accountId', mark?.accountId)
    const { accountId, code, message, at } = mark
    this.#dead.set(accountId, { accountId, code, message: String(message), at })
    this.#changed()
  }

  async revive(accountId: string): Promise<void> {
    this.#assertOpen()
    if (this.#dead.delete(accountId)) this.#changed()
  }

  subscribe(listener: () => void): () => void {
    // A wrapper per call, so that the same function subscribed twice is two subscriptions.
    const wrapped = () => listener()
    this.#listeners.add(wrapped)
    return () => {
      this.#listeners.delete(wrapped)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#waiters.rejectAll(closedError())
    for (const { controller } of this.#held.values()) controller.abort(closedError())
    this.#held.clear()
    this.#listeners.clear()
  }

  #take(candidates: readonly string[]): AccountLease | undefined {
    const accountId = candidates.find((id) => !this.#held.has(id))
    if (accountId === undefined) return undefined
    const token = randomUUID()
    const controller = new AbortController()
    this.#held.set(accountId, { token, controller })
    return {
      accountId,
      token,
      signal: controller.signal,
      release: async () => {
        // Compare-and-delete: a lease released late never frees its successor's.
        if (this.#held.get(accountId)?.token !== token) return
        this.#held.delete(accountId)
        this.#waiters.pump()
      }
    }
  }

  /** After any change of the marks: subscribers hear of it, waiting calls look again. */
  #changed(): void {
    this.#scheduleWake()
    for (const listener of [...this.#listeners]) {
      try {
        listener()
      } catch {
        // One listener's failure is not the others' (nor the writer's) concern.
      }
    }
    this.#waiters.pump()
  }

  /** A timer for the next cool-down to run out, so that nobody has to poll for it. */
  #scheduleWake(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const now = Date.now()
    let next = Infinity
    for (const marks of this.#cooldowns.values()) {
      for (const { until } of marks.values()) if (until > now && until < next) next = until
    }
    if (next === Infinity || this.#closed) return
    this.#timer = setTimeout(() => this.#changed(), Math.min(next - now + 1, MAX_TIMER_MS))
    // A pending cool-down alone must not keep a process alive.
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #forgetOldCooldowns(): void {
    const cutoff = Date.now() - FORGET_COOLDOWNS_AFTER_MS
    for (const [accountId, marks] of this.#cooldowns) {
      for (const [model, mark] of marks) if (mark.until < cutoff) marks.delete(model)
      if (marks.size === 0) this.#cooldowns.delete(accountId)
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError()
  }
}

function closedError(): ChatGPTError {
  return new ChatGPTError('The pool coordinator is closed', { code: 'store_unavailable' })
}
