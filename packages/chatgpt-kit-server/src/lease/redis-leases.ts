/**
 * Named leases in Redis, shared by every process that names the same Redis and prefix: the
 * cross-process form of "one reply in flight per account".
 *
 * - Taking one is `SET key token NX PX ttl` (in a script that tries several names in one round
 *   trip); giving it back is compare-and-delete, so a holder whose lease expired can't delete its
 *   successor's.
 * - A heartbeat renews the lease while the holder works, so a reply that streams for minutes keeps
 *   it, and a holder that died (kill -9) loses it after one TTL.
 * - Waiters are woken by a message published in the same step as the release, not by polling.
 *   A holder that died publishes nothing, so a waiter also wakes when the lease it waits for
 *   would expire by itself.
 */
import { randomUUID } from 'node:crypto'

import { ChatGPTError } from 'chatgpt-kit'
import type { Redis } from 'ioredis'

import { LuaScript } from '../redis/lua-script.js'
import { storeUnavailable, whereOf } from '../redis/store-unavailable.js'
import { whenReady } from '../redis/when-ready.js'
import { ACQUIRE_FIRST_FREE, RELEASE, RENEW } from './lease-scripts.js'

const acquireFirstFree = new LuaScript(ACQUIRE_FIRST_FREE)
const renew = new LuaScript(RENEW)
const release = new LuaScript(RELEASE)

const MAX_TIMER_MS = 2 ** 31 - 1

export const REDIS_LEASE_DEFAULTS = {
  /**
   * Long enough that a reply whose holder was cut off from the network has ended at the backend
   * before another process takes the account (3 s was not, in a partition test), and short
   * enough that a dead holder's account serves again well within 15 s.
   */
  ttlMs: 10_000,
  /** A third of the TTL: two renewals may fail in a row before the lease is at risk. */
  heartbeatFraction: 1 / 3
} as const

export interface RedisLeasesOptions {
  /** Prefix of every key and channel; processes that share leases use the same one. */
  prefix: string
  /** @defaultValue 10000 */
  ttlMs?: number
  /** How often a held lease is renewed. @defaultValue a third of `ttlMs` */
  heartbeatMs?: number
  /** Where Redis is, for error messages (`host:port`, never a password). @defaultValue the connection's `host:port` */
  where?: string
}

/** A lease this process holds. */
export interface RedisLease {
  /** The name it was taken under (one of the names asked for). */
  readonly name: string
  /**
   * Aborts if the lease is lost while held: another holder has it, or no renewal was confirmed
   * for a whole TTL since the last one was sent (Redis unreachable or not answering, or this
   * process frozen), after which another process may take it. Stop the work it guards.
   */
  readonly lost: AbortSignal
  /** Gives it back and wakes a waiter. Never throws: a lease that can't be released expires. */
  release(): Promise<void>
}

/** A caller waiting for one of `names`; `wake` is called at most once per wait. */
interface Waiter {
  /** Arrival order of the call, kept across its waits so a retry doesn't lose its place. */
  readonly seq: number
  readonly names: readonly string[]
  wake(): void
}

export class RedisLeases {
  readonly #redis: Redis
  readonly #subscriber: Redis
  readonly #prefix: string
  readonly #channel: string
  readonly #ttlMs: number
  readonly #heartbeatMs: number
  readonly #where: string
  /** In arrival order: a release wakes the first waiter that wants that name, and only it. */
  readonly #waiters: Waiter[] = []
  readonly #held = new Set<HeldLease>()
  /** Counts releases heard, so a waiter can tell one slipped by while it was asking Redis. */
  #releasesHeard = 0
  readonly #releaseListeners = new Set<(name: string | undefined) => void>()
  #nextSeq = 0
  #closed = false
  /** Redis commands sent, for the benchmark's round trips per message. */
  roundTrips = 0

  private constructor(redis: Redis, subscriber: Redis, options: RedisLeasesOptions) {
    this.#redis = redis
    this.#subscriber = subscriber
    this.#prefix = options.prefix
    this.#channel = `${options.prefix}lease-released`
    this.#ttlMs = options.ttlMs ?? REDIS_LEASE_DEFAULTS.ttlMs
    this.#heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.#ttlMs * REDIS_LEASE_DEFAULTS.heartbeatFraction))
    this.#where = options.where ?? whereOf(redis)
  }

  /**
   * Starts listening for releases on a second connection (a subscribed connection can't send
   * commands), duplicated from `redis`.
   *
   * @throws ChatGPTError `store_unavailable` when Redis doesn't answer.
   */
  static async open(redis: Redis, options: RedisLeasesOptions): Promise<RedisLeases> {
    if (!options.prefix) throw new ChatGPTError('RedisLeases needs a key prefix', { code: 'invalid_argument' })
    const ttl = options.ttlMs ?? REDIS_LEASE_DEFAULTS.ttlMs
    // Timers take at most 2^31-1 ms; beyond that Node fires them after 1 ms, and the heartbeat
    // would renew in a tight loop.
    if (!Number.isInteger(ttl) || ttl < 10 || ttl > MAX_TIMER_MS) {
      throw new ChatGPTError(`ttlMs must be a whole number of milliseconds, from 10 to ${MAX_TIMER_MS} (got ${ttl})`, { code: 'invalid_argument' })
    }
    const heartbeat = options.heartbeatMs
    if (heartbeat !== undefined && (!Number.isInteger(heartbeat) || heartbeat < 1 || heartbeat > MAX_TIMER_MS)) {
      throw new ChatGPTError(`heartbeatMs must be a whole number of milliseconds, from 1 to ${MAX_TIMER_MS} (got ${heartbeat})`, {
        code: 'invalid_argument'
      })
    }
    const subscriber = redis.duplicate()
    subscriber.on('error', () => {})
    const leases = new RedisLeases(redis, subscriber, options)
    try {
      if (subscriber.status === 'wait') await subscriber.connect()
      await subscriber.subscribe(leases.#channel)
    } catch (error) {
      subscriber.disconnect()
      throw storeUnavailable(leases.#where, error)
    }
    subscriber.on('message', (_channel: string, name: string) => leases.#onReleased(name))
    // ioredis subscribes again after a reconnect; what was published meanwhile is lost.
    subscriber.on('ready', () => whenReady(redis, leases.#lookAgain))
    return leases
  }

  /** After an outage: releases may have gone unheard, so everyone looks again. */
  readonly #lookAgain = () => this.#onReleased(undefined)

  /** The Redis key of a lease name. */
  keyOf(name: string): string {
    return `${this.#prefix}lease:${name}`
  }

  /**
   * Takes the first of `names` that is free, in the order given (the caller's preference), or
   * waits until one is. One round trip when one is free.
   *
   * @throws the signal's reason when it aborts while waiting; ChatGPTError `store_unavailable`
   *   when Redis can't be reached (at once, not after the wait).
   */
  async acquire(names: readonly string[], signal: AbortSignal): Promise<RedisLease> {
    if (names.length === 0) throw new ChatGPTError('acquire needs at least one name', { code: 'invalid_argument' })
    const seq = this.#nextSeq++
    for (;;) {
      signal.throwIfAborted()
      const heardBefore = this.#releasesHeard
      const result = await this.tryAcquire(names)
      if (result.lease) {
        // The abort may land while the script is in flight: the caller is gone and would never
        // release, and the heartbeat would keep the account taken for as long as we run.
        if (signal.aborted) {
          await result.lease.release()
          throw signal.reason
        }
        return result.lease
      }
      // A release that arrived while we were asking may have been for us: ask again at once.
      if (this.#releasesHeard !== heardBefore) continue
      await this.#waitForRelease(seq, names, result.freeInMs + 5, signal)
    }
  }

  /**
   * Takes the first of `names` that is free, in the order given, without waiting: one round trip.
   * When none is, `freeInMs` says when the first of them expires by itself (at most the TTL),
   * for a caller that waits on its own (see {@link RedisLeases.onRelease}).
   *
   * @throws ChatGPTError `store_unavailable` when Redis can't be reached.
   */
  async tryAcquire(names: readonly string[]): Promise<{ lease: RedisLease } | { lease?: undefined; freeInMs: number }> {
    this.#assertOpen()
    const token = randomUUID()
    // Redis counts the TTL from when it runs the script, which is after this.
    const sentAt = Date.now()
    let index: number
    let waitMs: number
    try {
      this.roundTrips++
      const answer = (await acquireFirstFree.run(
        this.#redis,
        names.map((name) => this.keyOf(name)),
        [token, this.#ttlMs]
      )) as [number, number]
      index = Number(answer[0])
      waitMs = Number(answer[1])
    } catch (error) {
      throw storeUnavailable(this.#where, error)
    }
    if (index > 0) {
      const lease = this.#hold(names[index - 1]!, token, sentAt)
      // Closed while the script was in flight: close() gave back only the leases it saw.
      if (this.#closed) {
        await lease.release()
        this.#assertOpen()
      }
      return { lease }
    }
    return { freeInMs: Math.min(Math.max(waitMs, 0), this.#ttlMs) }
  }

  /**
   * Calls `listener` with the name of every lease released by any process (and once with
   * `undefined` after the listening connection came back from an outage, when releases may have
   * been missed). For a caller that keeps its own waiting queue.
   *
   * @returns A function that stops the calls.
   */
  onRelease(listener: (name: string | undefined) => void): () => void {
    const wrapped = (name: string | undefined) => listener(name)
    this.#releaseListeners.add(wrapped)
    return () => void this.#releaseListeners.delete(wrapped)
  }

  /**
   * Stops renewing, gives back every lease this process holds, wakes its waiters with an error
   * and closes the listening connection. The `redis` connection given to `open` stays open.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([...this.#held].map((lease) => lease.release()))
    for (const waiter of this.#waiters.splice(0)) waiter.wake()
    await this.#subscriber.quit().catch(() => this.#subscriber.disconnect())
  }

  #hold(name: string, token: string, takenAt: number): RedisLease {
    const key = [this.keyOf(name)]
    const lease = new HeldLease(name, takenAt, {
      renew: async () => {
        this.roundTrips++
        return Number(await renew.run(this.#redis, key, [token, this.#ttlMs])) === 1
      },
      release: async () => {
        this.roundTrips++
        await release.run(this.#redis, key, [token, this.#channel, name])
      },
      done: () => this.#held.delete(lease),
      ttlMs: this.#ttlMs,
      heartbeatMs: this.#heartbeatMs,
      where: this.#where
    })
    this.#held.add(lease)
    return lease
  }

  /** Resolves when a release of one of `names` wakes us, or after `ms`; rejects on abort. */
  #waitForRelease(seq: number, names: readonly string[], ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        const at = this.#waiters.indexOf(waiter)
        if (at !== -1) this.#waiters.splice(at, 1)
      }
      const waiter: Waiter = { seq, names, wake: () => (done(), resolve()) }
      const onAbort = () => (done(), reject(signal.reason))
      const timer = setTimeout(waiter.wake, ms)
      signal.addEventListener('abort', onAbort, { once: true })
      let at = this.#waiters.length
      while (at > 0 && this.#waiters[at - 1]!.seq > seq) at--
      this.#waiters.splice(at, 0, waiter)
    })
  }

  #onReleased(name: string | undefined): void {
    this.#releasesHeard++
    for (const listener of [...this.#releaseListeners]) {
      try {
        listener(name)
      } catch {
        // One listener's failure is not the others' concern.
      }
    }
    if (name === undefined) {
      // Releases may have gone unheard while the connection was down: everyone looks again.
      for (const waiter of [...this.#waiters]) waiter.wake()
      return
    }
    // Only the first waiter that wants it: the others would all race for one lease, each costing
    // a round trip. If it loses to another process, it waits again and nobody here could have won.
    this.#waiters.find((waiter) => waiter.names.includes(name))?.wake()
  }

  #assertOpen(): void {
    if (this.#closed) throw new ChatGPTError('These Redis leases were closed', { code: 'aborted' })
  }
}

/** What a held lease needs from the leases that gave it out. */
interface LeaseOps {
  renew(): Promise<boolean>
  release(): Promise<void>
  done(): void
  ttlMs: number
  heartbeatMs: number
  where: string
}

class HeldLease implements RedisLease {
  readonly #controller = new AbortController()
  readonly #timer: NodeJS.Timeout
  readonly #ops: LeaseOps
  /**
   * Fires when the lease may have run out in Redis: one TTL after the last take or renewal that
   * Redis confirmed was sent. Renewals that fail, or get no answer (Redis cut off from this
   * process but not from the others), must not let the holder go on past that moment, when
   * another process may take the account; nor must a process that was frozen (SIGSTOP, a long
   * pause): when it runs again this timer is overdue and fires at once, without waiting for the
   * answer to a renewal.
   */
  #deadline: NodeJS.Timeout | undefined
  #lastError: unknown
  #released = false

  constructor(
    readonly name: string,
    takenAt: number,
    ops: LeaseOps
  ) {
    this.#ops = ops
    this.#timer = setInterval(() => void this.#heartbeat(), ops.heartbeatMs)
    // The work the lease guards keeps the process alive, not the heartbeat.
    this.#timer.unref()
    this.#confirmedUntil(takenAt + ops.ttlMs)
  }

  get lost(): AbortSignal {
    return this.#controller.signal
  }

  async release(): Promise<void> {
    if (this.#released) return
    this.#finish()
    if (this.#controller.signal.aborted) return
    // If Redis is away, the lease expires after its TTL: the caller's work is done either way.
    await this.#ops.release().catch(() => {})
  }

  async #heartbeat(): Promise<void> {
    if (this.#released) return
    const sentAt = Date.now()
    try {
      const renewed = await this.#ops.renew()
      if (this.#released) return
      if (renewed) {
        this.#lastError = undefined
        this.#confirmedUntil(sentAt + this.#ops.ttlMs)
        return
      }
      this.#lose(new ChatGPTError(`The lease on ${this.name} expired and may be held by another process`, { code: 'store_unavailable' }))
    } catch (error) {
      // The next beat tries again; the deadline decides when it is too late.
      this.#lastError = error
    }
  }

  #confirmedUntil(until: number): void {
    clearTimeout(this.#deadline)
    this.#deadline = setTimeout(() => {
      // Unconfirmed for a whole TTL: Redis may have let it go and another process taken it.
      const why = this.#lastError ?? new Error(`no renewal of the lease on ${this.name} was confirmed within its TTL`)
      if (!this.#released) this.#lose(storeUnavailable(this.#ops.where, why))
    }, Math.max(0, until - Date.now()))
    this.#deadline.unref()
  }

  #finish(): void {
    this.#released = true
    clearInterval(this.#timer)
    clearTimeout(this.#deadline)
    this.#ops.done()
  }

  #lose(reason: ChatGPTError): void {
    this.#finish()
    this.#controller.abort(reason)
  }
}
