import { describe, expect, it } from 'vitest'

import { ChatGPTError, ChatGPTMessageStream, type ChatGPTStreamUpdate } from '../packages/chatgpt-kit/src/index.js'
import type { StreamShape, TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup, until } from './helpers/backend.js'

const SHAPES: StreamShape[] = ['2022', '2023', 'v1', '2026']
const REPLY = 'Hello **wörld** 😀 — a reply with `code` and [a link](https://example.com).'
const LONG = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ')

async function collect(stream: AsyncIterable<ChatGPTStreamUpdate>): Promise<ChatGPTStreamUpdate[]> {
  const updates: ChatGPTStreamUpdate[] = []
  for await (const update of stream) updates.push(update)
  return updates
}

const conversationPosts = (backend: TestBackend) =>
  backend.requests.filter((r) => r.path === '/backend-api/conversation')

describe('streamMessage', () => {
  it.each(SHAPES)('yields growing updates whose deltas join to the reply, then done (%s shape)', async (shape) => {
    const { backend, api } = await setup({ shape, reply: () => REPLY, chunking: 'bytes' })
    const progress: string[] = []
    const stream = api.streamMessage('Hi', { onProgress: (text) => progress.push(text) })
    expect(stream).toBeInstanceOf(ChatGPTMessageStream)
    const updates = await collect(stream)

    expect(updates.length).toBeGreaterThan(5)
    expect(updates.map((u) => u.delta).join('')).toBe(REPLY)
    for (let i = 1; i < updates.length; i++) {
      expect(updates[i]!.text.startsWith(updates[i - 1]!.text)).toBe(true)
      expect(updates[i - 1]!.text + updates[i]!.delta).toBe(updates[i]!.text)
    }
    const last = updates.at(-1)!
    expect(updates.filter((u) => u.done)).toEqual([last])
    expect(last.text).toBe(REPLY)

    const result = await stream.result
    expect(result.text).toBe(REPLY)
    expect(last).toMatchObject({ messageId: result.messageId, conversationId: result.conversationId })
    expect(backend.conversations.get(result.conversationId)!.currentNode).toBe(result.messageId)
    // Every update before the last carries the ids too, once the server has said them.
    expect(updates.slice(1).every((u) => u.messageId === result.messageId)).toBe(true)
    expect(progress.at(-1)).toBe(REPLY)
  })

  it('sends the same request as sendMessage, with the model and message id asked for', async () => {
    const { backend, api } = await setup()
    const messageId = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b'
    await api.streamMessage('Hi', { model: 'gpt-4o', messageId }).result
    expect(conversationPosts(backend)[0]!.body).toMatchObject({
      action: 'next',
      model: 'gpt-4o',
      messages: [{ id: messageId, role: 'user', content: { content_type: 'text', parts: ['Hi'] } }]
    })
  })

  it('gives only the final update to a consumer that comes late, with the whole text as its delta', async () => {
    const { api } = await setup({ reply: () => REPLY })
    const stream = api.streamMessage('Hi')
    const result = await stream.result
    const updates = await collect(stream)
    expect(updates).toEqual([
      { text: REPLY, delta: REPLY, replaced: false, messageId: result.messageId, conversationId: result.conversationId, done: true }
    ])
  })

  it('aborts the request when the loop is left early', async () => {
    const { backend, api } = await setup({ reply: () => LONG, eventDelayMs: 10 })
    const stream = api.streamMessage('Hi')
    let seen = 0
    for await (const update of stream) {
      seen++
      expect(update.done).toBe(false)
      if (update.text.length > 10) break
    }
    expect(seen).toBeGreaterThan(0)
    await until(() => backend.inFlight === 0, 'the server to see the request aborted')
    const error = await rejectionOf(stream.result)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('aborted')
    const stored = backend.conversations.list()[0]!
    expect(stored.mapping[stored.currentNode]!.message!.status).toBe('finished_partial_completion')
  })

  it('leaving the loop after the end aborts nothing', async () => {
    const { api } = await setup({ reply: () => REPLY })
    const stream = api.streamMessage('Hi')
    for await (const update of stream) if (update.done) break
    expect((await stream.result).text).toBe(REPLY)
  })

  it('can be consumed once', async () => {
    const { api } = await setup()
    const stream = api.streamMessage('Hi')
    const iterator = stream[Symbol.asyncIterator]()
    const again = (() => {
      try {
        stream[Symbol.asyncIterator]()
      } catch (error) {
        return error as ChatGPTError
      }
    })()
    expect(again).toBeInstanceOf(ChatGPTError)
    expect(again!.code).toBe('invalid_argument')
    expect(again!.message).toMatch(/already being consumed/)
    expect(() => stream.toReadableStream()).toThrow(/already being consumed/)
    while (!(await iterator.next()).done) {
      // drain
    }

    const piped = api.streamMessage('Hi')
    piped.toReadableStream()
    expect(() => piped[Symbol.asyncIterator]()).toThrow(/already being consumed/)
    await piped.result
  })

  it('rejects iteration and result with the reason of abort()', async () => {
    const { backend, api } = await setup({ reply: () => LONG, eventDelayMs: 10 })
    const stream = api.streamMessage('Hi')
    const reason = new Error('enough')
    const updates: ChatGPTStreamUpdate[] = []
    const error = await rejectionOf(
      (async () => {
        for await (const update of stream) {
          updates.push(update)
          stream.abort(reason)
        }
      })()
    )
    expect(error).toBe(reason)
    expect(await rejectionOf(stream.result)).toBe(reason)
    expect(updates.length).toBeGreaterThanOrEqual(1)
    await until(() => backend.inFlight === 0, 'the server to see the request aborted')
  })

  it("follows the caller's abortSignal", async () => {
    const { backend, api } = await setup({ reply: () => LONG, eventDelayMs: 10 })
    const controller = new AbortController()
    const reason = new Error('user left')
    const stream = api.streamMessage('Hi', { abortSignal: controller.signal })
    await until(() => backend.inFlight === 1, 'the stream to start')
    controller.abort(reason)
    expect(await rejectionOf(collect(stream))).toBe(reason)
    expect(await rejectionOf(stream.result)).toBe(reason)
  })

  it('hands the updates before a failure, then the error', async () => {
    const { backend, api } = await setup({ reply: () => REPLY })
    backend.fault({ type: 'stream-error', afterEvents: 3, error: 'The model is overloaded' })
    const stream = api.streamMessage('Hi')
    const updates: ChatGPTStreamUpdate[] = []
    const error = await rejectionOf(
      (async () => {
        for await (const update of stream) updates.push(update)
      })()
    )
    expect(error.code).toBe('stream_error')
    expect(updates.length).toBeGreaterThan(0)
    expect(updates.every((u) => !u.done)).toBe(true)
    expect(REPLY.startsWith(updates.map((u) => u.delta).join(''))).toBe(true)
    expect((await rejectionOf(stream.result)).code).toBe('stream_error')
  })

  it('reports bad arguments through the stream, sending nothing', async () => {
    const { backend, api } = await setup()
    const stream = api.streamMessage('   ')
    expect((await rejectionOf(collect(stream))).code).toBe('invalid_argument')
    expect((await rejectionOf(stream.result)).code).toBe('invalid_argument')
    expect(backend.requests).toHaveLength(0)
  })

  it('never reports an unread failure as an unhandled rejection', async () => {
    const { backend, api } = await setup()
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      api.streamMessage('')
      backend.fault({ type: 'status', status: 404, body: { detail: 'nope' } })
      const failing = api.streamMessage('Hi', { maxRetries: 0 })
      await until(() => conversationPosts(backend).length === 1, 'the request to be answered')
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
      expect((await rejectionOf(failing.result)).code).toBe('not_found')
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('streamMessage with markdown: false', () => {
  const markdownReply = [
    'Some **bold** and _italic_ text with [a link](https://x.y).',
    '',
    '| a | b |',
    '|---|---|',
    '| 1 | 2 |',
    '',
    '[ref]: https://example.com',
    '<div>html</div>',
    '- item *one*',
    '- item `two`',
    '',
    '```js',
    'const a = 1 // **not bold**',
    '```',
    '',
    'Done.'
  ].join('\n')

  it.each(SHAPES)('hands out deltas that never need taking back and join to the final text (%s shape)', async (shape) => {
    const { api } = await setup({ shape, reply: () => markdownReply, eventDelayMs: 1 }, { markdown: false })
    const progress: string[] = []
    const stream = api.streamMessage('Hi', { onProgress: (text) => progress.push(text) })
    const updates = await collect(stream)
    const final = (await stream.result).text
    expect(final).toContain('Some bold and italic text with a link.')
    expect(final).toContain('a\tb')
    expect(updates.map((u) => u.delta).join('')).toBe(final)
    // Settled lines go out as they settle, not all at the end.
    expect(updates.filter((u) => u.delta !== '' && !u.done).length).toBeGreaterThan(3)
    let joined = ''
    for (const update of updates) {
      joined += update.delta
      // What was handed out is always the start of the final text: nothing had to be undone.
      expect(final.startsWith(joined)).toBe(true)
    }
    // Updates the consumer had not taken yet are merged, so it may see fewer than onProgress.
    for (const update of updates.slice(0, -1)) expect(progress).toContain(update.text)
    expect(progress.at(-1)).toBe(final)
  })
})

describe('toReadableStream', () => {
  it('is the reply as UTF-8 bytes, ready for a Response', async () => {
    const { api } = await setup({ reply: () => REPLY, chunking: 'bytes' })
    const stream = api.streamMessage('Hi')
    const response = new Response(stream.toReadableStream(), {
      headers: { 'content-type': 'text/plain; charset=utf-8' }
    })
    expect(await response.text()).toBe(REPLY)
    expect((await stream.result).text).toBe(REPLY)
  })

  it('aborts the request when the reader cancels', async () => {
    const { backend, api } = await setup({ reply: () => LONG, eventDelayMs: 10 })
    const stream = api.streamMessage('Hi')
    const reader = stream.toReadableStream().getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toMatch(/^word0/)
    const reason = new Error('client went away')
    await reader.cancel(reason)
    await until(() => backend.inFlight === 0, 'the server to see the request aborted')
    expect(await rejectionOf(stream.result)).toBe(reason)
  })

  it('errors the byte stream when the call fails', async () => {
    const { backend, api } = await setup({ reply: () => REPLY })
    backend.fault({ type: 'cut', afterEvents: 2 })
    const stream = api.streamMessage('Hi')
    const error = await rejectionOf(new Response(stream.toReadableStream()).text())
    expect(error.code).toBe('stream_incomplete')
  })
})
