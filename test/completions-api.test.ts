/**
 * `ChatGPTCompletionsAPI` against the test backend's Chat Completions API: what it sends (system
 * message, the history that fits, max_completion_tokens), what it keeps, how the API's errors
 * become the same codes as the web client's, retries, aborts and timeouts, and that the API key
 * never shows.
 */
import { inspect } from 'node:util'

import { afterEach, beforeAll, describe, expect, it } from 'vitest'

import { ChatGPTCompletionsAPI, ChatGPTError, MemoryStore, type ChatGPTCompletionsAPIOptions, type ConversationStore } from '../packages/chatgpt-kit/src/index.js'
import { tokenCounterFor, type TokenCounter } from '../packages/chatgpt-kit/src/internal/token-count.js'
import { createTestBackend, type TestBackend, type TestBackendOptions } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, until } from './helpers/backend.js'

const open: TestBackend[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((backend) => backend.close()))
})

let counter: TokenCounter
beforeAll(async () => {
  counter = await tokenCounterFor('gpt-4o')
})

type Body = { model: string; messages: { role: string; content: string }[]; max_completion_tokens: number; stream: boolean; stream_options: unknown }

async function setup(backendOptions: TestBackendOptions = {}, options: Partial<ChatGPTCompletionsAPIOptions> = {}) {
  const backend = await createTestBackend({ reply: (prompt) => `echo ${prompt}`, ...backendOptions })
  open.push(backend)
  const lines: string[] = []
  const api = new ChatGPTCompletionsAPI({
    apiKey: backend.apiKey,
    apiBaseUrl: backend.v1BaseUrl,
    systemMessage: 'Be brief.',
    completionParams: { model: 'gpt-4o', temperature: 0.5 },
    debug: (line) => lines.push(line),
    ...options
  })
  const bodies = () => backend.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as Body)
  return { backend, api, bodies, lines }
}

describe('what it sends and keeps', () => {
  it('sends the system message, the history and the new message, streaming with usage, and keeps both sides', async () => {
    const store = new MemoryStore()
    const { api, bodies } = await setup({}, { store })
    const first = await api.sendMessageDetailed('first')
    expect(first).toMatchObject({ text: 'echo first', finishReason: 'stop', model: 'gpt-4o' })
    expect(first.usage).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number), totalTokens: expect.any(Number) })
    const second = await api.sendMessageDetailed('second', { parentMessageId: first.messageId })
    expect(second.conversationId).toBe(first.conversationId)
    expect(second.parentMessageId).not.toBe(first.messageId)

    const [one, two] = bodies()
    expect(one).toMatchObject({ model: 'gpt-4o', temperature: 0.5, stream: true, stream_options: { include_usage: true }, max_completion_tokens: 4096 })
    expect(one!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' }
    ])
    expect(two!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'echo first' },
      { role: 'user', content: 'second' }
    ])
    const reply = await store.getMessage(second.messageId)
    expect(reply).toMatchObject({ role: 'assistant', text: 'echo second', parentMessageId: second.parentMessageId, conversationId: first.conversationId })
    expect(await store.getMessage(second.parentMessageId)).toMatchObject({ role: 'user', text: 'second', parentMessageId: first.messageId })
    expect(await store.getBinding(first.conversationId)).toMatchObject({ lastMessageId: second.messageId })
  })

  it('never sends more than fits: old history is left out, and the API (counting alike) never refuses it', async () => {
    const maxModelTokens = 300
    const { api, bodies } = await setup(
      { apiContextTokens: maxModelTokens, apiTokenCounter: (text) => counter.text(text) },
      { maxModelTokens, maxResponseTokens: 50 }
    )
    let parentMessageId: string | undefined
    for (let i = 0; i < 12; i++) {
      const reply = await api.sendMessageDetailed(`message ${i} ${'with some words to fill the window '.repeat(2)}`, { parentMessageId })
      parentMessageId = reply.messageId
    }
    for (const body of bodies()) {
      expect(counter.chat(body.messages)).toBeLessThanOrEqual(maxModelTokens - 50)
      expect(body.max_completion_tokens).toBeLessThanOrEqual(50)
    }
    const last = bodies().at(-1)!
    expect(last.messages[0]!.role).toBe('system')
    expect(last.messages.at(-1)!.content).toMatch(/^message 11 /)
    expect(last.messages.some((m) => m.content.startsWith('message 0 '))).toBe(false)
  })

  it('fails with context_length_exceeded, sending nothing, when the message cannot fit', async () => {
    const { api, bodies } = await setup({}, { maxModelTokens: 100, maxResponseTokens: 20 })
    const error = await rejectionOf(api.sendMessage('word '.repeat(200)))
    expect(error.code).toBe('context_length_exceeded')
    expect(bodies()).toHaveLength(0)
  })

  it('reports each delta once: the text is built from what arrives, not recomputed', async () => {
    const { api } = await setup({ tokensPerEvent: 1, eventDelayMs: 1 })
    const appended: string[] = []
    const reply = await api.sendMessageDetailed('one two three four five six seven eight nine ten', {
      onProgress: (_text, delta) => appended.push(delta ?? '')
    })
    expect(appended.length).toBeGreaterThan(5)
    expect(appended.join('')).toBe(reply.text)
  })

  it('refuses options it cannot use', () => {
    const make = (opts: unknown) => () => new ChatGPTCompletionsAPI(opts as ChatGPTCompletionsAPIOptions)
    for (const opts of [{}, { apiKey: '' }, { apiKey: 'k\nx' }, { apiKey: 'k', maxResponseTokens: 5000, maxModelTokens: 4000 }, { apiKey: 'k', completionParams: { messages: [] } }, { apiKey: 'k', apiBaseUrl: 'ftp://x' }]) {
      expect(make(opts)).toThrow(ChatGPTError)
      try {
        make(opts)()
      } catch (error) {
        expect((error as ChatGPTError).code).toBe('invalid_argument')
      }
    }
  })
})

describe('errors, retries, aborts', () => {
  it('maps the API errors to the same codes', async () => {
    const { api, backend } = await setup({}, { maxRetries: 0 })
    const wrong = new ChatGPTCompletionsAPI({ apiKey: 'sk-wrong-key-123', apiBaseUrl: backend.v1BaseUrl })
    expect((await rejectionOf(wrong.sendMessage('x'))).code).toBe('unauthorized')
    expect((await rejectionOf(api.sendMessage('x', { model: 'gpt-99' }))).code).toBe('not_found')

    backend.fault({ endpoint: 'completions', type: 'status', status: 429, headers: { 'retry-after': '7' } })
    const limited = await rejectionOf(api.sendMessage('x'))
    expect(limited).toMatchObject({ code: 'rate_limited', statusCode: 429, retryAfterMs: 7000 })

    backend.fault({ endpoint: 'completions', type: 'status', status: 429, body: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } })
    expect((await rejectionOf(api.sendMessage('x'))).code).toBe('forbidden')

    const tooLong = new ChatGPTCompletionsAPI({ apiKey: backend.apiKey, apiBaseUrl: backend.v1BaseUrl, maxModelTokens: 1_000_000, maxResponseTokens: 10 })
    const exceeded = await rejectionOf(tooLong.sendMessage('word '.repeat(200_000)))
    expect(exceeded.code).toBe('context_length_exceeded')
    expect(exceeded.message).toMatch(/maximum context length/)
  })

  it('retries a 429 or a 500 before the reply started, after the wait asked for; never a quota that ran out', async () => {
    const { api, bodies, backend } = await setup({}, { maxRetries: 2 })
    backend.fault({ endpoint: 'completions', type: 'status', status: 429, headers: { 'retry-after-ms': '10' } })
    backend.fault({ endpoint: 'completions', type: 'status', status: 500 })
    expect(await api.sendMessage('x')).toBe('echo x')
    expect(bodies()).toHaveLength(3)
    backend.fault({ endpoint: 'completions', type: 'status', status: 429, body: { error: { message: 'quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } } })
    await rejectionOf(api.sendMessage('y'))
    expect(bodies()).toHaveLength(4)
  })

  it('fails a stream that breaks mid-way with partialText, and stores nothing of it', async () => {
    const store = new MemoryStore()
    const { api, backend } = await setup({ tokensPerEvent: 1 }, { store, maxRetries: 0 })
    backend.fault({ endpoint: 'completions', type: 'stream-error', afterEvents: 2, error: 'The server had an error' })
    const broken = await rejectionOf(api.sendMessage('one two three four'))
    expect(broken).toMatchObject({ code: 'stream_error', partialText: 'echo one ' })
    backend.fault({ endpoint: 'completions', type: 'cut', afterEvents: 1 })
    expect((await rejectionOf(api.sendMessage('one two three four'))).code).toBe('stream_incomplete')
    expect(store.size.messages).toBe(0)
  })

  it('rejects with the abort reason and with timeout (and the text so far), storing nothing', async () => {
    const store = new MemoryStore()
    const { api, backend } = await setup({ tokensPerEvent: 1, eventDelayMs: 30 }, { store })
    const stop = new AbortController()
    const reason = new Error('the user left')
    const aborted = api.sendMessage('one two three four five six seven', {
      abortSignal: stop.signal,
      onProgress: () => stop.abort(reason)
    })
    expect(await rejectionOf(aborted)).toBe(reason)
    const timedOut = await rejectionOf(api.sendMessage('one two three four five six seven eight nine ten', { timeoutMs: 100 }))
    expect(timedOut.code).toBe('timeout')
    expect(timedOut.partialText).toMatch(/^echo one/)
    expect(store.size.messages).toBe(0)
    await until(() => backend.inFlight === 0, 'the aborted streams to end')
  })

  it('fails with store_unavailable, with the reply in partialText, when the store cannot record it', async () => {
    const store = new MemoryStore()
    const failing: ConversationStore = Object.assign(Object.create(store) as MemoryStore, {
      putMessage: async () => {
        throw new Error('disk full')
      }
    })
    const { api } = await setup({}, { store: failing })
    expect(await rejectionOf(api.sendMessage('x'))).toMatchObject({ code: 'store_unavailable', partialText: 'echo x' })
  })

  it('never shows the API key: not in errors (any field, inspect, JSON) nor in debug lines', async () => {
    const { backend, lines } = await setup()
    const key = backend.apiKey
    backend.fault({ endpoint: 'completions', type: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${key}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } })
    const api = new ChatGPTCompletionsAPI({ apiKey: key, apiBaseUrl: backend.v1BaseUrl, debug: (line) => lines.push(line) })
    const error = await rejectionOf(api.sendMessage('x'))
    expect(error.code).toBe('unauthorized')
    for (const view of [error.message, JSON.stringify(error), inspect(error, { depth: 5 }), String(error.stack), lines.join('\n')]) {
      expect(view).not.toContain(key)
    }
    expect(lines.some((line) => line.startsWith('POST /v1/chat/completions → 401'))).toBe(true)
  })
})

describe('conversations', () => {
  it('regenerates a reply from the same context, and continues from the new one', async () => {
    let n = 0
    const { api, bodies } = await setup({ reply: (prompt) => `${prompt} #${++n}` })
    const chat = api.getConversation()
    await chat.sendMessage('first')
    const again = await chat.regenerate()
    expect(again.text).toBe('first #2')
    expect(bodies()[1]!.messages).toEqual(bodies()[0]!.messages)
    await chat.sendMessage('second')
    expect(bodies()[2]!.messages.slice(1)).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'first #2' },
      { role: 'user', content: 'second' }
    ])
    expect((await rejectionOf(chat.continue())).code).toBe('invalid_argument')
  })
})
