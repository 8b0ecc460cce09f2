/**
 * The account lease on a real redis-server: one holder per name across connections and processes,
 * release that can't delete a successor's lease, a heartbeat that outlives the TTL, wake-ups by
 * pub/sub, a holder killed with SIGKILL, and Redis going away.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { connectRedis } from '../packages/chatgpt-kit-server/src/redis/connect-redis.js'
import { RedisLeases } from '../packages/chatgpt-kit-server/src/lease/redis-leases.js'
import { PrivateRedis, SHARED_REDIS_URL, deletePrefix, testPrefix } from './helpers/redis.js'
import { startTcpProxy } from './helpers/tcp-proxy.js'

const SERVER_BUILD = fileURLToPath(new URL('../packages/chatgpt-kit-server/build/index.js', import.meta.url))

let redis: Redis
const opened: RedisLeases[] = []
const prefixes: string[] = []

async function leases(options: { ttlMs?: number; heartbeatMs?: number; prefix?: string } = {}): Promise<RedisLeases> {
  const prefix = options.prefix ?? testPrefix('lease')
  prefixes.push(prefix)
  const result = await RedisLeases.open(redis, { ...options, prefix })
  opened.push(result)
  return result
}

const never = () => new AbortController().signal

beforeAll(async () => {
  redis = await connectRedis(SHARED_REDIS_URL)
})

afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()))
  await Promise.all(prefixes.splice(0).map((p) => deletePrefix(p)))
})

afterAll(() => redis.disconnect())

describe('RedisLeases', () => {
  it('takes a free name in one round trip and gives it back in one', async () => {
    const l = await leases()
    const lease = await l.acquire(['a'], never())
    expect(lease.name).toBe('a')
    expect(await redis.get(l.keyOf('a'))).toEqual(expect.any(String))
    await lease.release()
    expect(await redis.exists(l.keyOf('a'))).toBe(0)
    expect(l.roundTrips).toBe(2)
  })

  it('takes the first free name in the order asked', async () => {
    const l = await leases()
    const a = await l.acquire(['a', 'b', 'c'], never())
    const b = await l.acquire(['a', 'b', 'c'], never())
    const c = await l.acquire(['c', 'a', 'b'], never())
    expect([a.name, b.name, c.name]).toEqual(['a', 'b', 'c'])
  })

  it('one holder at a time across two processes’ worth of connections; a release wakes the waiter, not its TTL', async () => {
    const prefix = testPrefix('lease')
    // A TTL of a minute: if the waiter were woken by expiry and not by the release, the test
    // would time out instead of passing.
    const first = await leases({ prefix, ttlMs: 60_000 })
    const otherRedis = await connectRedis(SHARED_REDIS_URL)
    try {
      const second = await RedisLeases.open(otherRedis, { prefix, ttlMs: 60_000 })
      opened.push(second)
      const held = await first.acquire(['acct'], never())
      let got = false
      const waiting = second.acquire(['acct'], never()).then((lease) => ((got = true), lease))
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(got).toBe(false)
      await held.release()
      const lease = await waiting
      expect(lease.name).toBe('acct')
      // One refused try, then the one that took it: woken once, not polled.
      expect(second.roundTrips).toBe(2)
    } finally {
      otherRedis.disconnect()
    }
  })

  it('a holder whose lease expired cannot delete its successor’s lease (compare-and-delete)', async () => {
    const l = await leases({ ttlMs: 60_000, heartbeatMs: 60_000 })
    const old = await l.acquire(['acct'], never())
    // The lease runs out (as if the holder had stalled past its TTL) and another holder takes it.
    await redis.set(l.keyOf('acct'), 'successor-token', 'PX', 60_000)
    await old.release()
    expect(await redis.get(l.keyOf('acct'))).toBe('successor-token')
  })

  it('the heartbeat keeps a lease for many TTLs while it is held', async () => {
    const l = await leases({ ttlMs: 150 })
    const lease = await l.acquire(['acct'], never())
    const token = await redis.get(l.keyOf('acct'))
    await new Promise((resolve) => setTimeout(resolve, 900))
    expect(lease.lost.aborted).toBe(false)
    expect(await redis.get(l.keyOf('acct'))).toBe(token)
    const other = new AbortController()
    setTimeout(() => other.abort(new Error('gave up')), 200)
    await expect(l.acquire(['acct'], other.signal)).rejects.toThrow('gave up')
    await lease.release()
  })

  it('a lease taken from its holder aborts `lost` at the next heartbeat', async () => {
    const l = await leases({ ttlMs: 300, heartbeatMs: 50 })
    const lease = await l.acquire(['acct'], never())
    await redis.set(l.keyOf('acct'), 'someone-else', 'PX', 60_000)
    await once(lease.lost, 'abort')
    expect(lease.lost.reason).toBeInstanceOf(ChatGPTError)
    expect((lease.lost.reason as ChatGPTError).code).toBe('store_unavailable')
    await lease.release()
    expect(await redis.get(l.keyOf('acct'))).toBe('someone-else')
  })

  it('waiters in one process are served in the order they came, each woken once', async () => {
    const l = await leases({ ttlMs: 60_000 })
    const first = await l.acquire(['acct'], never())
    const order: number[] = []
    const waiting = [1, 2, 3].map((n) =>
      l.acquire(['acct'], never()).then(async (lease) => {
        order.push(n)
        await new Promise((resolve) => setTimeout(resolve, 10))
        await lease.release()
      })
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    const before = l.roundTrips
    await first.release()
    await Promise.all(waiting)
    expect(order).toEqual([1, 2, 3])
    // Four releases (the first holder's and each waiter's) and each waiter's one try that won.
    // Waking every waiter on each release would add a refused try per other waiter: 10.
    expect(l.roundTrips - before).toBeLessThanOrEqual(7)
  })

  it('an abort while waiting leaves the queue at once, and the next waiter is served', async () => {
    const l = await leases({ ttlMs: 60_000 })
    const held = await l.acquire(['acct'], never())
    const quitter = new AbortController()
    const quitting = l.acquire(['acct'], quitter.signal)
    const patient = l.acquire(['acct'], never())
    await new Promise((resolve) => setTimeout(resolve, 30))
    quitter.abort(new Error('not waiting any more'))
    await expect(quitting).rejects.toThrow('not waiting any more')
    await held.release()
    expect((await patient).name).toBe('acct')
  })

  it('a holder killed with SIGKILL loses the lease after its TTL, and a waiter takes it', async () => {
    const l = await leases({ ttlMs: 500 })
    const prefix = prefixes.at(-1)!
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { connectRedis, RedisLeases } from ${JSON.stringify(SERVER_BUILD)}
         const redis = await connectRedis(${JSON.stringify(SHARED_REDIS_URL)})
         const leases = await RedisLeases.open(redis, { prefix: ${JSON.stringify(prefix)}, ttlMs: 500 })
         await leases.acquire(['acct'], new AbortController().signal)
         console.log('holding')
         setInterval(() => {}, 1000)`
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    )
    const [line] = (await once(child.stdout!, 'data')) as [Buffer]
    expect(line.toString()).toContain('holding')
    child.kill('SIGKILL')
    await once(child, 'exit')
    const lease = await l.acquire(['acct'], never())
    expect(lease.name).toBe('acct')
  })
})

describe('RedisLeases when Redis goes away', () => {
  it('connecting to a Redis that is not there fails with store_unavailable, naming host:port and no password', async () => {
    const error = await connectRedis('redis://:hunter2-secret@127.0.0.1:1', { connectTimeoutMs: 500 }).catch((e) => e)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('store_unavailable')
    expect(error.message).toContain('127.0.0.1:1')
    expect(JSON.stringify(error) + error.message + error.stack).not.toContain('hunter2')
  })

  it('acquire fails with store_unavailable while Redis is down, and works again when it is back', async () => {
    const server = await PrivateRedis.start()
    const own = await connectRedis(server.url, { commandTimeoutMs: 500 })
    try {
      const l = await RedisLeases.open(own, { prefix: testPrefix('down'), ttlMs: 1000 })
      opened.push(l)
      await (await l.acquire(['acct'], never())).release()
      await server.stop()
      const error = await l.acquire(['acct'], never()).catch((e) => e)
      expect(error).toBeInstanceOf(ChatGPTError)
      expect(error.code).toBe('store_unavailable')
      await server.start()
      // ioredis reconnects by itself: the next calls succeed once it has.
      for (let attempt = 0; ; attempt++) {
        const result = await l.acquire(['acct'], never()).catch((e) => e)
        if (!(result instanceof ChatGPTError)) break
        expect(result.code).toBe('store_unavailable')
        expect(attempt).toBeLessThan(100)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    } finally {
      own.disconnect()
      await server.stop()
    }
  })

  it('a holder cut off from Redis counts its lease lost by the time it expires there, before another takes it', async () => {
    // The holder reaches Redis through a proxy that is then cut: its renewals get no answer (each
    // fails after the command timeout), while Redis, up for everyone else, lets the lease run out.
    const proxy = await startTcpProxy(Number(new URL(SHARED_REDIS_URL).port || 6379))
    const cutOff = await connectRedis(`redis://127.0.0.1:${proxy.port}`, { commandTimeoutMs: 500 })
    try {
      const prefix = testPrefix('cut-off')
      prefixes.push(prefix)
      const holder = await RedisLeases.open(cutOff, { prefix, ttlMs: 1000 })
      opened.push(holder)
      const lease = await holder.acquire(['acct'], never())
      proxy.cut()
      const other = await leases({ prefix })
      const taken = await other.acquire(['acct'], never())
      // From here the other process streams on the account: the holder must have stopped already.
      expect(lease.lost.aborted).toBe(true)
      expect((lease.lost.reason as ChatGPTError).code).toBe('store_unavailable')
      await taken.release()
    } finally {
      cutOff.disconnect()
    }
  })

  it('a held lease whose renewals fail for a whole TTL aborts `lost` with store_unavailable', async () => {
    const server = await PrivateRedis.start()
    const own = await connectRedis(server.url, { commandTimeoutMs: 200 })
    try {
      const l = await RedisLeases.open(own, { prefix: testPrefix('down'), ttlMs: 300, heartbeatMs: 50 })
      opened.push(l)
      const lease = await l.acquire(['acct'], never())
      await server.stop()
      await once(lease.lost, 'abort')
      expect((lease.lost.reason as ChatGPTError).code).toBe('store_unavailable')
    } finally {
      own.disconnect()
      await server.stop()
    }
  })
})
