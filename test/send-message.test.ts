import { describe, expect, it } from 'vitest'

import { ChatGPTError, type ConversationResponseEvent } from '../packages/chatgpt-kit/src/index.js'
import type { StreamShape } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup, until } from './helpers/backend.js'

const SHAPES: StreamShape[] = ['2022', '2023', 'v1', '2026']
const REPLY = 'Hello **wörld** 😀 — a reply with `code` and [a link](https://example.com).'
const reply = () => REPLY

describe('sendMessage', () => {
  it.each(SHAPES)('returns the final reply and streams growing text (%s shape)', async (shape) => {
    const { api } = await setup({ shape, reply })
    const progress: string[] = []
    const text = await api.sendMessage('Hi', { onProgress: (partial) => progress.push(partial) })
    expect(text).toBe(REPLY)
    expect(progress.length).toBeGreaterThan(5)
    expect(progress.at(-1)).toBe(REPLY)
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.startsWith(progress[i - 1]!)).toBe(true)
      expect(progress[i]!.length).toBeGreaterThan(progress[i - 1]!.length)
    }
  })

  it.each(SHAPES)('gives the same result whatever the chunking (%s shape)', async (shape) => {
    for (const chunking of ['bytes', 3] as const) {
      const { api } = await setup({ shape, reply, chunking })
      expect(await api.sendMessage('Hi')).toBe(REPLY)
    }
  })

  it('sends the seed request: headers, clearance cookie, bearer token and body', async () => {
    const { backend, api } = await setup()
    const token = await api.ensureAuth()
    await api.sendMessage('What is 1+1?')
    const request = backend.requests.find((r) => r.path === '/backend-api/conversation')!
    expect(request.method).toBe('POST')
    expect(request.headers).toMatchObject({
      authorization: `Bearer ${token}`,
      accept: 'text/event-stream',
      'content-type': 'application/json',
      cookie: `cf_clearance=${backend.clearanceToken}`,
      'x-openai-assistant-app-id': '',
      referer: 'https://chat.openai.com/chat'
    })
    expect(request.body).toEqual({
      action: 'next',
      messages: [
        {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          role: 'user',
          content: { content_type: 'text', parts: ['What is 1+1?'] }
        }
      ],
      model: 'text-davinci-002-render',
      parent_message_id: expect.stringMatching(/^[0-9a-f-]{36}$/)
    })
  })

  it('hands every stream event to onConversationResponse, with the ids', async () => {
    const { api } = await setup({ shape: '2023' })
    const events: ConversationResponseEvent[] = []
    await api.sendMessage('Hi', { onConversationResponse: (event) => events.push(event) })
    const withAssistant = events.filter((e) => e.message?.author?.role === 'assistant')
    expect(withAssistant.length).toBeGreaterThan(1)
    expect(withAssistant.at(-1)!.conversation_id).toEqual(expect.any(String))
  })

  it('resolves to ids with sendMessageDetailed', async () => {
    const { backend, api } = await setup({ shape: 'v1', reply })
    const result = await api.sendMessageDetailed('Hi')
    const tree = backend.conversations.get(result.conversationId)!
    expect(result.text).toBe(REPLY)
    expect(tree.currentNode).toBe(result.messageId)
    expect(tree.mapping[result.messageId]!.parent).toBe(result.parentMessageId)
    expect(result.finishReason).toBe('stop')
  })

  it('continues a conversation with conversationId and parentMessageId', async () => {
    const { backend, api } = await setup({
      reply: (prompt, ctx) => `${ctx.messages.length} messages so far; you said ${prompt}`
    })
    const first = await api.sendMessageDetailed('one')
    const second = await api.sendMessageDetailed('two', {
      conversationId: first.conversationId,
      parentMessageId: first.messageId
    })
    expect(second.conversationId).toBe(first.conversationId)
    expect(second.text).toBe('3 messages so far; you said two')
    expect(backend.conversations.size).toBe(1)
  })

  it('rejects an unknown conversation with conversation_not_found', async () => {
    const { api } = await setup()
    const error = await rejectionOf(
      api.sendMessage('Hi', {
        conversationId: '00000000-0000-4000-8000-000000000000',
        parentMessageId: '00000000-0000-4000-8000-000000000001'
      })
    )
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('conversation_not_found')
    expect(error.statusCode).toBe(404)
    expect(error.message).toBe('ChatGPT error 404: Conversation not found')
  })

  it('refuses an empty message at once', async () => {
    const { backend, api } = await setup()
    const error = await rejectionOf(api.sendMessage('  '))
    expect(error.code).toBe('invalid_argument')
    expect(backend.requests).toHaveLength(0)
  })
})

describe('markdown: false', () => {
  const markdownReply = '# Title\n\nSome **bold** and _italic_ with [a link](https://x.y).\n\n```js\nconst a = 1 // **not bold**\n```\n\nDone.'

  it.each(SHAPES)('returns and streams plain text that keeps code blocks (%s shape)', async (shape) => {
    const { api } = await setup({ shape, reply: () => markdownReply }, { markdown: false })
    const progress: string[] = []
    const text = await api.sendMessage('Hi', { onProgress: (partial) => progress.push(partial) })
    expect(text).toContain('Title')
    expect(text).toContain('Some bold and italic with a link.')
    expect(text).toContain('const a = 1 // **not bold**')
    expect(text).not.toMatch(/```|^# /m)
    expect(progress.at(-1)).toBe(text)
  })
})

describe('how a stream settles', () => {
  it('rejects a stream cut before the reply finished with stream_incomplete and the partial text', async () => {
    const { backend, api } = await setup({ reply })
    backend.fault({ type: 'cut', afterEvents: 3 })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('stream_incomplete')
    expect(error.partialText).toBeTruthy()
    expect(REPLY.startsWith(error.partialText)).toBe(true)
    expect(error.partialText.length).toBeLessThan(REPLY.length)
  })

  it.each(SHAPES)('resolves a stream that ends without [DONE] after the reply finished (%s shape)', async (shape) => {
    const { backend, api } = await setup({ shape, reply })
    backend.fault({ type: 'cut', finished: true })
    expect(await api.sendMessage('Hi')).toBe(REPLY)
  })

  it('rejects with the error sent inside the stream', async () => {
    const { backend, api } = await setup({ reply })
    backend.fault({ type: 'stream-error', afterEvents: 2, error: 'The model is overloaded' })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('stream_error')
    expect(error.message).toContain('The model is overloaded')
    expect(error.partialText).toBeTruthy()
  })

  it('rejects with a {detail} event inside the stream', async () => {
    const { backend, api } = await setup({ shape: '2023' })
    backend.fault({ type: 'detail-event', detail: 'Something went wrong, please try again' })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('stream_error')
    expect(error.message).toContain('Something went wrong, please try again')
  })

  it('rejects a reset connection', async () => {
    const { backend, api } = await setup({ reply })
    backend.fault({ type: 'reset', afterEvents: 2 })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('network')
    expect(REPLY.startsWith(error.partialText)).toBe(true)
  })

  it('rejects an HTML page with a short message that does not contain it', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'html' })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('invalid_response')
    expect(error.message).toBe('ChatGPT answered with an HTML page instead of a reply stream')
  })

  it('rejects a JSON body with its detail', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'json', body: { detail: 'Not a stream today' } })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('invalid_response')
    expect(error.message).toBe('ChatGPT answered with JSON instead of a reply stream: Not a stream today')
  })

  it('rejects a Cloudflare challenge on the conversation endpoint', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'cloudflare' })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('cloudflare_challenge')
    expect(error.message).not.toContain('<')
  })

  it.each([
    [429, { detail: 'Too many requests in 1 hour. Try again later.' }, 'rate_limited'],
    [413, { detail: { message: 'The message you submitted was too long.', code: 'message_length_exceeds_limit' } }, 'message_too_long'],
    [500, 'oops', 'server_error'],
    [401, { detail: { message: 'Your authentication token has expired.', code: 'token_expired' } }, 'token_expired']
  ])('maps HTTP %i to a code and the server detail', async (status, body, code) => {
    const { backend, api } = await setup()
    backend.fault({ type: 'status', status, body, headers: { 'retry-after': '7' } })
    // A second 401 after the re-auth, so that the mapping is what the caller sees.
    if (status === 401) backend.fault({ type: 'status', status, body })
    const error = await rejectionOf(api.sendMessage('Hi', { maxRetries: 0 }))
    expect(error.code).toBe(code)
    expect(error.statusCode).toBe(status)
    if (typeof body === 'object') expect(error.message).toContain(typeof body.detail === 'string' ? body.detail : body.detail.message)
    if (code === 'rate_limited') expect(error.retryAfterMs).toBe(7000)
  })
})

describe('timeouts and abort', () => {
  it('rejects a stalled stream with the timeout message and aborts the request', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'stall', afterEvents: 2 })
    const error = await rejectionOf(api.sendMessage('Hi', { timeoutMs: 300 }))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.message).toBe('ChatGPT timed out waiting for response')
    expect(error.code).toBe('timeout')
    await until(() => backend.inFlight === 0, 'the server to see the request aborted')
  })

  it('bounds authentication with the same timeout', async () => {
    const { backend, api } = await setup()
    backend.fault({ endpoint: 'session', type: 'stall' })
    const error = await rejectionOf(api.sendMessage('Hi', { timeoutMs: 200 }))
    expect(error.code).toBe('timeout')
  })

  it('rejects with the signal reason when aborted mid-stream, and frees the request', async () => {
    const { backend, api } = await setup({ eventDelayMs: 20 })
    const controller = new AbortController()
    const reason = new Error('user changed their mind')
    const promise = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      onProgress: () => controller.abort(reason)
    })
    expect(await rejectionOf(promise)).toBe(reason)
    await until(() => backend.inFlight === 0, 'the server to see the request aborted')
  })

  it('rejects at once with an already-aborted signal', async () => {
    const { backend, api } = await setup()
    const error = await rejectionOf(api.sendMessage('Hi', { abortSignal: AbortSignal.abort() }))
    expect(error.name).toBe('AbortError')
    expect(backend.requests).toHaveLength(0)
  })

  it('honours whichever of timeoutMs and abortSignal comes first', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'stall' })
    const controller = new AbortController()
    const timedOut = await rejectionOf(api.sendMessage('Hi', { timeoutMs: 100, abortSignal: controller.signal }))
    expect(timedOut.code).toBe('timeout')

    backend.fault({ type: 'stall' })
    const reason = new Error('stop')
    const promise = api.sendMessage('Hi', { timeoutMs: 60_000, abortSignal: controller.signal })
    await until(() => backend.inFlight === 1, 'the stream to start')
    controller.abort(reason)
    expect(await rejectionOf(promise)).toBe(reason)
  })

  it('leaves no listener on a long-lived signal', async () => {
    const { api } = await setup()
    const controller = new AbortController()
    let listeners = 0
    const add = controller.signal.addEventListener.bind(controller.signal)
    const remove = controller.signal.removeEventListener.bind(controller.signal)
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => { listeners++; add(...args) }) as typeof add
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => { listeners--; remove(...args) }) as typeof remove
    for (let i = 0; i < 3; i++) await api.sendMessage('Hi', { abortSignal: controller.signal, timeoutMs: 10_000 })
    expect(listeners).toBe(0)
  })
})
