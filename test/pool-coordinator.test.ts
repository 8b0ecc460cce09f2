/**
 * The in-process coordinator: one lease per account, waiting calls served in order and woken (not
 * polled), marks shared through it, and a clean close. The Redis coordinator keeps the same
 * contract.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError, InProcessCoordinator, type AccountLease } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf } from './helpers/backend.js'

const never = new AbortController().signal
const request = (candidates: string[] | (() => string[]), signal = never) => ({
  candidates: typeof candidates === 'function' ? candidates : () => candidates,
  signal
})
/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('InProcessCoordinator leases', () => {
  it('leases the first free candidate, in the order given, one lease per account', async () => {
    const coordinator = new InProcessCoordinator()
    const first = await coordinator.acquire(request(['b', 'a']))
    const second = await coordinator.acquire(request(['b', 'a']))
    expect([first.accountId, second.accountId]).toEqual(['b', 'a'])
    expect(first.token).not.toBe(second.token)
    expect(coordinator.leased.sort()).toEqual(['a', 'b'])
    await coordinator.close()
  })

  it('serves waiting calls in the order they came, each as an account frees', async () => {
    const coordinator = new InProcessCoordinator()
    const held = await coordinator.acquire(request(['a']))
    const order: number[] = []
    const waiting = [1, 2, 3].map((n) =>
      coordinator.acquire(request(['a'])).then(async (lease) => {
        order.push(n)
        await lease.release()
      })
    )
    await settle()
    expect(coordinator.waiting).toBe(3)
    await held.release()
    await Promise.all(waiting)
    expect(order).toEqual([1, 2, 3])
    expect(coordinator.leased).toEqual([])
    await coordinator.close()
  })

  it('gives a freed account to the first waiter that can use it, not to one bound elsewhere', async () => {
    const coordinator = new InProcessCoordinator()
    const a = await coordinator.acquire(request(['a']))
    const b = await coordinator.acquire(request(['b']))
    const boundToA = coordinator.acquire(request(['a']))
    const either = coordinator.acquire(request(['a', 'b']))
    await b.release()
    expect((await either).accountId).toBe('b')
    await settle()
    expect(coordinator.waiting).toBe(1)
    await a.release()
    expect((await boundToA).accountId).toBe('a')
    await coordinator.close()
  })

  it('releases by compare-and-delete: a second release of an old lease frees nothing', async () => {
    const coordinator = new InProcessCoordinator()
    const old = await coordinator.acquire(request(['a']))
    await old.release()
    const current = await coordinator.acquire(request(['a']))
    await old.release()
    expect(coordinator.leased).toEqual(['a'])
    const next = coordinator.acquire(request(['a']))
    await settle()
    expect(coordinator.waiting).toBe(1)
    await current.release()
    await (await next).release()
    await coordinator.close()
  })

  it('lets a call that gives up leave the queue at once, with its own reason', async () => {
    const coordinator = new InProcessCoordinator()
    const held = await coordinator.acquire(request(['a']))
    const controller = new AbortController()
    const leaving = coordinator.acquire(request(['a'], controller.signal))
    const staying = coordinator.acquire(request(['a']))
    await settle()
    const reason = new Error('caller gave up')
    controller.abort(reason)
    expect(await rejectionOf(leaving)).toBe(reason)
    expect(coordinator.waiting).toBe(1)
    await held.release()
    expect((await staying).accountId).toBe('a')
    expect(await rejectionOf(coordinator.acquire(request(['a'], AbortSignal.abort(reason))))).toBe(reason)
    await coordinator.close()
  })

  it('reads the candidates again on every try, and fails a waiting call when they throw', async () => {
    const coordinator = new InProcessCoordinator()
    const held = await coordinator.acquire(request(['a']))
    let cooling = false
    const refusal = new ChatGPTError('every account is cooling', { code: 'rate_limited' })
    const waiting = coordinator.acquire(
      request(() => {
        if (cooling) throw refusal
        return ['a']
      })
    )
    await settle()
    cooling = true
    // A mark changing wakes the waiting calls: they look again.
    await coordinator.setCooldown({ accountId: 'a', model: 'm', until: Date.now() + 60_000, strikes: 1 })
    expect(await rejectionOf(waiting)).toBe(refusal)
    expect(coordinator.waiting).toBe(0)
    await held.release()
    await coordinator.close()
  })
})

describe('InProcessCoordinator marks', () => {
  it('keeps cool-downs per (account, model) and dead marks, as copies', async () => {
    const coordinator = new InProcessCoordinator()
    const until = Date.now() + 60_000
    await coordinator.setCooldown({ accountId: 'a', model: 'gpt-4', until, strikes: 2 })
    await coordinator.setCooldown({ accountId: 'a', model: 'gpt-4o', until, strikes: 1 })
    expect(coordinator.cooldownOf('a', 'gpt-4')).toEqual({ accountId: 'a', model: 'gpt-4', until, strikes: 2 })
    expect(coordinator.cooldownOf('b', 'gpt-4')).toBeUndefined()
    expect(coordinator.cooldownsOf('a').map((m) => m.model).sort()).toEqual(['gpt-4', 'gpt-4o'])
    coordinator.cooldownOf('a', 'gpt-4')!.until = 0
    expect(coordinator.cooldownOf('a', 'gpt-4')!.until).toBe(until)
    await coordinator.clearCooldown('a', 'gpt-4')
    expect(coordinator.cooldownOf('a', 'gpt-4')).toBeUndefined()

    await coordinator.markDead({ accountId: 'b', code: 'session_expired', message: 'expired', at: 5 })
    expect(coordinator.deadMarkOf('b')).toEqual({ accountId: 'b', code: 'session_expired', message: 'expired', at: 5 })
    await coordinator.revive('b')
    expect(coordinator.deadMarkOf('b')).toBeUndefined()
    await coordinator.close()
  })

  it('tells subscribers of every change, and wakes them when a cool-down runs out', async () => {
    const coordinator = new InProcessCoordinator()
    let calls = 0
    const unsubscribe = coordinator.subscribe(() => calls++)
    coordinator.subscribe(() => {
      throw new Error('a broken listener')
    })
    await coordinator.markDead({ accountId: 'a', code: 'unauthorized', message: 'x', at: 1 })
    await coordinator.revive('a')
    await coordinator.revive('a') // no change, no call
    expect(calls).toBe(2)

    const ranOut = new Promise<void>((resolve) => coordinator.subscribe(resolve))
    await coordinator.setCooldown({ accountId: 'a', model: 'm', until: Date.now() + 30, strikes: 1 })
    await ranOut
    await new Promise<void>((resolve) => {
      const stop = coordinator.subscribe(() => {
        stop()
        resolve()
      })
    })
    expect(calls).toBe(4) // the mark, then its end
    unsubscribe()
    await coordinator.clearCooldown('a', 'm')
    expect(calls).toBe(4)
    await coordinator.close()
  })

  it('refuses marks it could not share: bad ids, no time, no strikes', async () => {
    const coordinator = new InProcessCoordinator()
    for (const mark of [
      { accountId: '', model: 'm', until: 1, strikes: 1 },
      { accountId: 'a', model: '', until: 1, strikes: 1 },
      { accountId: 'a', model: 'm', until: NaN, strikes: 1 },
      { accountId: 'a', model: 'm', until: 1, strikes: 0 }
    ]) {
      expect((await rejectionOf(coordinator.setCooldown(mark))).code).toBe('invalid_argument')
    }
    await coordinator.close()
  })
})

describe('InProcessCoordinator close', () => {
  it('fails waiting calls, aborts held leases and refuses later calls, with store_unavailable', async () => {
    const coordinator = new InProcessCoordinator()
    const held: AccountLease = await coordinator.acquire(request(['a']))
    const waiting = coordinator.acquire(request(['a']))
    await settle()
    await coordinator.close()
    await coordinator.close()
    expect((await rejectionOf(waiting)).code).toBe('store_unavailable')
    expect(held.signal.aborted).toBe(true)
    expect((held.signal.reason as ChatGPTError).code).toBe('store_unavailable')
    expect((await rejectionOf(coordinator.acquire(request(['b'])))).code).toBe('store_unavailable')
    expect((await rejectionOf(coordinator.markDead({ accountId: 'a', code: 'unauthorized', message: '', at: 1 }))).code).toBe(
      'store_unavailable'
    )
    await held.release()
  })
})

describe('LeaseWaiters work', () => {
  it('asks about each account at most once per pass, however many calls wait (one round trip per account, with a shared store)', async () => {
    const { LeaseWaiters } = await import('../packages/chatgpt-kit/src/internal/lease-waiters.js')
    const free = new Set<string>()
    let tries = 0
    const waiters = new LeaseWaiters<string>({
      tryTake: async (candidates) => {
        tries++
        const id = candidates.find((c) => free.has(c))
        if (id !== undefined) free.delete(id)
        return id
      },
      giveBack: (id) => void free.add(id),
      accountOf: (id) => id
    })
    const accounts = ['a', 'b', 'c', 'd']
    const granted: string[] = []
    const calls = Array.from({ length: 200 }, (_, i) =>
      waiters.wait(request(i % 2 === 0 ? accounts : [accounts[i % 4]!])).then((id) => void granted.push(id))
    )
    await settle()
    tries = 0
    waiters.pump()
    await settle()
    // Every account busy: one try for the first waiter's candidates, then every waiter is skipped.
    expect(tries).toBe(1)
    expect(waiters.size).toBe(200)

    tries = 0
    free.add('c')
    waiters.pump()
    await settle()
    expect(granted).toEqual(['c'])
    // The first waiter (any account) takes c, which says a and b are busy; d is asked about once.
    expect(tries).toBe(2)
    waiters.rejectAll(new Error('done'))
    await Promise.allSettled(calls)
  })
})
