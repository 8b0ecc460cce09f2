/**
 * What the test backend offers for account pools: faults aimed at one account, and per-account
 * counts of replies in flight and "one message at a time" refusals.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI } from '../packages/chatgpt-kit/src/index.js'
import type { TestAccount, TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup } from './helpers/backend.js'

function clientOf(backend: TestBackend, account: TestAccount): ChatGPTAPI {
  return new ChatGPTAPI({
    sessionToken: account.sessionToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    maxRetries: 0
  })
}

describe('faults aimed at one account', () => {
  it('hit only that account; other accounts pass them by, in any order', async () => {
    const { backend } = await setup({ reply: () => 'ok' })
    const alice = backend.addAccount()
    const bob = backend.addAccount()
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '7' }, userId: bob.user.id })
    expect(await clientOf(backend, alice).sendMessage('Hi')).toBe('ok')
    expect(await clientOf(backend, alice).sendMessage('Hi')).toBe('ok')
    const refused = await rejectionOf(clientOf(backend, bob).sendMessage('Hi'))
    expect(refused.code).toBe('rate_limited')
    expect(refused.retryAfterMs).toBe(7_000)
    expect(await clientOf(backend, bob).sendMessage('Hi')).toBe('ok')
  })

  it('aim stream faults and session faults too; a fault for nobody in particular hits anyone', async () => {
    const { backend } = await setup({ reply: () => 'one two three four' })
    const alice = backend.addAccount()
    const bob = backend.addAccount()
    backend.fault({ type: 'cut', afterEvents: 1, userId: bob.user.id })
    backend.fault({ endpoint: 'session', type: 'status', status: 500, userId: bob.user.id })
    expect(await clientOf(backend, alice).sendMessage('Hi')).toBe('one two three four')
    expect((await rejectionOf(clientOf(backend, bob).sendMessage('Hi'))).code).toBe('server_error')
    expect((await rejectionOf(clientOf(backend, bob).sendMessage('Hi'))).code).toBe('stream_incomplete')
    backend.fault({ type: 'status', status: 503 })
    expect((await rejectionOf(clientOf(backend, alice).sendMessage('Hi'))).code).toBe('server_error')
  })

  it('refuses a userId that is not a non-empty string', async () => {
    const { backend } = await setup()
    expect(() => backend.fault({ type: 'status', status: 429, userId: '' })).toThrow(TypeError)
    expect(() => backend.fault({ type: 'status', status: 429, userId: 42 as never })).toThrow(TypeError)
  })
})

describe('replyStats', () => {
  it('counts replies per account, and a second reply asked at once as 2 in flight and a refusal', async () => {
    const { backend } = await setup({ reply: () => 'a b c', eventDelayMs: 5 })
    const alice = backend.addAccount()
    const bob = backend.addAccount()
    expect(backend.replyStats()).toEqual({})
    // Two clients of one account do not know of each other: the backend refuses the second.
    const results = await Promise.allSettled([clientOf(backend, alice).sendMessage('1'), clientOf(backend, alice).sendMessage('2')])
    await clientOf(backend, bob).sendMessage('3')
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
    expect(backend.replyStats()).toEqual({
      [alice.user.id]: { inFlight: 0, maxInFlight: 2, refused: 1 },
      [bob.user.id]: { inFlight: 0, maxInFlight: 1, refused: 0 }
    })
    backend.replyStats()[alice.user.id]!.refused = 99
    expect(backend.replyStats()[alice.user.id]!.refused).toBe(1)
    backend.reset()
    expect(backend.replyStats()).toEqual({})
  })
})
