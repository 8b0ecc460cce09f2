/**
 * Account health: a 429 cools the (account, model) pair and moves the message; the account comes
 * back by itself; a dead session marks the account dead and the others go on; when nothing can
 * take a message the call fails at once. Every change shows in status() and in events.
 */
import { createServer } from 'node:net'

import { describe, expect, it } from 'vitest'

import { ChatGPTAccountPool, type AccountStateChange } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, until } from './helpers/backend.js'
import { conversationPosts, poolSetup, track } from './helpers/pool.js'

const ok = () => 'ok'

describe('cool-downs', () => {
  it('cools a pair on 429 for its Retry-After, moves the message at once, and keeps traffic off it', async () => {
    const changes: AccountStateChange[] = []
    const { pool, backend, accounts, ownerOf } = await poolSetup(3, { reply: ok }, { onStateChange: (c) => changes.push(c) })
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '30' }, userId: accounts.a!.user.id })
    const before = Date.now()
    const reply = await pool.sendMessageDetailed('Hi')
    expect(ownerOf(reply.conversationId)).toBe('b')
    const a = pool.status().accounts[0]!
    expect(a.state).toBe('cooling')
    expect(a.cooldowns).toHaveLength(1)
    expect(a.cooldowns[0]).toMatchObject({ model: 'text-davinci-002-render', strikes: 1 })
    expect(a.cooldowns[0]!.until).toBeGreaterThanOrEqual(before + 30_000)
    expect(changes.filter((c) => c.accountId === 'a').map((c) => c.state)).toEqual(['refreshing', 'active', 'cooling'])
    expect(changes.filter((c) => c.accountId === 'a').at(-1)!.status).toMatchObject({ state: 'cooling', cooldowns: a.cooldowns })

    const owners: string[] = []
    for (let i = 0; i < 4; i++) owners.push(ownerOf((await pool.sendMessageDetailed(`m${i}`)).conversationId))
    expect(owners).toEqual(['c', 'b', 'c', 'b'])
    // Only for that model: another model still goes to the account.
    expect(ownerOf((await pool.sendMessageDetailed('Hi', { model: 'gpt-4' })).conversationId)).toBe('a')
  })

  it('brings the account back by itself when the cool-down runs out, and it takes traffic again', async () => {
    const changes: AccountStateChange[] = []
    const { pool, backend, accounts, ownerOf } = await poolSetup(2, { reply: ok })
    pool.onStateChange((c) => changes.push(c))
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '1' }, userId: accounts.a!.user.id })
    expect(ownerOf((await pool.sendMessageDetailed('Hi')).conversationId)).toBe('b')
    expect(pool.status().accounts[0]!.state).toBe('cooling')
    // No call is needed for it to come back: the pool hears of the end of the cool-down.
    await until(() => changes.some((c) => c.accountId === 'a' && c.previous === 'cooling' && c.state === 'active'), 'a back to active')
    expect(pool.status().accounts[0]).toMatchObject({ state: 'active', cooldowns: [] })
    expect(ownerOf((await pool.sendMessageDetailed('Hi again')).conversationId)).toBe('a')
  })

  it('grows the cool-down with every 429 in a row that gave no hint', async () => {
    const { pool, backend, accounts, ownerOf } = await poolSetup(2, { reply: ok })
    const a = accounts.a!.user.id
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '0' }, userId: a })
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '0' }, userId: a })
    backend.fault({ type: 'status', status: 429, body: { detail: 'Too many requests in 1 hour. Try again later.' }, userId: a })
    for (let i = 0; i < 3; i++) expect(ownerOf((await pool.sendMessageDetailed(`m${i}`)).conversationId)).toBe('b')
    const [cooldown] = pool.status().accounts[0]!.cooldowns
    expect(cooldown!.strikes).toBe(3)
    // The third in a row without a hint: 2 s doubled twice, half of it jitter (4 to 8 s).
    expect(cooldown!.until - Date.now()).toBeGreaterThan(3_000)
    expect(cooldown!.until - Date.now()).toBeLessThanOrEqual(8_000)
    expect(conversationPosts(backend)).toBe(6)
  })

  it('fails at once with rate_limited and the soonest retryAfterMs when every account is cooling; never spins', async () => {
    const { pool, backend, accounts } = await poolSetup(2, { reply: ok })
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '60' }, userId: accounts.a!.user.id })
    backend.fault({ type: 'status', status: 429, body: { detail: { message: 'Too many requests', clears_in: 30 } }, userId: accounts.b!.user.id })
    const error = await rejectionOf(pool.sendMessage('Hi'))
    expect(error.code).toBe('rate_limited')
    expect(error.message).toMatch(/Every account of this pool is cooling down/)
    expect(error.retryAfterMs).toBeGreaterThan(25_000)
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000)
    expect(conversationPosts(backend)).toBe(2)
    const again = await rejectionOf(pool.sendMessage('Hi'))
    expect(again.code).toBe('rate_limited')
    expect(again.retryAfterMs).toBeLessThanOrEqual(error.retryAfterMs)
    expect(conversationPosts(backend)).toBe(2)
    expect(pool.status().accounts.map((a) => a.state)).toEqual(['cooling', 'cooling'])
  })

  it('fails a follow-up at once while its conversation’s account cools, sending nothing', async () => {
    const { pool, backend, accounts } = await poolSetup(2, { reply: ok })
    const first = await pool.sendMessageDetailed('Hi') // a
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '45' }, userId: accounts.a!.user.id })
    const refused = await rejectionOf(pool.sendMessage('next', { conversationId: first.conversationId, parentMessageId: first.messageId }))
    expect(refused.code).toBe('rate_limited')
    expect(refused.retryAfterMs).toBeGreaterThan(44_000)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(45_000)
    const posts = conversationPosts(backend)
    const error = await rejectionOf(pool.sendMessage('next', { conversationId: first.conversationId, parentMessageId: first.messageId }))
    expect(error.code).toBe('rate_limited')
    expect(error.message).toMatch(/The account 'a' of this conversation is cooling down/)
    expect(error.retryAfterMs).toBeGreaterThan(40_000)
    expect(conversationPosts(backend)).toBe(posts)
  })

  it('never sends a message again once its reply had started, even on a 429 of a later round', async () => {
    const { pool, backend, accounts } = await poolSetup(2, { reply: () => 'one two three four five six', maxReplyTokens: 3 })
    let faulted = false
    const error = await rejectionOf(
      pool.sendMessage('long', {
        autoContinue: 2,
        onProgress: () => {
          if (faulted) return
          faulted = true
          backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '20' }, userId: accounts.a!.user.id })
        }
      })
    )
    expect(error.code).toBe('rate_limited')
    // The first round and its refused continuation, both on a; nothing on b.
    expect(conversationPosts(backend)).toBe(2)
    expect(backend.replyStats()[accounts.b!.user.id]).toBeUndefined()
    expect(pool.status().accounts[0]!.state).toBe('cooling')
  })
})

describe('dead accounts', () => {
  it('marks an account whose session expired dead with its reason, and the others take the message', async () => {
    const changes: AccountStateChange[] = []
    const { pool, backend, accounts, ownerOf } = await poolSetup(3, { reply: ok }, { onStateChange: (c) => changes.push(c) })
    backend.expireSession(accounts.a!.sessionToken)
    expect(ownerOf((await pool.sendMessageDetailed('Hi')).conversationId)).toBe('b')
    const a = pool.status().accounts[0]!
    expect(a.state).toBe('dead')
    expect(a.dead).toMatchObject({ code: 'session_expired' })
    expect(a.dead!.message).toMatch(/session token may have expired/)
    expect(changes.filter((c) => c.accountId === 'a').map((c) => c.state)).toEqual(['refreshing', 'dead'])
    expect(changes.filter((c) => c.accountId === 'b').map((c) => c.state)).toEqual(['refreshing', 'active'])

    for (let i = 0; i < 4; i++) expect(ownerOf((await pool.sendMessageDetailed(`m${i}`)).conversationId)).not.toBe('a')
    const signIns = backend.requests.filter((r) => r.path === '/api/auth/session' && r.headers.cookie?.includes(accounts.a!.sessionToken))
    expect(signIns).toHaveLength(1)
  })

  it('marks a revoked session dead (unauthorized) when it is found out mid-way, on a follow-up, which cannot move', async () => {
    const { pool, backend, accounts } = await poolSetup(2, { reply: ok })
    const first = await pool.sendMessageDetailed('Hi') // a, signed in
    backend.revokeSession(accounts.a!.sessionToken)
    backend.expireAccessTokens()
    const error = await rejectionOf(pool.sendMessage('next', { conversationId: first.conversationId, parentMessageId: first.messageId }))
    expect(error.code).toBe('unauthorized')
    expect(error.message).toMatch(/The account 'a' of this conversation can no longer sign in/)
    expect(pool.status().accounts.map((a) => a.state)).toEqual(['dead', 'active'])
    // The others go on.
    expect(await pool.sendMessage('new')).toBe('ok')
  })

  it('fails with the sign-in error when every account is dead, and revive lets an account be tried again', async () => {
    const { pool, backend, accounts } = await poolSetup(2, { reply: ok })
    backend.expireSession(accounts.a!.sessionToken)
    backend.expireSession(accounts.b!.sessionToken)
    const error = await rejectionOf(pool.sendMessage('Hi'))
    expect(error.code).toBe('session_expired')
    expect((await rejectionOf(pool.sendMessage('Hi'))).message).toMatch(/Every account of this pool .* can no longer sign in/)
    expect((await rejectionOf(pool.getModels())).code).toBe('session_expired')
    expect(conversationPosts(backend)).toBe(0)

    const changes: AccountStateChange[] = []
    pool.onStateChange((c) => changes.push(c))
    await pool.revive('b')
    expect(changes.map((c) => [c.accountId, c.state])).toEqual([['b', 'active']])
    expect(pool.status().accounts.map((a) => a.state)).toEqual(['dead', 'active'])
    expect((await rejectionOf(pool.revive('nobody'))).code).toBe('invalid_argument')
  })
})

describe('messages that never left', () => {
  it('sends again, after a back-off, a message whose connection was refused: on another account', async () => {
    const closedPort = await freePort()
    const lines: string[] = []
    const { backend, accountOptions, ownerOf } = await poolSetup(2, { reply: ok })
    const pool = track(
      new ChatGPTAccountPool({
        accounts: [{ ...accountOptions('a'), backendApiBaseUrl: `http://127.0.0.1:${closedPort}/backend-api` }, accountOptions('b')],
        debug: (line) => lines.push(line)
      })
    )
    const reply = await pool.sendMessageDetailed('Hi')
    expect(ownerOf(reply.conversationId)).toBe('b')
    expect(lines.some((line) => /^pool: the message: network .* retry 1 of 2/.test(line))).toBe(true)
    // A refused connection says nothing about the account's limits or session.
    expect(pool.status().accounts[0]!.state).toBe('active')
    expect(conversationPosts(backend)).toBe(1)

    const strict = track(new ChatGPTAccountPool({ accounts: [{ ...accountOptions('a'), backendApiBaseUrl: `http://127.0.0.1:${closedPort}/backend-api` }], maxRetries: 0 }))
    expect((await rejectionOf(strict.sendMessage('Hi'))).code).toBe('network')
  })
})

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
