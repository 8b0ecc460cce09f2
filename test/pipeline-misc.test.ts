/**
 * Contract 6: long durations are long (not "at once": setTimeout's 2^31-1 ms limit is ours to
 * handle), and unusable ones are refused before anything is sent.
 * Contract 7: a User-Agent that cannot be a header value is refused by the constructor.
 * Contract 8: one long-lived AbortSignal shared by many calls gathers no listeners.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, setup } from './helpers/backend.js'
import { valueWithin } from './helpers/raw-server.js'

describe('contract 6: long durations', () => {
  it.each([2 ** 31, 1e12, Infinity])('timeoutMs %d on sendMessage: the call succeeds (it is no timeout at once)', async (timeoutMs) => {
    const { api } = await setup({ eventDelayMs: 20, reply: () => 'one two three' })
    expect(await valueWithin(api.sendMessage('Hi', { timeoutMs }), 10_000)).toBe('one two three')
  })

  it('idleTimeoutMs 2 ** 32 (client option): the call succeeds', async () => {
    const { api } = await setup({ eventDelayMs: 20, reply: () => 'one two three' }, { idleTimeoutMs: 2 ** 32 })
    expect(await valueWithin(api.sendMessage('Hi'), 10_000)).toBe('one two three')
  })

  it('(extra) timeoutMs 2 ** 31 on streamMessage, getModels and a ChatGPTConversation message: each succeeds', async () => {
    const { api } = await setup({ eventDelayMs: 20, reply: () => 'one two three' })
    const timeoutMs = 2 ** 31
    expect((await valueWithin(api.streamMessage('Hi', { timeoutMs }).result, 10_000)).text).toBe('one two three')
    expect(Array.isArray(await valueWithin(api.getModels({ timeoutMs }), 10_000))).toBe(true)
    expect(await valueWithin(api.getConversation().sendMessage('Hi', { timeoutMs }), 10_000)).toBe('one two three')
  })

  it('(guard) timeoutMs 0 means no timeout: the call succeeds', async () => {
    const { api } = await setup({ eventDelayMs: 20, reply: () => 'one two three' })
    expect(await valueWithin(api.sendMessage('Hi', { timeoutMs: 0 }), 10_000)).toBe('one two three')
  })

  it.each([-1, NaN])("timeoutMs %d → 'invalid_argument', and nothing is sent", async (timeoutMs) => {
    const { backend, api } = await setup()
    const error = await rejectionOf(api.sendMessage('Hi', { timeoutMs }))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('invalid_argument')
    expect(backend.requests).toHaveLength(0)
  })

  it('(extra) no TimeoutOverflowWarning for a long timeoutMs or idleTimeoutMs', async () => {
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(warning.name)
    process.on('warning', onWarning)
    try {
      const { api } = await setup({ eventDelayMs: 5, reply: () => 'ok' }, { idleTimeoutMs: 2 ** 32 })
      await valueWithin(api.sendMessage('Hi', { timeoutMs: 2 ** 31 }), 10_000)
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.filter((name) => name === 'TimeoutOverflowWarning')).toEqual([])
  })
})

describe('contract 7: userAgent', () => {
  it.each([
    ['a NUL', 'Mozilla\u0000'],
    ['a non-Latin-1 character', 'Mozilla/5.0 ☃'],
    ['(extra) a lone surrogate', 'Mozilla/5.0 \ud800']
  ])("with %s → the constructor throws 'invalid_argument'", (_label, userAgent) => {
    let thrown: unknown
    try {
      new ChatGPTAPI({ sessionToken: 'pipeline-misc-session-token', userAgent })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ChatGPTError)
    expect((thrown as ChatGPTError).code).toBe('invalid_argument')
  })

  it('(guard) a normal User-Agent, with spaces, parentheses and a tab, is accepted and sent as is', async () => {
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64)\tTest'
    const { backend, api } = await setup({ userAgent }, { userAgent })
    await api.ensureAuth()
    expect(backend.requests[0]!.headers['user-agent']).toBe(userAgent)
  })
})

describe('contract 8: one AbortSignal shared by many calls', () => {
  let warnings: Error[] = []
  const onWarning = (warning: Error) => warnings.push(warning)
  beforeEach(() => {
    warnings = []
    process.on('warning', onWarning)
  })
  afterEach(() => {
    process.off('warning', onWarning)
  })

  /** Emitted warnings arrive on a later tick. */
  async function listenerWarnings(): Promise<string[]> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
    return warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)
  }

  it('15 concurrent sendMessage calls on one client: no MaxListenersExceededWarning', async () => {
    const { api } = await setup({ eventDelayMs: 1, reply: (prompt) => `re ${prompt}` })
    const signal = new AbortController().signal
    const replies = await valueWithin(
      Promise.all(Array.from({ length: 15 }, (_, i) => api.sendMessage(`m${i}`, { abortSignal: signal }))),
      15_000
    )
    expect(replies).toHaveLength(15)
    expect(await listenerWarnings()).toEqual([])
  })

  it('15 sequential sendMessage calls: no MaxListenersExceededWarning', async () => {
    const { api } = await setup({ reply: (prompt) => `re ${prompt}` })
    const signal = new AbortController().signal
    for (let i = 0; i < 15; i++) expect(await api.sendMessage(`m${i}`, { abortSignal: signal })).toBe(`re m${i}`)
    expect(await listenerWarnings()).toEqual([])
  })

  it('(extra) 15 concurrent streamMessage calls: no MaxListenersExceededWarning', async () => {
    const { api } = await setup({ eventDelayMs: 1, reply: (prompt) => `re ${prompt}` })
    const signal = new AbortController().signal
    const streams = Array.from({ length: 15 }, (_, i) => api.streamMessage(`m${i}`, { abortSignal: signal }))
    await valueWithin(Promise.all(streams.map((s) => s.result)), 15_000)
    expect(await listenerWarnings()).toEqual([])
  })

  it('(extra) 15 concurrent getModels calls: no MaxListenersExceededWarning', async () => {
    const { api } = await setup()
    await api.ensureAuth()
    const signal = new AbortController().signal
    await valueWithin(Promise.all(Array.from({ length: 15 }, () => api.getModels({ abortSignal: signal }))), 15_000)
    expect(await listenerWarnings()).toEqual([])
  })

  it('(extra) 15 concurrent messages of one ChatGPTConversation: no MaxListenersExceededWarning', async () => {
    const { api } = await setup({ eventDelayMs: 1, reply: (prompt) => `re ${prompt}` })
    const chat = api.getConversation()
    const signal = new AbortController().signal
    await valueWithin(Promise.all(Array.from({ length: 15 }, (_, i) => chat.sendMessage(`m${i}`, { abortSignal: signal }))), 15_000)
    expect(await listenerWarnings()).toEqual([])
  })

  it('(extra) 15 clients (one per account, as a pool has) sharing one signal, one call each: no MaxListenersExceededWarning', async () => {
    const { backend } = await setup({ reply: () => 'ok' })
    const signal = new AbortController().signal
    const clients = Array.from({ length: 15 }, () => new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl
    }))
    // getModels: all 15 clients share one account on the backend, which allows one reply in
    // flight per account, so the calls are backend JSON calls rather than messages.
    await valueWithin(Promise.all(clients.map((c) => c.getModels({ abortSignal: signal }))), 15_000)
    expect(await listenerWarnings()).toEqual([])
  })

  it('(guard) the shared signal, once aborted, still aborts every call that uses it', async () => {
    const { backend, api } = await setup({ eventDelayMs: 50, reply: () => 'a b c d e f g h' })
    const controller = new AbortController()
    const reason = new Error('all of them')
    const calls = Array.from({ length: 15 }, (_, i) => api.sendMessage(`m${i}`, { abortSignal: controller.signal }))
    setTimeout(() => controller.abort(reason), 30)
    const outcomes = await valueWithin(Promise.allSettled(calls), 10_000)
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value))).toEqual(Array(15).fill(reason))
    expect(backend.requests.filter((r) => r.path === '/backend-api/conversation').length).toBeLessThanOrEqual(1)
  })
})
