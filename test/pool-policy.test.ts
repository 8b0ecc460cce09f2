/**
 * The account pool's policies as pure functions: the cool-down back-off, the pick order, what a
 * failed attempt means, and an account's state.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { accountState } from '../packages/chatgpt-kit/src/internal/account-state.js'
import { COOLDOWN_DEFAULTS, cooldownMs, nextStrikes } from '../packages/chatgpt-kit/src/internal/cooldown.js'
import { pickAccounts, type PickRequest } from '../packages/chatgpt-kit/src/internal/pick-accounts.js'
import { judgeFailure } from '../packages/chatgpt-kit/src/internal/pool-failure.js'

describe('cooldownMs', () => {
  it("takes the server's hint as it is, capped at a day", () => {
    expect(cooldownMs(1, 1_000, () => 0.5)).toBe(1_000)
    expect(cooldownMs(7, 0, () => 0.5)).toBe(0)
    expect(cooldownMs(1, 10 * 24 * 3_600_000, () => 0.5)).toBe(COOLDOWN_DEFAULTS.maxHintMs)
  })

  it('grows with every 429 in a row without a hint, and never shrinks whatever the jitter', () => {
    let previousMax = 0
    for (let strikes = 1; strikes <= 12; strikes++) {
      const low = cooldownMs(strikes, undefined, () => 0)
      const high = cooldownMs(strikes, undefined, () => 0.999999)
      expect(low).toBeGreaterThanOrEqual(Math.min(previousMax, COOLDOWN_DEFAULTS.maxMs / 2) - 1)
      expect(high).toBeGreaterThan(low)
      expect(high).toBeLessThanOrEqual(COOLDOWN_DEFAULTS.maxMs)
      previousMax = high
    }
    expect(cooldownMs(1, undefined, () => 0)).toBe(COOLDOWN_DEFAULTS.baseMs / 2)
    expect(cooldownMs(2, undefined, () => 0)).toBe(COOLDOWN_DEFAULTS.baseMs)
    expect(cooldownMs(1_000, undefined, () => 0.999)).toBeLessThanOrEqual(COOLDOWN_DEFAULTS.maxMs)
  })

  it('reads a broken hint (NaN, negative) as none', () => {
    expect(cooldownMs(1, NaN, () => 0)).toBe(COOLDOWN_DEFAULTS.baseMs / 2)
    expect(cooldownMs(1, -5, () => 0)).toBe(COOLDOWN_DEFAULTS.baseMs / 2)
  })

  it('counts strikes in a row only while the last cool-down ended recently', () => {
    expect(nextStrikes(undefined, 1_000)).toBe(1)
    expect(nextStrikes({ until: 5_000, strikes: 3 }, 4_000)).toBe(4)
    expect(nextStrikes({ until: 5_000, strikes: 3 }, 5_000 + COOLDOWN_DEFAULTS.strikeMemoryMs)).toBe(4)
    expect(nextStrikes({ until: 5_000, strikes: 3 }, 5_001 + COOLDOWN_DEFAULTS.strikeMemoryMs)).toBe(1)
  })
})

describe('pickAccounts', () => {
  const base = (overrides: Partial<PickRequest> = {}): PickRequest => ({
    accounts: [
      { id: 'a', lastUse: 3, models: undefined },
      { id: 'b', lastUse: 0, models: new Set(['gpt-4', 'gpt-4o']) },
      { id: 'c', lastUse: 0, models: new Set(['gpt-4o']) },
      { id: 'd', lastUse: 1, models: undefined }
    ],
    model: 'gpt-4',
    now: 10_000,
    refused: new Set(),
    deadMarkOf: () => undefined,
    coolingUntil: () => undefined,
    ...overrides
  })

  it('orders the accounts that have the model least recently used first, ties in pool order', () => {
    expect(pickAccounts(base())).toEqual({ ok: true, candidates: ['b', 'd', 'a'] })
    expect(pickAccounts(base({ model: 'gpt-4o' }))).toEqual({ ok: true, candidates: ['b', 'c', 'd', 'a'] })
  })

  it('leaves out dead, cooling and refusing accounts; a cool-down that ran out counts for nothing', () => {
    const pick = pickAccounts(
      base({
        deadMarkOf: (id) => (id === 'b' ? { accountId: 'b', code: 'session_expired', message: 'gone', at: 1 } : undefined),
        coolingUntil: (id) => (id === 'd' ? 20_000 : id === 'a' ? 9_000 : undefined),
        model: 'gpt-4o'
      })
    )
    expect(pick).toEqual({ ok: true, candidates: ['c', 'a'] })
    expect(pickAccounts(base({ refused: new Set(['b', 'd']) }))).toEqual({ ok: true, candidates: ['a'] })
  })

  it('says when every live account is cooling, with the soonest wait', () => {
    const cooling = { a: 14_000, b: 12_500, d: 30_000 } as Record<string, number>
    expect(pickAccounts(base({ coolingUntil: (id) => cooling[id] }))).toEqual({ ok: false, why: 'cooling', retryAfterMs: 2_500 })
    // A refusal without a cool-down (Retry-After: 0) is no wait, but the call does not go back.
    expect(pickAccounts(base({ refused: new Set(['a', 'b', 'd']) }))).toEqual({ ok: false, why: 'cooling', retryAfterMs: 0 })
  })

  it('says when every account with the model is dead, or none has it', () => {
    const mark = (accountId: string) => ({ accountId, code: 'unauthorized' as const, message: 'no', at: 1 })
    const pick = pickAccounts(base({ deadMarkOf: mark }))
    expect(pick).toEqual({ ok: false, why: 'dead', marks: [mark('a'), mark('b'), mark('d')] })
    const known = base().accounts.map((a) => ({ ...a, models: new Set(['gpt-4o']) }))
    expect(pickAccounts(base({ accounts: known }))).toEqual({ ok: false, why: 'no_model' })
  })

  it('keeps a bound call to its account: healthy, cooling, dead, or without the model', () => {
    expect(pickAccounts(base({ bound: 'd' }))).toEqual({ ok: true, candidates: ['d'] })
    expect(pickAccounts(base({ bound: 'd', coolingUntil: (id) => (id === 'd' ? 11_000 : undefined) }))).toEqual({
      ok: false,
      why: 'cooling',
      retryAfterMs: 1_000
    })
    expect(pickAccounts(base({ bound: 'c' }))).toEqual({ ok: false, why: 'no_model' })
    expect(pickAccounts(base({ bound: 'nobody' }))).toEqual({ ok: false, why: 'no_model' })
  })
})

describe('judgeFailure', () => {
  const error = (code: ChatGPTError['code'], extra: Partial<ChatGPTError> = {}) =>
    Object.assign(new ChatGPTError('x', { code }), extra)
  const connectFailure = () =>
    error('network', { originalError: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }) })

  it('cools on a 429 from the server and moves the call, unless the reply had started', () => {
    expect(judgeFailure(error('rate_limited', { statusCode: 429 }), false)).toEqual({ mark: 'cool', next: 'move' })
    expect(judgeFailure(error('rate_limited', { statusCode: 429 }), true)).toEqual({ mark: 'cool', next: 'fail' })
    // The pool's own "every account is cooling" is no news about an account.
    expect(judgeFailure(error('rate_limited'), false)).toEqual({ mark: undefined, next: 'fail' })
  })

  it('reads "only one message at a time" as a busy account: no cool-down, another try on it after a back-off', () => {
    const collision = error('rate_limited', { statusCode: 429 })
    collision.message = 'ChatGPT error 429: Only one message at a time. Please allow any other responses to complete'
    expect(judgeFailure(collision, false)).toEqual({ mark: undefined, next: 'again' })
    expect(judgeFailure(collision, true)).toEqual({ mark: undefined, next: 'fail' })
  })

  it('marks dead on a refused sign-in and moves the call', () => {
    expect(judgeFailure(error('session_expired'), false)).toEqual({ mark: 'dead', next: 'move' })
    expect(judgeFailure(error('unauthorized'), false)).toEqual({ mark: 'dead', next: 'move' })
    expect(judgeFailure(error('unauthorized'), true)).toEqual({ mark: 'dead', next: 'fail' })
  })

  it('sends again only what cannot have run: a refused connection, a 503 with a wait hint', () => {
    expect(judgeFailure(connectFailure(), false)).toEqual({ mark: undefined, next: 'backoff' })
    expect(judgeFailure(error('server_error', { statusCode: 503, retryAfterMs: 1000 }), false).next).toBe('backoff')
    for (const failed of [
      error('server_error', { statusCode: 500 }),
      error('server_error', { statusCode: 502 }),
      error('network', { originalError: new TypeError('terminated') }),
      error('stream_incomplete'),
      error('timeout'),
      error('cloudflare_challenge', { statusCode: 403 }),
      new Error('a callback threw')
    ]) {
      expect(judgeFailure(failed, false)).toEqual({ mark: undefined, next: 'fail' })
    }
    expect(judgeFailure(connectFailure(), true).next).toBe('fail')
  })
})

describe('accountState', () => {
  it('puts dead over refreshing over cooling over active', () => {
    expect(accountState({ dead: true, refreshing: true, cooling: true })).toBe('dead')
    expect(accountState({ dead: false, refreshing: true, cooling: true })).toBe('refreshing')
    expect(accountState({ dead: false, refreshing: false, cooling: true })).toBe('cooling')
    expect(accountState({ dead: false, refreshing: false, cooling: false })).toBe('active')
  })
})
