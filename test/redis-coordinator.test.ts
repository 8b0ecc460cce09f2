/**
 * The Redis coordinator on a real redis-server: leases and marks shared between coordinators
 * that have nothing else in common (their own connections, as separate processes would), and
 * pools over one test backend that never send two replies at once on an account between them.
 */
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { ChatGPTAccountPool, ChatGPTError, type AccountLease } from '../packages/chatgpt-kit/src/index.js'
import { connectRedis } from '../packages/chatgpt-kit-server/src/redis/connect-redis.js'
import { RedisCoordinator } from '../packages/chatgpt-kit-server/src/redis-coordinator.js'
import { until } from './helpers/backend.js'
import { poolSetup, track } from './helpers/pool.js'
import { PrivateRedis, SHARED_REDIS_URL, deletePrefix, testPrefix } from './helpers/redis.js'

const connections: Redis[] = []
const coordinators: RedisCoordinator[] = []
const prefixes: string[] = []
const never = new AbortController().signal
const request = (candidates: string[], signal = never) => ({ candidates: () => candidates, signal })

/** A coordinator on its own connection, as another process would have. */
async function coordinator(prefix: string, url = SHARED_REDIS_URL, leaseTtlMs?: number): Promise<RedisCoordinator> {
  const redis = await connectRedis(url, { commandTimeoutMs: 500 })
  connections.push(redis)
  const result = await RedisCoordinator.open({ redis, prefix, leaseTtlMs })
  coordinators.push(result)
  return result
}

function newPrefix(): string {
  const prefix = testPrefix('coordinator')
  prefixes.push(prefix)
  return prefix
}

afterEach(async () => {
  await Promise.all(coordinators.splice(0).map((c) => c.close()))
  for (const redis of connections.splice(0)) redis.disconnect()
})

afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)))
})

describe('RedisCoordinator leases', () => {
  it('one lease per account across coordinators; a release in one wakes a waiter in the other', async () => {
    const prefix = newPrefix()
    const [one, two] = [await coordinator(prefix), await coordinator(prefix)]
    const held = await one.acquire(request(['a']))
    let granted: AccountLease | undefined
    const waiting = two.acquire(request(['a', 'b'])).then((lease) => (granted = lease))
    await waiting
    // 'a' was held, so the other got 'b' …
    expect(granted!.accountId).toBe('b')
    // … and with both held, a third waits until one is released elsewhere.
    const third = two.acquire(request(['a', 'b']))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(two.waiting).toBe(1)
    await held.release()
    expect((await third).accountId).toBe('a')
  })

  it('a call that gives up leaves the queue with its own reason', async () => {
    const prefix = newPrefix()
    const one = await coordinator(prefix)
    await one.acquire(request(['a']))
    const controller = new AbortController()
    const waiting = one.acquire(request(['a'], controller.signal))
    controller.abort(new Error('changed my mind'))
    await expect(waiting).rejects.toThrow('changed my mind')
    expect(one.waiting).toBe(0)
  })

  it('a call waiting for a dead holder’s account is woken when that lease runs out, not when a longer one does', async () => {
    const prefix = newPrefix()
    const [holder, other] = [await coordinator(prefix, SHARED_REDIS_URL, 60_000), await coordinator(prefix)]
    await holder.acquire(request(['a']))
    // 'b' was held by a process that died: nothing renews or releases it, it runs out in 300 ms.
    await connections[0]!.set(`${prefix}lease:b`, 'a dead holder', 'PX', 300)
    // The first call's look at 'a' (renewed for a minute) comes first and sets the wake-up for
    // when that one would run out; the second call's look at 'b' must bring it forward.
    const forA = other.acquire(request(['a']))
    forA.catch(() => {})
    const forB = other.acquire(request(['b']))
    const late = new Promise((resolve) => setTimeout(resolve, 10_000, 'still waiting after 10 s'))
    expect(await Promise.race([forB.then((lease) => lease.accountId), late])).toBe('b')
  })

  it('close fails waiting calls and aborts held leases with store_unavailable', async () => {
    const one = await coordinator(newPrefix())
    const held = await one.acquire(request(['a']))
    const waiting = expect(one.acquire(request(['a']))).rejects.toMatchObject({ code: 'store_unavailable' })
    await one.close()
    await waiting
    expect(held.signal.aborted).toBe(true)
    await expect(one.acquire(request(['a']))).rejects.toMatchObject({ code: 'store_unavailable' })
  })
})

describe('RedisCoordinator marks', () => {
  it('a cool-down or dead mark written by one coordinator is seen by the other, and subscribers hear of it', async () => {
    const prefix = newPrefix()
    const [one, two] = [await coordinator(prefix), await coordinator(prefix)]
    const heard = new Promise<void>((resolve) => {
      const stop = two.subscribe(() => {
        if (two.cooldownOf('a', 'gpt-4')) {
          stop()
          resolve()
        }
      })
    })
    const until = Date.now() + 60_000
    await one.setCooldown({ accountId: 'a', model: 'gpt-4', until, strikes: 2 })
    await heard
    expect(two.cooldownOf('a', 'gpt-4')).toEqual({ accountId: 'a', model: 'gpt-4', until, strikes: 2 })
    expect(two.cooldownsOf('a')).toHaveLength(1)

    const died = new Promise<void>((resolve) => {
      const stop = two.subscribe(() => {
        if (two.deadMarkOf('b')) {
          stop()
          resolve()
        }
      })
    })
    await one.markDead({ accountId: 'b', code: 'session_expired', message: 'The session expired', at: 1 })
    await died
    expect(two.deadMarkOf('b')).toMatchObject({ code: 'session_expired' })

    // A coordinator opened later starts from the same marks.
    const three = await coordinator(prefix)
    expect(three.cooldownOf('a', 'gpt-4')?.until).toBe(until)
    expect(three.deadMarkOf('b')?.code).toBe('session_expired')
    await three.revive('b')
    await three.clearCooldown('a', 'gpt-4')
    expect(three.deadMarkOf('b')).toBeUndefined()
    expect(three.cooldownOf('a', 'gpt-4')).toBeUndefined()
  })

  it('marks that are not JSON of the right shape (another writer, an old version) are skipped, not trusted', async () => {
    const prefix = newPrefix()
    const writer = await connectRedis(SHARED_REDIS_URL)
    connections.push(writer)
    await writer.hset(`${prefix}marks`, 'cooldown:a\ngpt-4', '{"accountId":"a","model":"gpt-4","until":"soon"}', 'dead:b', 'not json')
    const one = await coordinator(prefix)
    expect(one.cooldownOf('a', 'gpt-4')).toBeUndefined()
    expect(one.deadMarkOf('b')).toBeUndefined()
  })

  it('refuses bad marks with invalid_argument before writing', async () => {
    const one = await coordinator(newPrefix())
    await expect(one.setCooldown({ accountId: '', model: 'm', until: 1, strikes: 1 })).rejects.toMatchObject({ code: 'invalid_argument' })
    await expect(one.setCooldown({ accountId: 'a', model: 'm', until: NaN, strikes: 1 })).rejects.toMatchObject({ code: 'invalid_argument' })
  })
})

describe('RedisCoordinator when Redis goes away', () => {
  it('acquire and mark writes fail with store_unavailable, and work again when Redis is back', async () => {
    const server = await PrivateRedis.start()
    try {
      const one = await coordinator(testPrefix('down'), server.url)
      await (await one.acquire(request(['a']))).release()
      await server.stop()
      await expect(one.acquire(request(['a']))).rejects.toMatchObject({ code: 'store_unavailable' })
      await expect(one.setCooldown({ accountId: 'a', model: 'm', until: Date.now() + 1000, strikes: 1 })).rejects.toBeInstanceOf(ChatGPTError)
      await server.start()
      for (let attempt = 0; ; attempt++) {
        const result = await one.acquire(request(['a'])).catch((error) => error)
        if (!(result instanceof ChatGPTError)) break
        expect(result.code).toBe('store_unavailable')
        expect(attempt).toBeLessThan(100)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    } finally {
      await server.stop()
    }
  })
})

describe('pools sharing one Redis', () => {
  it('three pools over the same 2 accounts never have two replies in flight on an account, and every message is answered', async () => {
    const prefix = newPrefix()
    const setup = await poolSetup(2, { eventDelayMs: 2 }, { coordinator: await coordinator(prefix) })
    const others = [
      track(new ChatGPTAccountPool({ accounts: setup.ids.map(setup.accountOptions), coordinator: await coordinator(prefix) })),
      track(new ChatGPTAccountPool({ accounts: setup.ids.map(setup.accountOptions), coordinator: await coordinator(prefix) }))
    ]
    const pools = [setup.pool, ...others]
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => pools[i % 3]!.sendMessage(`message ${i}`, { timeoutMs: 60_000 }))
    )
    expect(replies).toHaveLength(30)
    for (const reply of replies) expect(reply).toEqual(expect.any(String))
    for (const stats of Object.values(setup.backend.replyStats())) {
      expect(stats).toMatchObject({ inFlight: 0, maxInFlight: 1, refused: 0 })
    }
  })

  it('a follow-up started in one pool goes to the same account from another pool that shares the store', async () => {
    const prefix = newPrefix()
    const { MemoryStore } = await import('../packages/chatgpt-kit/src/index.js')
    const store = new MemoryStore()
    const setup = await poolSetup(3, {}, { coordinator: await coordinator(prefix), store })
    const other = track(new ChatGPTAccountPool({ accounts: setup.ids.map(setup.accountOptions), coordinator: await coordinator(prefix), store }))
    const first = await setup.pool.sendMessageDetailed('hello')
    const owner = setup.ownerOf(first.conversationId)
    for (let i = 0; i < 3; i++) {
      const next = await other.sendMessageDetailed(`again ${i}`, { conversationId: first.conversationId, parentMessageId: first.messageId })
      expect(setup.ownerOf(next.conversationId)).toBe(owner)
    }
  })

  it('a 429 seen by one pool cools the account for the other pool too, until its Retry-After', async () => {
    const prefix = newPrefix()
    const setup = await poolSetup(2, {}, { coordinator: await coordinator(prefix) })
    const other = track(new ChatGPTAccountPool({ accounts: setup.ids.map(setup.accountOptions), coordinator: await coordinator(prefix) }))
    const states: string[] = []
    other.onStateChange((change) => {
      if (change.accountId === 'a') states.push(change.state)
    })
    setup.backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '1' }, userId: setup.accounts.a!.user.id })
    expect(setup.ownerOf((await setup.pool.sendMessageDetailed('Hi')).conversationId)).toBe('b')
    // The other pool never sent to 'a', yet hears that it cools, and keeps its traffic off it.
    await until(() => other.status().accounts[0]!.state === 'cooling', "the other pool sees 'a' cooling")
    expect(setup.ownerOf((await other.sendMessageDetailed('Hi from the other pool')).conversationId)).toBe('b')
    // … and hears it come back when the cool-down runs out, with no call needed.
    await until(() => states.includes('active') && other.status().accounts[0]!.state === 'active', "'a' back to active in the other pool")
  })

  it('Redis stopping under a pool fails its calls with store_unavailable, and they work again when it is back', { timeout: 60_000 }, async () => {
    const server = await PrivateRedis.start()
    try {
      const setup = await poolSetup(2, {}, { coordinator: await coordinator(testPrefix('pool-down'), server.url) })
      expect(await setup.pool.sendMessage('before')).toEqual(expect.any(String))
      await server.stop()
      const error = await setup.pool.sendMessage('while down', { timeoutMs: 10_000 }).catch((e) => e)
      expect(error).toBeInstanceOf(ChatGPTError)
      expect(error.code).toBe('store_unavailable')
      await server.start()
      for (let attempt = 0; ; attempt++) {
        const result = await setup.pool.sendMessage('after', { timeoutMs: 10_000 }).catch((e) => e)
        if (typeof result === 'string') break
        expect(result).toMatchObject({ code: 'store_unavailable' })
        expect(attempt).toBeLessThan(100)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    } finally {
      await server.stop()
    }
  })
})
