/**
 * The gateway attacked through what clients send and what the upstream echoes: a store that
 * throws while a follow-up is looked up, upstream errors that echo the account's tokens, crafted
 * transcripts that try to share a follow-up key, deeply nested JSON, and 100,000 messages.
 */
import { describe, expect, it } from 'vitest'

import { type ChatGPTAccountPool, MemoryStore, type Model, type StoredMessage } from '../packages/chatgpt-kit/src/index.js'
import { ModelCatalog, RETRY_FAILED_LIST_MS } from '../packages/chatgpt-kit-server/src/gateway/model-catalog.js'
import { transcriptKey } from '../packages/chatgpt-kit-server/src/gateway/transcript.js'
import { GATEWAY_KEY, gatewaySetup } from './helpers/gateway.js'
import { conversationPosts } from './helpers/pool.js'

const chat = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra })

describe('a store that throws while a follow-up is looked up', () => {
  it("answers 503 store_unavailable, as the pool's store failures (not 502 upstream_error), sending nothing", async () => {
    class ReadFailingStore extends MemoryStore {
      failReads = false
      override async getMessage(id: string): Promise<StoredMessage | undefined> {
        if (this.failReads) throw new Error('connection reset by the store')
        return super.getMessage(id)
      }
    }
    const store = new ReadFailingStore()
    const { openai, request, backend } = await gatewaySetup(1, { gateway: { store } })
    const first = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'first' }] })
    store.failReads = true
    const response = await request('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({
        model: 'gpt-4o',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: first.choices[0]!.message.content },
          { role: 'user', content: 'second' }
        ]
      })
    })
    expect(response.status).toBe(503)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('store_unavailable')
    expect(conversationPosts(backend)).toBe(1)
  })
})

describe('upstream errors that echo the account secrets', () => {
  it('never carry the session or clearance token into an answer, a stream or a log line', async () => {
    const lines: unknown[] = []
    const record = (fields: unknown, message?: string) => void lines.push([fields, message])
    const { request, backend, accounts } = await gatewaySetup(1, { gateway: { logger: { info: record, warn: record, error: record } } })
    const secrets = [accounts.a!.sessionToken, backend.clearanceToken]
    const echo = `echoed ${secrets.join(' and ')}`
    const bodies: string[] = []
    backend.fault({ type: 'status', status: 400, body: { detail: echo } })
    bodies.push(await (await request('/v1/chat/completions', { method: 'POST', body: chat('a') })).text())
    backend.fault({ type: 'status', status: 500, body: { detail: { message: echo, code: 'x' } } })
    bodies.push(await (await request('/v1/chat/completions', { method: 'POST', body: chat('b', { stream: true }) })).text())
    backend.fault({ type: 'detail-event', afterEvents: 1, detail: echo })
    bodies.push(await (await request('/v1/chat/completions', { method: 'POST', body: chat('c d e f', { stream: true }) })).text())
    backend.fault({ type: 'stream-error', afterEvents: 1, error: echo })
    bodies.push(await (await request('/v1/chat/completions', { method: 'POST', body: chat('c d e f') })).text())
    const all = JSON.stringify(bodies) + JSON.stringify(lines)
    // The faults reached the answers (they say what went wrong), with the secrets taken out.
    expect(bodies.filter((body) => body.includes('"error"'))).toHaveLength(4)
    for (const secret of secrets) expect(all).not.toContain(secret)
    expect(all).not.toContain(GATEWAY_KEY)
  })
})

describe('crafted transcripts', () => {
  it('no two different transcripts (or scopes) share a follow-up key, however their text is arranged', () => {
    type M = { role: 'system' | 'user' | 'assistant'; content: string }
    const u = (content: string): M => ({ role: 'user', content })
    const a = (content: string): M => ({ role: 'assistant', content })
    const variants: [string, M[]][] = [
      ['', [u('a'), a('b')]],
      ['', [u('a\nassistant:1:b')]],
      ['', [u('a\nassistant:1:b'), a('')]],
      ['', [u('a'), a('b'), a('')]],
      ['', [u(''), u('a'), a('b')]],
      ['', [u('a:'), a('b')]],
      ['', [u('a'), a(':b')]],
      ['', [{ role: 'system', content: 'a' }, a('b')]],
      ['x', [u('a'), a('b')]],
      ['x\nuser:1:a', [a('b')]],
      ['1:x', [u('a'), a('b')]]
    ]
    const keys = variants.map(([scope, messages]) => transcriptKey(scope, messages))
    expect(new Set(keys).size).toBe(variants.length)
  })
})

describe('bodies that cost the server', () => {
  it('deeply nested JSON in an ignored field is answered (or refused with 400), never a 500 or a crash', async () => {
    const { request } = await gatewaySetup(1)
    const depth = 1_000_000
    const nested = '['.repeat(depth) + ']'.repeat(depth)
    const body = `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":${nested}}`
    const response = await request('/v1/chat/completions', { method: 'POST', body })
    expect([200, 400]).toContain(response.status)
    const deepMessages = `{"model":"gpt-4o","messages":${nested}}`
    expect((await request('/v1/chat/completions', { method: 'POST', body: deepMessages })).status).toBe(400)
  })

  it('100,000 tiny messages are sent once as one transcript (the upstream refuses its size); 20,000 are answered and counted in usage', async () => {
    const { request, backend } = await gatewaySetup(1, { backend: { maxPromptLength: 10_000_000, reply: () => 'ok' } })
    const transcript = (count: number) => {
      const messages = Array.from({ length: count }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: 'x' }))
      messages.push({ role: 'user', content: 'last' })
      return JSON.stringify({ model: 'gpt-4o', messages })
    }
    const huge = await request('/v1/chat/completions', { method: 'POST', body: transcript(100_000) })
    expect(huge.status).toBe(400)
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('context_length_exceeded')
    expect(conversationPosts(backend)).toBe(1)
    const count = 20_000
    const response = await request('/v1/chat/completions', { method: 'POST', body: transcript(count) })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { usage: { prompt_tokens: number } }
    // 3 per message, its role and content (1 token each here), and 3 for the reply's priming.
    expect(body.usage.prompt_tokens).toBeGreaterThan(5 * count)
    expect(conversationPosts(backend)).toBe(2)
  })
})

describe('a models list that cannot be fetched', () => {
  it('is not asked again for every request: one failed fetch serves a burst, with or without an older list', async () => {
    const { request, pool } = await gatewaySetup(2, { gateway: { modelsMaxAgeMs: 1 } })
    const realGetModels = pool.getModels.bind(pool)
    let calls = 0
    let down = false
    pool.getModels = async (...args: Parameters<typeof realGetModels>) => {
      calls++
      if (down) throw new Error('the models endpoint is down')
      return realGetModels(...args)
    }
    // Without any list yet: each request asked every account again before it was sent.
    down = true
    for (let i = 0; i < 20; i++) expect((await request('/v1/chat/completions', { method: 'POST', body: chat(`x ${i}`) })).status).toBe(200)
    expect(calls).toBeLessThanOrEqual(2)
    // With a list that has aged (modelsMaxAgeMs: 1) and a refresh that fails: the same.
    const { request: request2, pool: pool2 } = await gatewaySetup(2, { gateway: { modelsMaxAgeMs: 1 } })
    const realGetModels2 = pool2.getModels.bind(pool2)
    let calls2 = 0
    let down2 = false
    pool2.getModels = async (...args: Parameters<typeof realGetModels2>) => {
      calls2++
      if (down2) throw new Error('the models endpoint is down')
      return realGetModels2(...args)
    }
    expect((await request2('/v1/chat/completions', { method: 'POST', body: chat('first') })).status).toBe(200)
    down2 = true
    calls2 = 0
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2))
      expect((await request2('/v1/chat/completions', { method: 'POST', body: chat(`y ${i}`) })).status).toBe(200)
    }
    expect(calls2).toBeLessThanOrEqual(2)
    // An unknown model is still refused from the older list.
    expect((await request2('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }) })).status).toBe(404)
  })

  it('asks again once the wait after a failure is over, and then serves the new list', async () => {
    let clock = 0
    let calls = 0
    let answer: Model[] | Error = new Error('down')
    const pool = {
      getModels: async () => {
        calls++
        if (answer instanceof Error) throw answer
        return answer
      }
    } as unknown as ChatGPTAccountPool
    const catalog = new ModelCatalog(pool, 300_000, () => clock)
    expect(await catalog.has('gpt-4o')).toBeUndefined()
    expect(await catalog.has('gpt-4o')).toBeUndefined()
    expect(calls).toBe(1)
    answer = [{ slug: 'gpt-4o' } as Model]
    clock += RETRY_FAILED_LIST_MS - 1
    expect(await catalog.has('gpt-4o')).toBeUndefined()
    expect(calls).toBe(1)
    clock += 1
    expect(await catalog.has('gpt-4o')).toBe(true)
    expect(calls).toBe(2)
  })
})
