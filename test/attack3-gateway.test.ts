/**
 * The gateway attacked as a hostile client, a failing store and a shutdown at the worst moment
 * would: a store that breaks while a reply streams, hostile `model` strings in logs and metrics,
 * a client that never reads its stream, a client that leaves between the last chunk and
 * `[DONE]`, a thousand requests at once, and shutdown while requests wait for an account.
 */
import { connect } from 'node:net'

import { describe, expect, it } from 'vitest'

import { type ConversationBinding, MemoryStore, type StoredMessage } from '../packages/chatgpt-kit/src/index.js'
import { until } from './helpers/backend.js'
import { GATEWAY_KEY, gatewaySetup } from './helpers/gateway.js'
import { conversationPosts } from './helpers/pool.js'

const chat = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra })

/** A store whose writes fail while `failWrites` is set, as SQLite's do on a full disk. */
class WriteFailingStore extends MemoryStore {
  failWrites = false
  override async putBinding(binding: ConversationBinding): Promise<void> {
    if (this.failWrites) throw new Error('SQLITE_FULL: database or disk is full')
    return super.putBinding(binding)
  }
  override async putMessage(message: StoredMessage): Promise<void> {
    if (this.failWrites) throw new Error('SQLITE_FULL: database or disk is full')
    return super.putMessage(message)
  }
}

type LogLine = [Record<string, unknown>, string | undefined]
function recordingLogger() {
  const lines: LogLine[] = []
  const record = (fields: Record<string, unknown>, message?: string) => void lines.push([fields, message])
  return { lines, logger: { info: record, warn: record, error: record } }
}

/** Server-sent events of a body, as their data strings. */
const eventsOf = (text: string) =>
  text
    .trim()
    .split('\n\n')
    .map((event) => event.replace(/^data: /, ''))

describe('a store that cannot record, once the reply has arrived', () => {
  it('still answers with the reply (not a 503 that throws away the reply the account spent)', async () => {
    const store = new WriteFailingStore()
    const { request, backend } = await gatewaySetup(1, { pool: { store }, gateway: { store } })
    store.failWrites = true
    const response = await request('/v1/chat/completions', { method: 'POST', body: chat('hello') })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { choices: { message: { content: string }; finish_reason: string }[] }
    expect(body.choices[0]!.message.content).toBe('echo hello')
    expect(conversationPosts(backend)).toBe(1)
  })

  it('ends the stream with [DONE], not with an error event after the whole text', async () => {
    const store = new WriteFailingStore()
    const { request, backend } = await gatewaySetup(1, { pool: { store }, gateway: { store } })
    store.failWrites = true
    const response = await request('/v1/chat/completions', { method: 'POST', body: chat('hello there', { stream: true }) })
    expect(response.status).toBe(200)
    const events = eventsOf(await response.text())
    expect(events.at(-1)).toBe('[DONE]')
    expect(events.some((event) => event.includes('"error"'))).toBe(false)
    const text = events
      .slice(0, -1)
      .map((event) => (JSON.parse(event) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('')
    expect(text).toBe('echo hello there')
    expect(conversationPosts(backend)).toBe(1)
  })

  it('a follow-up after such a reply starts a new conversation with the whole transcript (nothing was recorded)', async () => {
    const store = new WriteFailingStore()
    const { openai } = await gatewaySetup(1, { pool: { store }, gateway: { store } })
    store.failWrites = true
    const first = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'first' }] })
    store.failWrites = false
    const next = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: first.choices[0]!.message.content! },
        { role: 'user', content: 'second' }
      ]
    })
    expect(next.choices[0]!.message.content).toBe('echo [user]\nfirst\n\n[assistant]\necho first\n\n[user]\nsecond')
  })
})

describe('hostile model strings', () => {
  it('a megabyte model name (with control characters) is refused with 400, and the log line stays small', async () => {
    const { lines, logger } = recordingLogger()
    const { request } = await gatewaySetup(1, { gateway: { logger } })
    const model = `gpt-4o\n\u0000\u001b[31m${'m'.repeat(1024 * 1024)}`
    const response = await request('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) })
    expect(response.status).toBe(400)
    expect((await response.text()).length).toBeLessThan(2000)
    await until(() => lines.length > 0, 'the log line')
    const logged = JSON.stringify(lines)
    expect(logged.length).toBeLessThan(2000)
  })

  it('with no list ever fetched, an unlisted model streams, but is labelled as unlisted in metrics', async () => {
    const slugs = Array.from({ length: 20 }, (_, i) => `hostile-model-${i}`)
    const { request, server, pool } = await gatewaySetup(1, { backend: { models: ['gpt-4o', ...slugs] } })
    pool.getModels = async () => {
      throw new Error('the models list is down')
    }
    for (const model of slugs) {
      const response = await request('/v1/chat/completions', {
        method: 'POST',
        body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'x' }] })
      })
      expect(response.status).toBe(200)
      expect(await response.text()).toContain('[DONE]')
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).not.toContain('hostile-model')
    const series = metrics.split('\n').filter((line) => line.startsWith('chatgpt_gateway_time_to_first_token_seconds_count'))
    expect(series).toHaveLength(1)
    expect(series[0]).toMatch(/\{model="unlisted"\} 20$/)
  })
})

describe('a client that never reads its stream', () => {
  it('holds no account: the reply ends upstream and the account is free while the response waits', async () => {
    // A long reply: far more than socket buffers hold, so the gateway cannot write it all.
    const long = 'word '.repeat(4_000_000)
    const { server, backend, pool, gateway } = await gatewaySetup(1, {
      backend: { reply: () => long, tokensPerEvent: 2000, stalledClientTimeoutMs: Infinity }
    })
    const url = new URL(server.url)
    const body = chat('go', { stream: true })
    const socket = connect(Number(url.port), url.hostname)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.pause()
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${GATEWAY_KEY}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    )
    await until(() => conversationPosts(backend) === 1, 'the request upstream')
    await until(() => backend.inFlight === 0, 'the reply to end upstream', 2000)
    await until(() => pool.status().accounts.every((account) => !account.busy), 'the account to be free')
    // The answer is still being written to a client that does not read.
    expect(gateway.inFlight).toBe(1)
    socket.destroy()
    await until(() => gateway.inFlight === 0, 'the request to end once the client is gone')
  })
})

describe('a client that leaves between the last chunk and [DONE]', () => {
  it('ends the request once, as the client closing, with no stray error and the account free', async () => {
    const { lines, logger } = recordingLogger()
    // The transcript's record waits until the client has gone.
    let releaseRecord!: () => void
    const recordHeld = new Promise<void>((resolve) => (releaseRecord = resolve))
    let recordStarted = false
    class SlowStore extends MemoryStore {
      override async putMessage(message: StoredMessage): Promise<void> {
        if (message.id.startsWith('gateway-transcript:')) {
          recordStarted = true
          await recordHeld
        }
        return super.putMessage(message)
      }
    }
    const store = new SlowStore()
    const { gateway, pool } = await gatewaySetup(1, { pool: { store }, gateway: { store, logger } })
    const client = new AbortController()
    const response = await gateway.fetch(
      new Request('http://gateway.test/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
        body: chat('last words', { stream: true, stream_options: { include_usage: true } }),
        signal: client.signal
      })
    )
    expect(response.status).toBe(200)
    const reader = response.body!.getReader()
    let text = ''
    const decoder = new TextDecoder()
    // Read every content chunk; the read that would bring the finish chunk and [DONE] waits on the store.
    let heldRead: Promise<unknown> | undefined
    for (;;) {
      let settled = false
      const read = reader.read().finally(() => (settled = true))
      await until(() => settled || recordStarted, 'a chunk or the record')
      if (!settled) {
        heldRead = read.catch(() => undefined)
        break
      }
      const step = await read
      if (step.done) break
      text += decoder.decode(step.value)
    }
    expect(recordStarted).toBe(true)
    expect(text).not.toContain('[DONE]')
    client.abort()
    await reader.cancel()
    releaseRecord()
    await heldRead
    await until(() => gateway.inFlight === 0, 'the request to end')
    await until(() => pool.status().accounts.every((account) => !account.busy), 'the account to be free')
    // Let the pull that was waiting on the store run to its end.
    await new Promise((resolve) => setTimeout(resolve, 20))
    const requestLines = lines.filter(([, message]) => message === 'request')
    expect(requestLines).toHaveLength(1)
    expect(requestLines[0]![0]).toMatchObject({ status: 499, error: 'client_closed' })
    expect(lines.filter(([, message]) => message !== 'request')).toEqual([])
  })
})

describe('a thousand requests at once', () => {
  it('queues up to the pool bound and answers the rest 503 accounts_busy at once, sending one message upstream', async () => {
    const { gateway, backend, accounts, pool } = await gatewaySetup(1, { pool: { maxQueueSize: 50 } })
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const clients = Array.from({ length: 1000 }, () => new AbortController())
    const pending = clients.map((client, i) =>
      gateway.fetch(
        new Request('http://gateway.test/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
          body: chat(`request ${i}`),
          signal: client.signal
        })
      )
    )
    const answered: Response[] = []
    for (const response of pending) void response.then((r) => answered.push(r))
    // The first request holds the account, the queue holds as many as it may (the first counted
    // while it waited); everything beyond has its answer at once, while the account stays held.
    await until(() => answered.length === 950, 'the requests beyond the queue to be answered', 2000)
    await until(() => backend.inFlight === 1, 'the first reply upstream')
    expect(pool.status().waiting).toBe(49)
    expect(answered).toHaveLength(950)
    for (const response of answered) {
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('5')
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('accounts_busy')
    }
    for (const client of clients) client.abort()
    await Promise.all(pending.map((response) => response.then((r) => r.body?.cancel()).catch(() => {})))
    await until(() => gateway.inFlight === 0, 'every request to end')
    expect(conversationPosts(backend)).toBe(1)
  })
})

describe('shutdown while requests wait for an account', () => {
  it('answers the waiting requests 503 shutting_down (not 502), sending none of them upstream', async () => {
    const { request, backend, accounts, gateway, pool } = await gatewaySetup(1)
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const stalled = request('/v1/chat/completions', { method: 'POST', body: chat('stalls') })
    await until(() => backend.inFlight === 1, 'the first reply')
    const waiting = [1, 2, 3].map((i) => request('/v1/chat/completions', { method: 'POST', body: chat(`waits ${i}`) }))
    await until(() => pool.status().waiting === 3, 'three requests waiting')
    await gateway.shutdown({ graceMs: 20 })
    for (const response of await Promise.all(waiting)) {
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('shutting_down')
    }
    expect((await stalled).status).toBe(503)
    expect(conversationPosts(backend)).toBe(1)
  })
})

describe('upstream failures around the first token', () => {
  it('a 429 before the first token of a stream is a real 429 with Retry-After, not a 200 stream', async () => {
    const { request, backend } = await gatewaySetup(1)
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '30' } })
    const response = await request('/v1/chat/completions', { method: 'POST', body: chat('x', { stream: true }) })
    expect(response.status).toBe(429)
    expect(response.headers.get('content-type')).toContain('application/json')
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(29)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded')
  })

  it('a stream whose upstream breaks right after the first update ends with an error event, frees the account, and is not remembered', async () => {
    const { request, openai, backend, pool } = await gatewaySetup(1)
    backend.fault({ type: 'reset', afterEvents: 1 })
    const response = await request('/v1/chat/completions', { method: 'POST', body: chat('a b c d e f', { stream: true }) })
    expect(response.status).toBe(200)
    const events = eventsOf(await response.text())
    expect(events.at(-1)).toMatch(/^\{"error":/)
    expect(events).not.toContain('[DONE]')
    await until(() => pool.status().accounts.every((account) => !account.busy), 'the account to be free')
    const next = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'a b c d e f' },
        { role: 'assistant', content: 'echo' },
        { role: 'user', content: 'again' }
      ]
    })
    expect(next.choices[0]!.message.content).toBe('echo [user]\na b c d e f\n\n[assistant]\necho\n\n[user]\nagain')
  })
})
