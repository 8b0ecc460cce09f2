/**
 * One reply in flight per account under load, calls served in order, and calls that give up
 * (timeout, abort, a closed pool, a full queue) leaving the queue at once.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, until } from './helpers/backend.js'
import { conversationPosts, poolSetup } from './helpers/pool.js'

const echo = (prompt: string) => `echo ${prompt}`

describe('one reply in flight per account', () => {
  it('answers 40 concurrent messages on 4 accounts without ever asking an account for two replies at once', async () => {
    const { pool, backend, ownerOf } = await poolSetup(4, { reply: echo, eventDelayMs: 1 })
    const prompts = Array.from({ length: 40 }, (_, i) => `message ${i}`)
    const replies = await Promise.all(prompts.map((prompt) => pool.sendMessageDetailed(prompt)))
    expect(replies.map((r) => r.text)).toEqual(prompts.map(echo))

    // A second wave: every conversation continues at once, each on its own account.
    const followUps = await Promise.all(
      replies.map((r, i) => pool.sendMessageDetailed(`again ${i}`, { conversationId: r.conversationId, parentMessageId: r.messageId }))
    )
    followUps.forEach((f, i) => {
      expect(f.text).toBe(echo(`again ${i}`))
      expect(f.conversationId).toBe(replies[i]!.conversationId)
    })

    const stats = Object.values(backend.replyStats())
    expect(stats).toHaveLength(4)
    for (const s of stats) expect(s).toEqual({ inFlight: 0, maxInFlight: 1, refused: 0 })
    expect(conversationPosts(backend)).toBe(80)
    const perAccount = pool.status().accounts.map((a) => a.replies)
    expect(perAccount.reduce((sum, n) => sum + n, 0)).toBe(80)
    for (const n of perAccount) expect(n).toBeGreaterThan(0)
    // Every reply's owner at the backend is the account the store recorded.
    for (const r of replies) expect(pool.status().accounts.map((a) => a.id)).toContain(ownerOf(r.conversationId))
    expect(pool.status().waiting).toBe(0)
  })

  it('streams concurrently too, one reply per account', async () => {
    const { pool, backend } = await poolSetup(2, { reply: echo, eventDelayMs: 1 })
    const texts = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        let text = ''
        for await (const { delta } of pool.streamMessage(`stream ${i}`)) text += delta
        return text
      })
    )
    expect(texts).toEqual(Array.from({ length: 8 }, (_, i) => echo(`stream ${i}`)))
    for (const s of Object.values(backend.replyStats())) expect(s).toMatchObject({ maxInFlight: 1, refused: 0 })
  })

  it('serves waiting calls in the order they came', async () => {
    const { pool, backend } = await poolSetup(1, { reply: echo, eventDelayMs: 20 })
    const first = pool.sendMessage('first')
    await until(() => backend.inFlight === 1, 'the first reply')
    const waiting = ['second', 'third', 'fourth', 'fifth'].map((prompt) => pool.sendMessage(prompt))
    await until(() => pool.status().waiting === 4, 'four waiting calls')
    expect(await Promise.all([first, ...waiting])).toEqual(['first', 'second', 'third', 'fourth', 'fifth'].map(echo))
    expect(promptsSent(backend)).toEqual(['first', 'second', 'third', 'fourth', 'fifth'])
    expect(Object.values(backend.replyStats())).toEqual([{ inFlight: 0, maxInFlight: 1, refused: 0 }])
  })

  it('keeps the account and its place when the backend still counts an aborted reply, and sends again there', async () => {
    const { pool, backend, accounts } = await poolSetup(1, { reply: echo })
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const stop = new AbortController()
    const first = pool.sendMessage('first', { abortSignal: stop.signal })
    await until(() => backend.inFlight === 1, 'the stalled reply')
    const waiting = ['second', 'third'].map((prompt) => pool.sendMessage(prompt))
    await until(() => pool.status().waiting === 2, 'two waiting calls')
    stop.abort(new Error('stop'))
    await rejectionOf(first)
    expect(await Promise.all(waiting)).toEqual(['second', 'third'].map(echo))
    // Whether or not the backend refused 'second' while it was still ending 'first' (it may, as
    // the real one does), 'second' went first, and nothing ran on the account twice at once.
    const sent = promptsSent(backend)
    expect(sent.filter((prompt, i) => prompt !== sent[i - 1])).toEqual(['first', 'second', 'third'])
    expect(sent.filter((prompt) => prompt === 'third')).toHaveLength(1)
    expect(backend.replyStats()[accounts.a!.user.id]!.refused).toBe(sent.length - 3)
  })
})

/** The prompts of the conversation requests the backend received, in order. */
function promptsSent(backend: { requests: { path: string; body: unknown }[] }): string[] {
  return backend.requests
    .filter((r) => r.path === '/backend-api/conversation')
    .map((r) => (r.body as { messages: { content: { parts: string[] } }[] }).messages[0]!.content.parts[0]!)
}

describe('giving up while waiting', () => {
  it('leaves the queue at once on a timeout or an abort, and the account then serves the next call', async () => {
    const { pool, backend } = await poolSetup(1, { reply: (prompt) => `a long ${prompt} reply, word after word after word`, eventDelayMs: 20 })
    const slow = pool.sendMessage('slow')
    await until(() => backend.inFlight === 1, 'the slow reply')

    const timedOut = pool.sendMessage('times out while waiting', { timeoutMs: 50 })
    const aborting = new AbortController()
    const aborted = pool.sendMessage('aborted while waiting', { abortSignal: aborting.signal })
    const patient = pool.sendMessage('patient')
    await until(() => pool.status().waiting === 3, 'three waiting calls')

    const timeout = await rejectionOf(timedOut)
    expect(timeout).toBeInstanceOf(ChatGPTError)
    expect(timeout.code).toBe('timeout')
    const reason = new Error('the user went away')
    aborting.abort(reason)
    expect(await rejectionOf(aborted)).toBe(reason)
    expect(pool.status().waiting).toBe(1)

    expect(await slow).toMatch(/^a long slow reply/)
    expect(await patient).toMatch(/^a long patient reply/)
    // Only the slow call and the patient one ever reached the backend.
    expect(conversationPosts(backend)).toBe(2)
    expect(pool.status().waiting).toBe(0)
  })

  it('fails a call with queue_full once it waited queueTimeoutMs for an account, sending nothing (a follow-up waiting for its account too)', async () => {
    const { pool, backend, accounts } = await poolSetup(1, { reply: echo }, { queueTimeoutMs: 30_000 })
    const first = await pool.sendMessageDetailed('first')
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const stop = new AbortController()
    const stalled = pool.sendMessage('stalled', { abortSignal: stop.signal })
    await until(() => backend.inFlight === 1, 'the stalled reply')

    // The call's own bound (not the pool's 30 s) ends the wait; a ChatGPTError, not an abort.
    const impatient = await rejectionOf(pool.sendMessage('impatient', { queueTimeoutMs: 40 }))
    expect(impatient).toBeInstanceOf(ChatGPTError)
    expect(impatient.code).toBe('queue_full')
    expect(impatient.message).toMatch(/within 40 ms/)
    const followUp = pool.sendMessage('follow-up', { conversationId: first.conversationId, parentMessageId: first.messageId, queueTimeoutMs: 40 })
    expect((await rejectionOf(followUp)).code).toBe('queue_full')
    expect(pool.status().waiting).toBe(0)

    stop.abort(new Error('stop'))
    await rejectionOf(stalled)
    // Neither timed-out call reached the backend; the account serves again.
    expect(promptsSent(backend)).toEqual(['first', 'stalled'])
    expect(await pool.sendMessage('after', { queueTimeoutMs: 5_000 })).toBe(echo('after'))
  })

  it('tells onLease which account a call got, once per account it was sent on, and survives a listener that throws', async () => {
    const { pool, backend, accounts } = await poolSetup(2, { reply: echo })
    backend.fault({ type: 'status', status: 429, userId: accounts.a!.user.id })
    const leases: { accountId: string; waitedMs: number }[] = []
    const reply = await pool.sendMessage('hello', {
      onLease: (lease) => {
        leases.push(lease)
        throw new Error('a careless listener')
      }
    })
    expect(reply).toBe(echo('hello'))
    // 'a' is tried first (least recently used, in order), refuses with a 429, and the message moves.
    expect(leases.map((lease) => lease.accountId)).toEqual(['a', 'b'])
    for (const lease of leases) expect(lease.waitedMs).toBeGreaterThanOrEqual(0)
    expect(pool.status().accounts.map((a) => a.busy)).toEqual([false, false])
  })

  it('refuses a queueTimeoutMs that is not a duration', async () => {
    const { pool } = await poolSetup(1, { reply: echo })
    expect((await rejectionOf(pool.sendMessage('x', { queueTimeoutMs: -1 }))).code).toBe('invalid_argument')
    await expect(poolSetup(1, {}, { queueTimeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'invalid_argument' })
  })

  it('fails a call with queue_full past maxQueueSize, without waiting', async () => {
    const { pool, backend, accounts } = await poolSetup(1, { reply: echo }, { maxQueueSize: 2 })
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const stop = new AbortController()
    const running = pool.sendMessage('stalls', { abortSignal: stop.signal })
    await until(() => backend.inFlight === 1, 'the stalled reply')
    const queued = [pool.sendMessage('one'), pool.sendMessage('two')]
    await until(() => pool.status().waiting === 2, 'two waiting calls')
    const full = await rejectionOf(pool.sendMessage('three'))
    expect(full.code).toBe('queue_full')
    stop.abort(new Error('unstall'))
    await rejectionOf(running)
    expect(await Promise.all(queued)).toEqual([echo('one'), echo('two')])
  })

  it('on close: waiting calls fail with aborted, the running reply finishes, later calls fail', async () => {
    const { pool, backend } = await poolSetup(1, { reply: () => 'a slow reply of many words indeed', eventDelayMs: 20 })
    const running = pool.sendMessage('runs')
    await until(() => backend.inFlight === 1, 'the running reply')
    const waiting = pool.sendMessage('waits')
    await until(() => pool.status().waiting === 1, 'a waiting call')
    const closed = pool.close()
    expect((await rejectionOf(waiting)).code).toBe('aborted')
    expect(await running).toBe('a slow reply of many words indeed')
    await closed
    expect((await rejectionOf(pool.sendMessage('later'))).code).toBe('aborted')
    expect(pool.close()).toBe(closed)
    expect(conversationPosts(backend)).toBe(1)
  })
})
