/**
 * Attacks on chatgpt-kit-server: aborts and closes landing while a Lua script is in flight, a
 * Redis restart under a waiter, marks written behind a coordinator's back, hostile mark values,
 * passwords in errors, round trips and mark reads counted (never timed), and stores given odd
 * ids, huge records, two writers and a deleted file. Every wait is bounded by an abort signal, so
 * a hang fails the test instead of stalling it.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

import { ChatGPTError, type ConversationStore, type StoredMessage } from '../packages/chatgpt-kit/src/index.js'
import { RedisLeases } from '../packages/chatgpt-kit-server/src/lease/redis-leases.js'
import { connectRedis } from '../packages/chatgpt-kit-server/src/redis/connect-redis.js'
import { RedisCoordinator } from '../packages/chatgpt-kit-server/src/redis-coordinator.js'
import { RedisStore } from '../packages/chatgpt-kit-server/src/stores/redis-store.js'
import { SqliteStore } from '../packages/chatgpt-kit-server/src/stores/sqlite-store.js'
import { poolSetup } from './helpers/pool.js'
import { PrivateRedis, SHARED_REDIS_URL, deletePrefix, testPrefix } from './helpers/redis.js'
import { errorViews, secretToken } from './helpers/secret-views.js'

const connections: Redis[] = []
const closers: Array<() => Promise<void>> = []
const prefixes: string[] = []
const never = new AbortController().signal
const request = (candidates: string[], signal = never) => ({ candidates: () => candidates, signal })

/** Fails (instead of hanging) when a wait takes longer than any healthy run could. */
const bounded = (ms = 8000) => AbortSignal.timeout(ms)

async function connection(url = SHARED_REDIS_URL): Promise<Redis> {
  const redis = await connectRedis(url, { commandTimeoutMs: 1000 })
  connections.push(redis)
  return redis
}

function newPrefix(label: string): string {
  const prefix = testPrefix(`attack-${label}`)
  prefixes.push(prefix)
  return prefix
}

async function leases(prefix: string, url = SHARED_REDIS_URL, ttlMs?: number): Promise<RedisLeases> {
  const result = await RedisLeases.open(await connection(url), { prefix, ttlMs })
  closers.push(() => result.close())
  return result
}

const coordinators: RedisCoordinator[] = []

async function coordinator(prefix: string, url = SHARED_REDIS_URL, leaseTtlMs?: number): Promise<RedisCoordinator> {
  const result = await RedisCoordinator.open({ redis: await connection(url), prefix, leaseTtlMs })
  coordinators.push(result)
  closers.push(() => result.close())
  return result
}

/** Polls `check` until it holds, failing after `signal` aborts. */
async function until(check: () => boolean | Promise<boolean>, signal = bounded()): Promise<void> {
  while (!(await check())) {
    signal.throwIfAborted()
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close().catch(() => {})))
  for (const redis of connections.splice(0)) redis.disconnect()
})

afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)))
})

describe('an abort or close that lands while the acquire script is in flight', () => {
  it('RedisLeases.acquire: the caller is gone, so the lease is given back at once (not held by a heartbeat)', async () => {
    const prefix = newPrefix('abort')
    const mine = await leases(prefix)
    const probe = await connection()
    const controller = new AbortController()
    // The script is sent synchronously by the call; the abort lands before its answer.
    const acquiring = mine.acquire(['a'], controller.signal)
    controller.abort(new Error('gone'))
    const outcome = await acquiring.then(
      (lease) => ({ lease }),
      (error: unknown) => ({ error })
    )
    expect(outcome).toMatchObject({ error: expect.objectContaining({ message: 'gone' }) })
    // Freed by a release, not by the TTL (10 s): another caller gets it well before.
    await until(async () => (await probe.exists(mine.keyOf('a'))) === 0, bounded(3000))
  })

  it('RedisLeases.close while an acquire is in flight: no lease outlives the close', async () => {
    const prefix = newPrefix('close')
    const mine = await leases(prefix)
    const probe = await connection()
    const acquiring = mine.acquire(['a'], bounded()).catch((error: unknown) => error)
    await mine.close()
    const outcome = await acquiring
    if (!(outcome instanceof Error)) await (outcome as { release(): Promise<void> }).release()
    await until(async () => (await probe.exists(mine.keyOf('a'))) === 0, bounded(3000))
    // And nothing renews it behind our back afterwards.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await probe.exists(mine.keyOf('a'))).toBe(0)
  })

  it('RedisCoordinator: an abort during the take gives the lease back, and the next caller gets the account', async () => {
    const prefix = newPrefix('coord-abort')
    const one = await coordinator(prefix)
    const other = await coordinator(prefix)
    const controller = new AbortController()
    const acquiring = one.acquire(request(['a'], controller.signal))
    controller.abort(new Error('gone'))
    await expect(acquiring).rejects.toThrow('gone')
    const lease = await other.acquire(request(['a'], bounded(3000)))
    expect(lease.accountId).toBe('a')
    await lease.release()
  })

  it('RedisCoordinator.close while a take is in flight: the account is free afterwards', async () => {
    const prefix = newPrefix('coord-close')
    const one = await coordinator(prefix)
    const probe = await connection()
    const acquiring = one.acquire(request(['a'], bounded())).catch((error: unknown) => error)
    await one.close()
    expect(await acquiring).toMatchObject({ code: 'store_unavailable' })
    await until(async () => (await probe.exists(`${prefix}lease:a`)) === 0, bounded(3000))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await probe.exists(`${prefix}lease:a`)).toBe(0)
  })

  it('a lease released twice, and released while a heartbeat is in flight, frees the account once and never frees a successor', async () => {
    const prefix = newPrefix('twice')
    const mine = await leases(prefix, SHARED_REDIS_URL, 30)
    const probe = await connection()
    const lease = await mine.acquire(['a'], bounded())
    // Let a few heartbeats (every 10 ms) go by, then release while one may be in flight.
    await new Promise((resolve) => setTimeout(resolve, 45))
    await Promise.all([lease.release(), lease.release()])
    const successor = await mine.acquire(['a'], bounded())
    await lease.release()
    expect(await probe.exists(mine.keyOf('a'))).toBe(1)
    expect(successor.lost.aborted).toBe(false)
    await successor.release()
    expect(await probe.exists(mine.keyOf('a'))).toBe(0)
  })
})

describe('careless lease options', () => {
  it('a TTL or heartbeat a timer cannot hold is refused (Node would fire it every 1 ms: a renewal storm)', async () => {
    const redis = await connection()
    for (const options of [{ ttlMs: 2 ** 40 }, { ttlMs: 60_000, heartbeatMs: 0 }, { ttlMs: 60_000, heartbeatMs: -5 }, { ttlMs: 60_000, heartbeatMs: 2 ** 32 }]) {
      await expect(RedisLeases.open(redis, { prefix: newPrefix('opts'), ...options }), JSON.stringify(options)).rejects.toMatchObject({
        code: 'invalid_argument'
      })
    }
    await expect(RedisCoordinator.open({ redis, prefix: newPrefix('opts'), leaseTtlMs: 2 ** 40 })).rejects.toMatchObject({ code: 'invalid_argument' })
  })
})

describe('Redis restarted under a waiter', () => {
  it('a waiter whose wake-up was lost in the restart still gets the account, without waiting for the TTL', async () => {
    const server = await PrivateRedis.start()
    try {
      const prefix = testPrefix('attack-restart')
      const holder = await coordinator(prefix, server.url, 60_000)
      const waiterRedis = await connection(server.url)
      const waiter = await RedisCoordinator.open({ redis: waiterRedis, prefix, leaseTtlMs: 60_000 })
      closers.push(() => waiter.close())
      const held = await holder.acquire(request(['a']))
      const waiting = waiter.acquire(request(['a'], bounded(15_000)))
      waiting.catch(() => {}) // awaited below; not unhandled while the server restarts
      // Replies come in order on a connection: after this one, the waiter's look has its answer
      // (busy), and it waits for a release rather than failing on the restart.
      await waiterRedis.ping()
      await new Promise((resolve) => setImmediate(resolve))
      expect(waiter.waiting).toBe(1)
      await server.stop()
      await server.start()
      // The restart lost the lease (no persistence): the holder learns it on its next heartbeat;
      // the waiter, whose subscriber comes back, must look again by itself.
      const lease = await waiting
      expect(lease.accountId).toBe('a')
      await held.release()
      await lease.release()
    } finally {
      await server.stop()
    }
  })
})

describe('marks', () => {
  it('revive deletes a dead mark this coordinator has not heard of yet (its copy is behind Redis)', async () => {
    const prefix = newPrefix('revive')
    const one = await coordinator(prefix)
    const writer = await connection()
    // Written without the announcement, as when the message is lost in a reconnect.
    await writer.hset(`${prefix}marks`, 'dead:a', JSON.stringify({ accountId: 'a', code: 'session_expired', message: 'x', at: 1 }))
    expect(one.deadMarkOf('a')).toBeUndefined()
    await one.revive('a')
    expect(await writer.hexists(`${prefix}marks`, 'dead:a')).toBe(0)
  })

  it('revive racing markDead from two coordinators ends with both copies agreeing with Redis', async () => {
    const prefix = newPrefix('race')
    const [one, two] = [await coordinator(prefix), await coordinator(prefix)]
    const writer = await connection()
    for (let round = 0; round < 20; round++) {
      await Promise.all([one.markDead({ accountId: 'a', code: 'session_expired', message: 'dead', at: round }), two.revive('a')])
      const inRedis = (await writer.hexists(`${prefix}marks`, 'dead:a')) === 1
      await until(() => (one.deadMarkOf('a') !== undefined) === inRedis && (two.deadMarkOf('a') !== undefined) === inRedis)
      if (inRedis) await two.revive('a')
      await until(() => one.deadMarkOf('a') === undefined && two.deadMarkOf('a') === undefined)
      expect(await writer.hexists(`${prefix}marks`, 'dead:a')).toBe(0)
    }
  })

  it('hostile mark values (wrong kind for the field, prototype keys, huge strings) are skipped or kept as data, never crash a reload', async () => {
    const prefix = newPrefix('hostile')
    const writer = await connection()
    await writer.hset(
      `${prefix}marks`,
      // A cool-down field holding a dead mark's shape: no until/model/strikes.
      'cooldown:a\ngpt-4',
      JSON.stringify({ accountId: 'a', code: 'x', message: 'y', at: 1 }),
      'dead:__proto__',
      JSON.stringify({ accountId: '__proto__', code: 'x', message: 'y', at: 1 }),
      'dead:b',
      JSON.stringify({ accountId: 'b', code: 'x', message: 'm'.repeat(1_000_000), at: 1 }),
      'cooldown:c\nm',
      'null',
      'dead:d',
      '[1,2]',
      'other',
      '{"accountId":"e"}'
    )
    const one = await coordinator(prefix)
    expect(one.cooldownsOf('a')).toEqual([])
    expect(one.cooldownOf('a', 'gpt-4')).toBeUndefined()
    expect(one.deadMarkOf('__proto__')).toMatchObject({ code: 'x' })
    expect(({} as Record<string, unknown>).code).toBeUndefined()
    expect(one.deadMarkOf('b')?.message).toHaveLength(1_000_000)
    expect(one.cooldownsOf('c')).toEqual([])
    expect(one.deadMarkOf('d')).toBeUndefined()
  })

  it('10 000 marks load, and a change still reaches another coordinator', async () => {
    const prefix = newPrefix('many')
    const writer = await connection()
    const until_ = Date.now() + 600_000
    const args: string[] = []
    for (let i = 0; i < 10_000; i++) args.push(`cooldown:acc${i}\nm`, JSON.stringify({ accountId: `acc${i}`, model: 'm', until: until_, strikes: 1 }))
    await writer.hset(`${prefix}marks`, ...args)
    const [one, two] = [await coordinator(prefix), await coordinator(prefix)]
    expect(one.cooldownOf('acc9999', 'm')?.until).toBe(until_)
    await one.markDead({ accountId: 'acc1', code: 'session_expired', message: 'x', at: 1 })
    await until(() => two.deadMarkOf('acc1') !== undefined)
  })
})

describe('a burst of mark announcements', () => {
  it('200 announcements in a burst cost a coordinator a few reads of the marks, not 200', async () => {
    const server = await PrivateRedis.start()
    try {
      const prefix = testPrefix('attack-burst')
      await coordinator(prefix, server.url)
      const admin = await connection(server.url)
      const reads = async () => Number(/cmdstat_hgetall:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0)
      const before = await reads()
      const multi = admin.multi()
      for (let i = 0; i < 200; i++) multi.publish(`${prefix}marks-changed`, '1')
      await multi.exec()
      // A marker after the burst: once it is read, every announcement before it was heard.
      await admin.hset(`${prefix}marks`, 'dead:z', JSON.stringify({ accountId: 'z', code: 'x', message: 'y', at: 1 }))
      const seen = coordinators.at(-1)!
      await admin.publish(`${prefix}marks-changed`, '1')
      await until(() => seen.deadMarkOf('z') !== undefined)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect((await reads()) - before).toBeLessThanOrEqual(10)
    } finally {
      await server.stop()
    }
  })
})

describe('passwords never appear in errors', () => {
  it('connectRedis to a port where nothing listens', async () => {
    const password = secretToken('redispw')
    const error = await connectRedis(`redis://:${password}@127.0.0.1:1/0`, { connectTimeoutMs: 500 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChatGPTError)
    for (const [view, text] of Object.entries(errorViews(error))) expect(text, view).not.toContain(password)
  })

  it('connectRedis with a password the server refuses (the AUTH command carries it)', async () => {
    const password = secretToken('redispw')
    const url = SHARED_REDIS_URL.replace('redis://', `redis://user-${password.slice(0, 6)}:${password}@`)
    const error = await connectRedis(url, { connectTimeoutMs: 1000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChatGPTError)
    for (const [view, text] of Object.entries(errorViews(error))) expect(text, view).not.toContain(password)
  })
})

describe('round trips, counted', () => {
  it('a free account: acquire then release is 2 lease commands, per message, however many times', async () => {
    const one = await coordinator(newPrefix('trips'))
    const before = one.leaseRoundTrips
    for (let i = 0; i < 20; i++) await (await one.acquire(request(['a', 'b', 'c']))).release()
    expect(one.leaseRoundTrips - before).toBe(40)
  })

  it('with 10 callers waiting on one account, each hand-over costs a bounded number of round trips', async () => {
    const one = await coordinator(newPrefix('waiters'))
    let lease = await one.acquire(request(['a']))
    const signal = bounded(15_000)
    const waiting = Array.from({ length: 10 }, () => one.acquire(request(['a'], signal)))
    await until(() => one.waiting === 10)
    const before = one.leaseRoundTrips
    for (let i = 0; i < 10; i++) {
      await lease.release()
      lease = await waiting[i]!
    }
    await lease.release()
    // Per hand-over: the release, the waiter's take, and at most a couple of looks that found it
    // busy (a pass that was running when the release came). Not one per waiter.
    const perHandOver = (one.leaseRoundTrips - before) / 10
    expect(perHandOver).toBeLessThanOrEqual(4)
  })
})

describe('round trips of a waiter while other accounts turn over', () => {
  it('releases of an account nobody here waits for cost a waiting process no round trips', async () => {
    const prefix = newPrefix('herd')
    const [busy, waiterSide] = [await coordinator(prefix), await coordinator(prefix)]
    const heldA = await busy.acquire(request(['a']))
    const waiting = waiterSide.acquire(request(['a'], bounded(15_000)))
    await until(() => waiterSide.waiting === 1 && waiterSide.leaseRoundTrips === 1)
    const before = waiterSide.leaseRoundTrips
    for (let i = 0; i < 20; i++) await (await busy.acquire(request(['b']))).release()
    // Let the 20 announcements arrive: one more release, of 'a', is heard after them all.
    await heldA.release()
    const lease = await waiting
    expect(lease.accountId).toBe('a')
    // The take after the release of 'a', and nothing for the 20 releases of 'b'.
    expect(waiterSide.leaseRoundTrips - before).toBe(1)
    await lease.release()
  })
})

describe('stores under attack', () => {
  const dirs: string[] = []
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatgpt-kit-attack-'))
    dirs.push(dir)
    return dir
  }
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  const message = (id: string, text = 'hi'): StoredMessage => ({ id, role: 'user', text, createdAt: 1 })

  async function bothStores(): Promise<Array<[string, ConversationStore]>> {
    const sqlite = SqliteStore.open({ path: join(await tempDir(), 'store.sqlite') })
    closers.push(() => sqlite.close())
    const redisStore = new RedisStore({ redis: await connection(), prefix: newPrefix('store') })
    return [
      ['SqliteStore', sqlite],
      ['RedisStore', redisStore]
    ]
  }

  it('unicode ids round-trip; ids with control characters are refused; two lone surrogates never share a record', async () => {
    for (const [name, store] of await bothStores()) {
      for (const id of ['😀', 'ünï:cödé', 'a:b:c', 'مرحبا', ' spaced ', 'x'.repeat(256)]) {
        await store.putMessage(message(id, `text of ${id}`))
        expect((await store.getMessage(id))?.text, `${name} ${id}`).toBe(`text of ${id}`)
      }
      for (const id of ['a\nb', 'a\u0000b', '\x7f', '']) {
        await expect(store.putMessage(message(id)), `${name} ${JSON.stringify(id)}`).rejects.toMatchObject({ code: 'invalid_argument' })
      }
      // Both would be written as U+FFFD in UTF-8: refused, or kept apart, never one for the other.
      const put = await store.putMessage(message('\ud800', 'first')).then(
        () => true,
        (error: { code?: string }) => (expect(error.code).toBe('invalid_argument'), false)
      )
      if (put) expect(await store.getMessage('\udbff').catch(() => undefined), name).toBeUndefined()
    }
  })

  it('a 10 MB record is written and read whole', async () => {
    for (const [name, store] of await bothStores()) {
      const text = 'é😀x'.repeat(2_500_000)
      await store.putMessage(message('big', text))
      const read = await store.getMessage('big')
      expect(read?.text.length, name).toBe(text.length)
      expect(read?.text === text, name).toBe(true)
    }
  })

  it('two processes writing one SQLite file at once both succeed (the busy timeout, not SQLITE_BUSY)', async () => {
    const path = join(await tempDir(), 'shared.sqlite')
    SqliteStore.open({ path }).close()
    const script = (label: string) => `
      import { SqliteStore } from ${JSON.stringify(new URL('../packages/chatgpt-kit-server/build/index.js', import.meta.url).href)}
      const store = SqliteStore.open({ path: ${JSON.stringify(path)} })
      for (let i = 0; i < 300; i++) {
        await store.putMessage({ id: '${label}' + i, role: 'user', text: 'x'.repeat(2000), createdAt: i })
      }
      await store.close()
    `
    const children = ['p', 'q'].map((label) => spawn(process.execPath, ['--input-type=module', '-e', script(label)], { stdio: ['ignore', 'ignore', 'pipe'] }))
    const errors = children.map((child) => {
      let text = ''
      child.stderr!.on('data', (chunk) => (text += chunk))
      return () => text
    })
    const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0]))
    expect(codes, errors.map((e) => e()).join('\n')).toEqual([0, 0])
    const store = SqliteStore.open({ path })
    closers.push(() => store.close())
    expect((await store.getMessage('p299'))?.createdAt).toBe(299)
    expect((await store.getMessage('q299'))?.createdAt).toBe(299)
  })

  it('a SQLite file deleted under an open store: writes fail with store_unavailable or keep working, never crash or hang', async () => {
    const path = join(await tempDir(), 'gone.sqlite')
    const store = SqliteStore.open({ path })
    closers.push(() => store.close())
    await store.putMessage(message('before'))
    await unlink(path)
    await unlink(`${path}-wal`).catch(() => {})
    await unlink(`${path}-shm`).catch(() => {})
    const outcome = await store.putMessage(message('after')).then(
      () => 'written',
      (error: { code?: string }) => error.code
    )
    expect(['written', 'store_unavailable']).toContain(outcome)
    // A new store at the same path starts empty and works.
    const fresh = SqliteStore.open({ path })
    closers.push(() => fresh.close())
    await fresh.putMessage(message('fresh'))
    expect((await fresh.getMessage('fresh'))?.text).toBe('hi')
  })
})

describe('a coordinator closed under its pool', () => {
  it('a reply streaming on a lease stops when the coordinator closes (the lease is aborted), and the account is free', async () => {
    const prefix = newPrefix('pool-close')
    const one = await coordinator(prefix)
    const setup = await poolSetup(1, { eventDelayMs: 20 }, { coordinator: one })
    const probe = await connection()
    let progressed!: () => void
    const started = new Promise<void>((resolve) => (progressed = resolve))
    const sending = setup.pool
      .sendMessage('write me something long '.repeat(20), { timeoutMs: 10_000, onProgress: () => progressed() })
      .then(
        () => 'answered',
        (error: { code?: string }) => error.code ?? 'error'
      )
    await started
    await one.close()
    // Stopped, not answered in full and not hanging until the timeout.
    expect(await sending).not.toBe('answered')
    await until(() => Object.values(setup.backend.replyStats()).every((stats) => stats.inFlight === 0))
    expect(await probe.exists(`${prefix}lease:a`)).toBe(0)
  })
})

describe('a password in the Redis URL, after the server stops taking it', () => {
  it('never shows in errors from RedisLeases, RedisCoordinator or RedisStore', async () => {
    const server = await PrivateRedis.start()
    try {
      const password = secretToken('redispw')
      const admin = await connection(server.url)
      await admin.config('SET', 'requirepass', password)
      const url = server.url.replace('redis://', `redis://:${password}@`)
      const redis = await connectRedis(url, { commandTimeoutMs: 500 })
      connections.push(redis)
      const prefix = testPrefix('attack-pw')
      const one = await RedisCoordinator.open({ redis, prefix })
      closers.push(() => one.close())
      const store = new RedisStore({ redis, prefix })
      await store.putMessage({ id: 'm', role: 'user', text: 'hi', createdAt: 1 })
      // The password changes and every connection is dropped: each reconnect's AUTH is refused.
      const other = await connectRedis(url)
      connections.push(other)
      await other.config('SET', 'requirepass', secretToken('newpw'))
      await other.client('KILL', 'TYPE', 'normal').catch(() => {})
      await other.client('KILL', 'TYPE', 'pubsub').catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 200))
      const errors = [
        await one.acquire(request(['a'], bounded())).catch((e: unknown) => e),
        await one.setCooldown({ accountId: 'a', model: 'm', until: Date.now() + 1000, strikes: 1 }).catch((e: unknown) => e),
        await store.getMessage('m').catch((e: unknown) => e),
        await connectRedis(url, { connectTimeoutMs: 1000 }).catch((e: unknown) => e)
      ]
      for (const error of errors) {
        expect(error).toBeInstanceOf(ChatGPTError)
        // Where Redis is, from the connection itself when no `where` was given.
        expect((error as Error).message).toContain(`127.0.0.1:${server.port}`)
        for (const [view, text] of Object.entries(errorViews(error))) expect(text, view).not.toContain(password)
      }
    } finally {
      await server.stop()
    }
  })
})
