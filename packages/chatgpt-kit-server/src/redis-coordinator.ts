/**
 * The coordinator of an account pool that runs in many processes, on many hosts: every process
 * that names the same Redis and prefix shares one reply in flight per account (the leases of
 * `lease/redis-leases.ts`), the cool-downs and the dead marks.
 *
 * Marks live in one Redis hash. Each process keeps a copy for the pool's synchronous reads,
 * loaded when it opens and again whenever any process announces a change (a message published
 * in the same step as the write), so a pick never waits for Redis.
 */
import { randomUUID } from 'node:crypto'

import {
  ChatGPTError,
  type AccountLease,
  type CooldownMark,
  type DeadMark,
  type LeaseRequest,
  type PoolCoordinator
} from 'chatgpt-kit'
import { FORGET_COOLDOWNS_AFTER_MS, LeaseWaiters, assertRecordId, checkCooldown } from 'chatgpt-kit/internal'
import type { Redis } from 'ioredis'

import { REDIS_LEASE_DEFAULTS, RedisLeases } from './lease/redis-leases.js'
import { storeUnavailable, whereOf } from './redis/store-unavailable.js'
import { whenReady } from './redis/when-ready.js'

/** Options of {@link RedisCoordinator.open}. */
export type RedisCoordinatorOptions = {
  /** A connection from `connectRedis` (its command timeout bounds every call). */
  redis: Redis
  /** Prefix of every key and channel; the processes of one pool use the same one. */
  prefix: string
  /**
   * How long an account's lease lasts without a heartbeat: a holder that died frees its account
   * after this long. @defaultValue 10000
   */
  leaseTtlMs?: number
  /** Where Redis is, for error messages (`host:port`, never a password). @defaultValue the connection's `host:port` */
  where?: string
}

/**
 * A {@link PoolCoordinator} on Redis.
 *
 * @example
 * ```ts
 * import { ChatGPTAccountPool } from 'chatgpt-kit'
 * import { RedisCoordinator, RedisStore, connectRedis } from 'chatgpt-kit-server'
 *
 * const redis = await connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
 * const coordinator = await RedisCoordinator.open({ redis, prefix: 'my-bot:' })
 * const store = new RedisStore({ redis, prefix: 'my-bot:' })
 * const pool = new ChatGPTAccountPool({ accounts, coordinator, store })
 * ```
 */
export class RedisCoordinator implements PoolCoordinator {
  readonly #redis: Redis
  readonly #subscriber: Redis
  readonly #leases: RedisLeases
  readonly #marksKey: string
  readonly #channel: string
  readonly #where: string
  #cooldowns = new Map<string, Map<string, CooldownMark>>()
  #dead = new Map<string, DeadMark>()
  readonly #listeners = new Set<() => void>()
  readonly #held = new Set<AccountLease & { abort(reason: unknown): void }>()
  readonly #waiters = new LeaseWaiters<AccountLease>({
    tryTake: (candidates) => this.#take(candidates),
    giveBack: (lease) => void lease.release(),
    accountOf: (lease) => lease.accountId
  })
  #cooldownTimer: NodeJS.Timeout | undefined
  #expiryTimer: NodeJS.Timeout | undefined
  /** When `#expiryTimer` fires, `Date.now()` milliseconds. */
  #expiryDue = 0
  #stopListening: () => void = () => {}
  #closed = false

  private constructor(options: RedisCoordinatorOptions, subscriber: Redis, leases: RedisLeases) {
    this.#redis = options.redis
    this.#subscriber = subscriber
    this.#leases = leases
    this.#marksKey = `${options.prefix}marks`
    this.#channel = `${options.prefix}marks-changed`
    this.#where = options.where ?? whereOf(options.redis)
  }

  /**
   * Connects the coordinator: loads the marks and starts listening for changes and releases.
   *
   * @throws ChatGPTError `store_unavailable` when Redis doesn't answer; `invalid_argument` for a
   *   missing connection or prefix.
   */
  static async open(options: RedisCoordinatorOptions): Promise<RedisCoordinator> {
    if (!options?.redis) throw new ChatGPTError('RedisCoordinator needs a redis connection', { code: 'invalid_argument' })
    if (typeof options.prefix !== 'string' || options.prefix === '') {
      throw new ChatGPTError('RedisCoordinator needs a key prefix', { code: 'invalid_argument' })
    }
    const where = options.where ?? whereOf(options.redis)
    const leases = await RedisLeases.open(options.redis, {
      prefix: options.prefix,
      ttlMs: options.leaseTtlMs ?? REDIS_LEASE_DEFAULTS.ttlMs,
      where
    })
    const subscriber = options.redis.duplicate()
    subscriber.on('error', () => {})
    const coordinator = new RedisCoordinator(options, subscriber, leases)
    try {
      if (subscriber.status === 'wait') await subscriber.connect()
      await subscriber.subscribe(coordinator.#channel)
      await coordinator.#reloadMarks()
    } catch (error) {
      subscriber.disconnect()
      await leases.close()
      throw error instanceof ChatGPTError ? error : storeUnavailable(where, error)
    }
    subscriber.on('message', () => coordinator.#reloadSoon())
    // Changes published while the connection was down are lost: read them all again.
    subscriber.on('ready', () => whenReady(options.redis, coordinator.#reloadAfterOutage))
    // Every process hears every release; one of an account no call here waits for is skipped, or
    // each waiting process would spend a round trip on it (undefined: after an outage, look again).
    coordinator.#stopListening = leases.onRelease((name) => {
      if (name === undefined || coordinator.#waiters.wants(name)) coordinator.#waiters.pump()
    })
    return coordinator
  }

  readonly #reloadAfterOutage = () => this.#reloadSoon()
  #reloading = false
  #reloadAgain = false

  /** How many calls of this process are waiting for a lease. */
  get waiting(): number {
    return this.#waiters.size
  }

  /** Redis commands sent for leases, for the benchmark's round trips per message. */
  get leaseRoundTrips(): number {
    return this.#leases.roundTrips
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
    const checked = checkCooldown(mark)
    await this.#write((multi) => multi.hset(this.#marksKey, cooldownField(checked.accountId, checked.model), JSON.stringify(checked)))
  }

  async clearCooldown(accountId: string, model: string): Promise<void> {
    assertRecordId('accountId', accountId)
    assertRecordId('model', model)
    // Not skipped when our copy has no such mark: the copy may be behind Redis (an announcement
    // lost in a reconnect, or not arrived yet), and a clear that does nothing is worse than a
    // round trip.
    await this.#write((multi) => multi.hdel(this.#marksKey, cooldownField(accountId, model)))
  }

  async markDead(mark: DeadMark): Promise<void> {
    assertRecordId('accountId', mark?.accountId)
    const { accountId, code, message, at } = mark
    const record: DeadMark = { accountId, code, message: String(message), at }
    await this.#write((multi) => multi.hset(this.#marksKey, deadField(accountId), JSON.stringify(record)))
  }

  async revive(accountId: string): Promise<void> {
    assertRecordId('accountId', accountId)
    // Not skipped when our copy has no such mark (see clearCooldown): a lost revive leaves the
    // account dead for good.
    await this.#write((multi) => multi.hdel(this.#marksKey, deadField(accountId)))
  }

  subscribe(listener: () => void): () => void {
    const wrapped = () => listener()
    this.#listeners.add(wrapped)
    return () => void this.#listeners.delete(wrapped)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#cooldownTimer)
    clearTimeout(this.#expiryTimer)
    this.#stopListening()
    this.#waiters.rejectAll(closedError())
    for (const lease of [...this.#held]) lease.abort(closedError())
    this.#listeners.clear()
    await this.#leases.close()
    await this.#subscriber.quit().catch(() => this.#subscriber.disconnect())
  }

  async #take(candidates: readonly string[]): Promise<AccountLease | undefined> {
    if (this.#closed) throw closedError()
    const result = await this.#leases.tryAcquire(candidates)
    if (!result.lease) {
      // A holder that died publishes no release: look again when its lease runs out.
      this.#wakeIn(result.freeInMs + 5)
      return undefined
    }
    const lease = result.lease
    const controller = new AbortController()
    const lost = () => controller.abort(lease.lost.reason)
    lease.lost.addEventListener('abort', lost, { once: true })
    const granted = {
      accountId: lease.name,
      token: randomUUID(),
      signal: controller.signal,
      abort: (reason: unknown) => {
        controller.abort(reason)
        void lease.release()
      },
      release: async () => {
        this.#held.delete(granted)
        lease.lost.removeEventListener('abort', lost)
        await lease.release()
      }
    }
    this.#held.add(granted)
    return granted
  }

  /**
   * One timer for the soonest lease expiry any waiting call saw: a later one is kept back (its
   * pass comes after), but an earlier one brings the timer forward, or a call waiting for a dead
   * holder's account would sleep until another account's longer lease ran out.
   */
  #wakeIn(ms: number): void {
    const due = Date.now() + ms
    if (this.#expiryTimer && this.#expiryDue <= due) return
    clearTimeout(this.#expiryTimer)
    this.#expiryDue = due
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined
      this.#waiters.pump()
    }, ms)
    this.#expiryTimer.unref()
  }

  /** Writes a mark and announces it to every process in one round trip, then reads it back. */
  async #write(change: (multi: ReturnType<Redis['multi']>) => unknown): Promise<void> {
    if (this.#closed) throw closedError()
    try {
      const multi = this.#redis.multi()
      change(multi)
      multi.publish(this.#channel, '1')
      const results = await multi.exec()
      const failed = results?.find(([error]) => error)
      if (failed) throw failed[0]
    } catch (error) {
      throw storeUnavailable(this.#where, error)
    }
    // Our own change is current here at once, not only when the announcement comes back.
    await this.#reloadMarks()
  }

  /**
   * A reload for an announcement: while one runs, any number of announcements make one more after
   * it, not one each (a burst of writes across the fleet would cost every process a full read of
   * the marks per write).
   */
  #reloadSoon(): void {
    if (this.#reloading) {
      this.#reloadAgain = true
      return
    }
    this.#reloading = true
    void (async () => {
      try {
        do {
          this.#reloadAgain = false
          await this.#reloadMarks().catch(() => {})
        } while (this.#reloadAgain && !this.#closed)
      } finally {
        this.#reloading = false
      }
    })()
  }

  async #reloadMarks(): Promise<void> {
    if (this.#closed) return
    let fields: Record<string, string>
    try {
      fields = await this.#redis.hgetall(this.#marksKey)
    } catch (error) {
      throw storeUnavailable(this.#where, error)
    }
    const cooldowns = new Map<string, Map<string, CooldownMark>>()
    const dead = new Map<string, DeadMark>()
    const forgetBefore = Date.now() - FORGET_COOLDOWNS_AFTER_MS
    for (const [field, json] of Object.entries(fields)) {
      const mark = parseMark(field, json)
      if (!mark) continue
      if (field.startsWith('cooldown:')) {
        const cooldown = mark as CooldownMark
        if (cooldown.until < forgetBefore) continue
        let marks = cooldowns.get(cooldown.accountId)
        if (!marks) cooldowns.set(cooldown.accountId, (marks = new Map()))
        marks.set(cooldown.model, cooldown)
      } else if (field.startsWith('dead:')) {
        dead.set((mark as DeadMark).accountId, mark as DeadMark)
      }
    }
    this.#cooldowns = cooldowns
    this.#dead = dead
    this.#changed()
  }

  /** After any change of the marks: subscribers hear of it, waiting calls look again. */
  #changed(): void {
    this.#scheduleCooldownEnd()
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
  #scheduleCooldownEnd(): void {
    clearTimeout(this.#cooldownTimer)
    this.#cooldownTimer = undefined
    const now = Date.now()
    let next = Infinity
    for (const marks of this.#cooldowns.values()) {
      for (const { until } of marks.values()) if (until > now && until < next) next = until
    }
    if (next === Infinity || this.#closed) return
    this.#cooldownTimer = setTimeout(() => this.#changed(), Math.min(next - now + 1, 2 ** 31 - 1))
    this.#cooldownTimer.unref()
  }
}

const cooldownField = (accountId: string, model: string) => `cooldown:${accountId}\n${model}`
const deadField = (accountId: string) => `dead:${accountId}`

/**
 * A mark as another process wrote it: anything malformed is skipped, not trusted. Its shape is
 * checked against its field's kind: a cool-down field holding a dead mark's shape (no `until`)
 * would otherwise become a cool-down the pool can't compare with a time.
 */
function parseMark(field: string, json: string): CooldownMark | DeadMark | undefined {
  try {
    const mark = JSON.parse(json) as Record<string, unknown>
    if (typeof mark !== 'object' || mark === null || typeof mark.accountId !== 'string') return undefined
    if (field.startsWith('cooldown:')) {
      if (typeof mark.until !== 'number' || typeof mark.model !== 'string' || typeof mark.strikes !== 'number') return undefined
      return mark as unknown as CooldownMark
    }
    if (typeof mark.code !== 'string' || typeof mark.message !== 'string') return undefined
    return mark as unknown as DeadMark
  } catch {
    return undefined
  }
}

function closedError(): ChatGPTError {
  return new ChatGPTError('The pool coordinator is closed', { code: 'store_unavailable' })
}
