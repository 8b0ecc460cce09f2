/**
 * `ChatGPTCompletionsAPI` attacked through its store and its server: a chain of messages that
 * are not counted as history, a parent from another conversation, 100,000 one-word chunks
 * (allocation counted, never timed), a server that echoes the API key everywhere, a wait asked
 * for in hours, an abort on the last chunk, and two sends on one parent at once.
 */
import { PerformanceObserver } from 'node:perf_hooks'

import { afterEach, describe, expect, it } from 'vitest'

import { ChatGPTCompletionsAPI, ChatGPTError, MemoryStore, type ChatGPTCompletionsAPIOptions, type StoredMessage } from '../packages/chatgpt-kit/src/index.js'
import { createTestBackend, type TestBackend, type TestBackendOptions } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf } from './helpers/backend.js'
import { rejectionWithin, startRawServer } from './helpers/raw-server.js'
import { leaksIn, secretToken } from './helpers/secret-views.js'

const open: TestBackend[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((backend) => backend.close()))
})

type Body = { messages: { role: string; content: string }[] }

async function setup(backendOptions: TestBackendOptions = {}, options: Partial<ChatGPTCompletionsAPIOptions> = {}) {
  const backend = await createTestBackend({ reply: (prompt) => `echo ${prompt}`, ...backendOptions })
  open.push(backend)
  const api = new ChatGPTCompletionsAPI({ apiKey: backend.apiKey, apiBaseUrl: backend.v1BaseUrl, systemMessage: '', completionParams: { model: 'gpt-4o' }, ...options })
  const bodies = () => backend.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as Body)
  return { backend, api, bodies }
}

/** A store that counts its message reads. */
class CountingStore extends MemoryStore {
  reads = 0
  override async getMessage(id: string): Promise<StoredMessage | undefined> {
    this.reads++
    return super.getMessage(id)
  }
}

describe('what the store holds', () => {
  it('reads at most 10,000 messages back, even when none of them is counted as history (a chain of system messages)', async () => {
    const store = new CountingStore({ maxMessages: 100_000 })
    const conversationId = crypto.randomUUID()
    let parent: string | undefined
    for (let i = 0; i < 20_000; i++) {
      const id = crypto.randomUUID()
      await store.putMessage({ id, role: 'system', text: '', parentMessageId: parent, conversationId, createdAt: i })
      parent = id
    }
    const { api, bodies } = await setup({}, { store })
    store.reads = 0
    await api.sendMessage('hi', { parentMessageId: parent })
    expect(store.reads).toBeLessThanOrEqual(10_001)
    expect(bodies()[0]!.messages).toEqual([{ role: 'user', content: 'hi' }])
  })

  it('refuses a parentMessageId of another conversation than conversationId, sending nothing and storing nothing', async () => {
    const store = new MemoryStore()
    const { api, bodies } = await setup({}, { store })
    const a = await api.sendMessageDetailed('in A')
    const b = await api.sendMessageDetailed('in B')
    expect(a.conversationId).not.toBe(b.conversationId)
    const error = await rejectionOf(api.sendMessageDetailed('mixed', { conversationId: a.conversationId, parentMessageId: b.messageId }))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('invalid_argument')
    expect(bodies()).toHaveLength(2)
    // A's history is still A's alone.
    const history = await api.getConversationHistory(a.conversationId)
    expect(JSON.stringify(history)).not.toContain('in B')
    // With the parent's own conversation (or none), it continues.
    expect(await api.sendMessage('next', { conversationId: b.conversationId, parentMessageId: b.messageId })).toBe('echo next')
    expect(await api.sendMessage('next', { parentMessageId: b.messageId })).toBe('echo next')
  })

  it('two sends on one parent at once both answer, each with the parent history, as two branches', async () => {
    const store = new MemoryStore()
    const { api, bodies } = await setup({}, { store })
    const first = await api.sendMessageDetailed('root')
    const [left, right] = await Promise.all([
      api.sendMessageDetailed('left', { parentMessageId: first.messageId }),
      api.sendMessageDetailed('right', { parentMessageId: first.messageId })
    ])
    expect([left!.text, right!.text]).toEqual(['echo left', 'echo right'])
    expect(left!.conversationId).toBe(first.conversationId)
    expect(right!.conversationId).toBe(first.conversationId)
    for (const body of bodies().slice(1)) expect(body.messages.slice(0, 2)).toEqual([{ role: 'user', content: 'root' }, { role: 'assistant', content: 'echo root' }])
    // Each branch continues on its own.
    await api.sendMessage('more', { parentMessageId: left!.messageId })
    expect(bodies().at(-1)!.messages.map((m) => m.content)).toEqual(['root', 'echo root', 'left', 'echo left', 'more'])
  })
})

async function collectionsDuring(run: () => Promise<unknown>): Promise<number> {
  let count = 0
  const observer = new PerformanceObserver((list) => {
    count += list.getEntries().length
  })
  observer.observe({ entryTypes: ['gc'] })
  await run()
  await new Promise((resolve) => setTimeout(resolve, 50))
  observer.disconnect()
  return count
}

describe('a server that sends 100,000 one-word chunks', () => {
  it('costs what the chunks add: streaming with onProgress allocates about as much as reading nothing', async () => {
    const words = Array.from({ length: 100_000 }, (_, i) => `w${i % 10} `)
    const reply = words.join('')
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      let i = 0
      // Written in slices, each many events, with the socket's backpressure respected.
      const write = () => {
        while (i < words.length) {
          let slice = ''
          for (const end = Math.min(i + 500, words.length); i < end; i++) slice += `data: {"choices":[{"index":0,"delta":{"content":"${words[i]}"},"finish_reason":null}]}\n\n`
          if (!res.write(slice)) return void res.once('drain', write)
        }
        res.end('data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
      }
      write()
    })
    const options = { apiKey: 'sk-attack-test-key', apiBaseUrl: `${server.url}/v1`, maxRetries: 0, systemMessage: '' }
    const floor = new ChatGPTCompletionsAPI(options)
    const api = new ChatGPTCompletionsAPI(options)
    const baseline = await collectionsDuring(() => floor.sendMessage('Hi'))
    let progress = 0
    let joined = ''
    let updates = 0
    const measured = await collectionsDuring(async () => {
      const stream = api.streamMessage('Hi', { onProgress: (text) => (progress = text.length) })
      for await (const update of stream) {
        updates++
        joined = update.replaced ? update.delta : joined + update.delta
      }
      expect(joined).toBe((await stream.result).text)
    })
    expect(joined).toBe(reply)
    expect(progress).toBe(reply.length)
    expect(updates).toBeGreaterThan(1)
    // Copying the text on every chunk (100,000 chunks of a text up to 400 KB) would cost
    // thousands of collections; reading only what each chunk adds stays near the floor.
    expect(measured).toBeLessThanOrEqual(3 * baseline + 40)
  })
})

describe('a server that echoes the API key', () => {
  it('in the status text, a header and the body of an error: no piece of the key in any view', async () => {
    const key = secretToken('sk-')
    const server = await startRawServer((_req, res) => {
      res.writeHead(400, `bad ${key}`, { 'content-type': 'application/json', 'x-echo': key })
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}`, type: 'invalid_request_error', code: null } }))
    })
    const api = new ChatGPTCompletionsAPI({ apiKey: key, apiBaseUrl: `${server.url}/v1`, maxRetries: 0, systemMessage: '' })
    const error = await rejectionWithin(api.sendMessage('x'))
    expect(error.code).toBe('bad_request')
    expect(leaksIn(error, { key }, { pieces: true })).toEqual([])
  })

  it('in an error event after streamed text that holds it too: neither message nor partialText shows it', async () => {
    const key = secretToken('sk-')
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `your key is ${key}` }, finish_reason: null }] })}\n\n`)
      res.end(`data: ${JSON.stringify({ error: { message: `failed for ${key}` } })}\n\n`)
    })
    const api = new ChatGPTCompletionsAPI({ apiKey: key, apiBaseUrl: `${server.url}/v1`, maxRetries: 0, systemMessage: '' })
    const error = await rejectionWithin(api.sendMessage('x'))
    expect(error.code).toBe('stream_error')
    expect(leaksIn(error, { key }, { pieces: true })).toEqual([])
    expect(String(error.partialText)).not.toContain(key)
  })
})

describe('waits and aborts', () => {
  it('a 429 asking for an hour is not waited for: rate_limited at once, after one request', async () => {
    const server = await startRawServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3600' })
      res.end(JSON.stringify({ error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } }))
    })
    const api = new ChatGPTCompletionsAPI({ apiKey: 'sk-attack-test-key', apiBaseUrl: `${server.url}/v1`, maxRetries: 5, systemMessage: '' })
    const error = await rejectionWithin(api.sendMessage('x'))
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 3_600_000 })
    expect(server.count('POST', '/v1/chat/completions')).toBe(1)
  })

  it('an abort from onProgress on the last chunk rejects with the reason and stores nothing', async () => {
    let writes = 0
    class WriteCountingStore extends MemoryStore {
      override async putMessage(message: StoredMessage): Promise<void> {
        writes++
        return super.putMessage(message)
      }
    }
    const { api } = await setup({}, { store: new WriteCountingStore() })
    const controller = new AbortController()
    const reason = new Error('enough')
    const stream = api.streamMessage('one two three', {
      abortSignal: controller.signal,
      onProgress: (text) => {
        if (text === 'echo one two three') controller.abort(reason)
      }
    })
    expect(await rejectionOf(stream.result)).toBe(reason)
    expect(writes).toBe(0)
  })
})
