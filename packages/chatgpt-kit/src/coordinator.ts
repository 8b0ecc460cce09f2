/**
 * What the processes of an account pool share: the lease that lets one reply at a time run on an
 * account, and the marks that say an account is cooling down or dead. The pool decides (which
 * account, how long a cool-down lasts); a coordinator only keeps and shares. In one process,
 * {@link InProcessCoordinator} is all there is; across processes and hosts, a Redis coordinator
 * (from the server-side package) keeps the same contract.
 */
import type { ChatGPTErrorCode } from './errors.js'

/**
 * A cool-down of one (account, model) pair: the server answered 429. Times are milliseconds
 * since the epoch, so that a mark can live in a shared store and mean the same in every process.
 */
export type CooldownMark = {
  accountId: string
  /** The model slug the server refused. */
  model: string
  /** When the pair may serve again. A mark whose time has passed no longer cools anything. */
  until: number
  /**
   * 429s in a row on this pair, this one included: the next cool-down without a server hint
   * grows with it. The pool clears the mark when the pair answers again.
   */
  strikes: number
}

/** An account whose session no longer signs in: it serves nothing until revived. */
export type DeadMark = {
  accountId: string
  /** Why: `session_expired` or `unauthorized`, as the sign-in failed. */
  code: ChatGPTErrorCode
  /** The sign-in failure's message (no secrets: errors are redacted before they get here). */
  message: string
  /** When it was marked, in milliseconds since the epoch. */
  at: number
}

/**
 * The right to run one reply on one account. Exactly one lease per account is held at a time,
 * across every process that shares the coordinator.
 */
export interface AccountLease {
  readonly accountId: string
  /** Unique per grant: a release only ever frees the lease it names (compare-and-delete). */
  readonly token: string
  /**
   * Aborts when the lease is lost before it was released (a shared store that could not renew
   * it in time, a coordinator that was closed). Its `reason` is the error the reply then fails
   * with (a ChatGPTError, `store_unavailable` for a store that went away). The pool aborts the
   * reply at once: another process may be given the account.
   */
  readonly signal: AbortSignal
  /**
   * Frees the account for the next waiter. Idempotent; never rejects (a lease that cannot be
   * released expires by itself).
   */
  release(): Promise<void>
}

/** What {@link PoolCoordinator.acquire} is asked for. */
export type LeaseRequest = {
  /**
   * The accounts that may take this call, best first. Called again on every try (health and load
   * change while a call waits), so it must be cheap and must not call the coordinator. When it
   * throws, the call stops waiting and `acquire` rejects with what it threw: that is how a pool
   * fails a waiting call fast once every account it could use is cooling down or dead.
   */
  candidates: () => readonly string[]
  /** Stops waiting: `acquire` rejects with the signal's reason and leaves no trace behind. */
  signal: AbortSignal
}

/**
 * The shared state of an account pool. Every method may be called from many calls at once.
 *
 * - **Leases:** {@link PoolCoordinator.acquire} grants a lease on the first free account of the
 *   request's candidates, or waits. Waiting calls are served in the order they came (within a
 *   process; across processes as fairly as the store allows), and are woken when a lease is
 *   released, when a mark changes and when a cool-down ends — never by polling in a tight loop.
 * - **Marks:** cool-downs and dead marks, written by any process, read by all. Reads are
 *   synchronous, from a view the coordinator keeps current (a shared store pushes changes to
 *   it), because the pool reads them for every pick.
 * - **Errors:** when the shared store cannot be reached, calls reject with ChatGPTError
 *   `store_unavailable` within a bounded time; a coordinator never falls back to deciding alone.
 */
export interface PoolCoordinator {
  /**
   * A lease on the first free account of `request.candidates()`, waiting in order while none is
   * free. Before its first call of `candidates`, the coordinator's marks are current.
   *
   * @throws what `candidates` threw; the signal's reason once it aborts; ChatGPTError
   *   `store_unavailable` when the shared state cannot be reached or the coordinator is closed.
   */
  acquire(request: LeaseRequest): Promise<AccountLease>
  /** The cool-down mark of a pair, whether or not it has run out (its `strikes` still count). */
  cooldownOf(accountId: string, model: string): CooldownMark | undefined
  /** Every cool-down mark of an account, run out or not. */
  cooldownsOf(accountId: string): readonly CooldownMark[]
  /** The dead mark of an account, if it is dead. */
  deadMarkOf(accountId: string): DeadMark | undefined
  /** Writes (or replaces) the cool-down of `mark.accountId` for `mark.model`. */
  setCooldown(mark: CooldownMark): Promise<void>
  /** Forgets the cool-down of a pair (it answered again). */
  clearCooldown(accountId: string, model: string): Promise<void>
  /** Marks an account dead (replacing an earlier mark). */
  markDead(mark: DeadMark): Promise<void>
  /** Forgets an account's dead mark, so that it is tried again. */
  revive(accountId: string): Promise<void>
  /**
   * Calls `listener` after every change of the marks, made by this process or another, and when a
   * cool-down runs out. A listener that throws does not stop the others.
   *
   * @returns A function that stops the calls.
   */
  subscribe(listener: () => void): () => void
  /**
   * Rejects every waiting `acquire`, aborts the leases still held (with ChatGPTError
   * `store_unavailable`), and releases what the coordinator holds (connections, timers). Later
   * calls reject with `store_unavailable`. Calling it again does nothing.
   */
  close(): Promise<void>
}
