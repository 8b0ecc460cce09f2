import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTConversation } from '../packages/chatgpt-kit/src/index.js'
import { defaultReply, type ReplyContext, type TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup } from './helpers/backend.js'

const UNKNOWN = '00000000-0000-4000-8000-000000000000'
const echo = (prompt: string, ctx: ReplyContext) => `${ctx.action} #${ctx.messages.length}: ${prompt}`

const posts = (backend: TestBackend) =>
  backend.requests.filter((r) => r.method === 'POST' && r.path === '/backend-api/conversation')
const lastBody = (backend: TestBackend) => posts(backend).at(-1)!.body as Record<string, any>

/** The root node of a stored conversation. */
function rootOf(backend: TestBackend, conversationId: string) {
  const tree = backend.conversations.get(conversationId)!
  return Object.values(tree.mapping).find((node) => node.parent === undefined)!
}

describe('model and messageId', () => {
  it('sends the default model, the client model, or the model of the call', async () => {
    const { backend, api } = await setup()
    await api.sendMessage('a')
    expect(lastBody(backend).model).toBe('text-davinci-002-render')
    await api.sendMessage('b', { model: 'gpt-4o' })
    expect(lastBody(backend).model).toBe('gpt-4o')

    const withModel = new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl,
      model: 'gpt-4'
    })
    const reply = await withModel.sendMessageDetailed('c')
    expect(lastBody(backend).model).toBe('gpt-4')
    expect(reply.model).toBe('gpt-4')
    expect(backend.conversations.get(reply.conversationId)!.mapping[reply.messageId]!.message!.metadata.model_slug).toBe('gpt-4')
  })

  it('refuses an unusable model at once', async () => {
    const { backend, api } = await setup()
    expect((await rejectionOf(api.sendMessage('a', { model: 'gpt\n4' }))).code).toBe('invalid_argument')
    expect((await rejectionOf(api.sendMessage('a', { model: '' }))).code).toBe('invalid_argument')
    expect(() => new ChatGPTAPI({ sessionToken: 'x', model: 42 as unknown as string })).toThrow(/model/)
    expect(backend.requests).toHaveLength(0)
  })

  it('uses the given user message id', async () => {
    const { backend, api } = await setup()
    const messageId = '3c7e5f0a-1b2c-4d3e-8f40-5a6b7c8d9e0f'
    const reply = await api.sendMessageDetailed('hi', { messageId })
    expect(reply.parentMessageId).toBe(messageId)
    expect(lastBody(backend).messages[0].id).toBe(messageId)
    const tree = backend.conversations.get(reply.conversationId)!
    expect(tree.mapping[messageId]!.message!.content.parts).toEqual(['hi'])
    expect(tree.mapping[reply.messageId]!.parent).toBe(messageId)
  })

  it('refuses a message id that is not a UUID, without echoing it', async () => {
    const { backend, api } = await setup()
    const error = await rejectionOf(api.sendMessage('hi', { messageId: 'secret-ish value' }))
    expect(error.code).toBe('invalid_argument')
    expect(error.message).toBe('messageId must be a UUID')
    expect(backend.requests).toHaveLength(0)
  })
})

describe('regenerateReply', () => {
  it('resends the user message as a variant; the new reply is a sibling of the old one', async () => {
    const { backend, api } = await setup({ reply: echo })
    const first = await api.sendMessageDetailed('name a cat')
    const progress: string[] = []
    const again = await api.regenerateReply({
      conversationId: first.conversationId,
      messageId: first.messageId,
      onProgress: (text) => progress.push(text)
    })

    expect(again.text).toBe('variant #1: name a cat')
    expect(progress.at(-1)).toBe(again.text)
    expect(again.conversationId).toBe(first.conversationId)
    expect(again.parentMessageId).toBe(first.parentMessageId)
    expect(again.messageId).not.toBe(first.messageId)

    const root = rootOf(backend, first.conversationId)
    expect(lastBody(backend)).toEqual({
      action: 'variant',
      messages: [{ id: first.parentMessageId, role: 'user', content: { content_type: 'text', parts: ['name a cat'] } }],
      model: 'text-davinci-002-render',
      parent_message_id: root.id,
      conversation_id: first.conversationId
    })
    const tree = backend.conversations.get(first.conversationId)!
    expect(tree.mapping[first.parentMessageId]!.children).toEqual([first.messageId, again.messageId])
    expect(tree.currentNode).toBe(again.messageId)
    // It looked the reply up first, in the same call.
    expect(backend.requests.map((r) => `${r.method} ${r.path}`).slice(-2)).toEqual([
      `GET /backend-api/conversation/${first.conversationId}`,
      'POST /backend-api/conversation'
    ])
  })

  it('regenerates a reply deeper in the thread under the reply before it', async () => {
    const { backend, api } = await setup({ reply: echo })
    const first = await api.sendMessageDetailed('one')
    const second = await api.sendMessageDetailed('two', {
      conversationId: first.conversationId,
      parentMessageId: first.messageId
    })
    const again = await api.regenerateReply({ conversationId: first.conversationId, messageId: second.messageId, model: 'gpt-4' })
    expect(again.text).toBe('variant #3: two')
    expect(lastBody(backend)).toMatchObject({ parent_message_id: first.messageId, model: 'gpt-4' })
    expect(backend.conversations.get(first.conversationId)!.mapping[second.parentMessageId]!.children).toHaveLength(2)
  })

  it('refuses a message that is not a reply, an unknown conversation, and bad ids', async () => {
    const { backend, api } = await setup()
    const first = await api.sendMessageDetailed('hi')
    const before = posts(backend).length

    const notAReply = await rejectionOf(api.regenerateReply({ conversationId: first.conversationId, messageId: first.parentMessageId }))
    expect(notAReply.code).toBe('invalid_argument')
    const unknownMessage = await rejectionOf(api.regenerateReply({ conversationId: first.conversationId, messageId: UNKNOWN }))
    expect(unknownMessage.code).toBe('invalid_argument')
    const unknownConversation = await rejectionOf(api.regenerateReply({ conversationId: UNKNOWN, messageId: first.messageId }))
    expect(unknownConversation.code).toBe('conversation_not_found')
    expect(unknownConversation.statusCode).toBe(404)
    const badId = await rejectionOf(api.regenerateReply({ conversationId: 'nope', messageId: first.messageId }))
    expect(badId.code).toBe('invalid_argument')
    const missing = await rejectionOf(api.regenerateReply({ conversationId: first.conversationId } as never))
    expect(missing.message).toBe('messageId is required')
    expect(posts(backend)).toHaveLength(before)
  })

  it('is bounded as a whole by timeoutMs and abortSignal', async () => {
    const { backend, api } = await setup()
    const first = await api.sendMessageDetailed('hi')
    backend.fault({ type: 'stall' })
    const timedOut = await rejectionOf(
      api.regenerateReply({ conversationId: first.conversationId, messageId: first.messageId, timeoutMs: 300 })
    )
    expect(timedOut.code).toBe('timeout')
    expect(timedOut.message).toBe('ChatGPT timed out waiting for response')

    const reason = new Error('stop')
    const aborted = await rejectionOf(
      api.regenerateReply({ conversationId: first.conversationId, messageId: first.messageId, abortSignal: AbortSignal.abort(reason) })
    )
    expect(aborted).toBe(reason)
  })
})

describe('continueReply and autoContinue', () => {
  const full = defaultReply('please go on')

  it('continues a reply that stopped at max_tokens, extending the same message', async () => {
    const { backend, api } = await setup({ maxReplyTokens: 5, shape: '2023' })
    const first = await api.sendMessageDetailed('please go on')
    expect(first.finishReason).toBe('max_tokens')
    expect(first.text).toBe('You said: **please go on**\n\n')

    const more = await api.continueReply({ conversationId: first.conversationId, messageId: first.messageId })
    expect(lastBody(backend)).toEqual({
      action: 'continue',
      model: 'text-davinci-002-render',
      parent_message_id: first.messageId,
      conversation_id: first.conversationId
    })
    expect(more.messageId).toBe(first.messageId)
    expect(more.parentMessageId).toBe(first.parentMessageId)
    expect(more.text.startsWith(first.text)).toBe(true)
    expect(more.text.length).toBeGreaterThan(first.text.length)
    const stored = backend.conversations.get(first.conversationId)!.mapping[first.messageId]!.message!
    expect(stored.content.parts[0]).toBe(more.text)
    expect(stored.metadata.message_type).toBe('continue')
  })

  // The 2022 shape has no finish_details: a reply cut at the limit cannot be told from a whole one.
  it.each(['2023', 'v1'] as const)('continues automatically until the reply is whole (%s shape)', async (shape) => {
    const { backend, api } = await setup({ maxReplyTokens: 5, shape })
    const progress: string[] = []
    const reply = await api.sendMessageDetailed('please go on', {
      autoContinue: 10,
      onProgress: (text) => progress.push(text)
    })
    expect(reply.text).toBe(full)
    expect(reply.finishReason).toBe('stop')
    const continues = posts(backend).filter((r) => (r.body as any).action === 'continue')
    expect(continues.length).toBeGreaterThan(1)
    for (const request of continues) expect((request.body as any).parent_message_id).toBe(reply.messageId)
    // onProgress sees one text that keeps growing across the continuations.
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.startsWith(progress[i - 1]!)).toBe(true)
    expect(progress.at(-1)).toBe(full)
    expect(reply.parentMessageId).toBe((posts(backend)[0]!.body as any).messages[0].id)
  })

  it('stops after autoContinue continuations, still at max_tokens', async () => {
    const { backend, api } = await setup({ maxReplyTokens: 3 })
    const reply = await api.sendMessageDetailed('please go on', { autoContinue: 2 })
    expect(posts(backend)).toHaveLength(3)
    expect(reply.finishReason).toBe('max_tokens')
    expect(full.startsWith(reply.text)).toBe(true)
    expect(reply.text).not.toBe(full)
  })

  it('streams one growing text across continuations, with plain text too', async () => {
    const { api } = await setup({ maxReplyTokens: 4, reply: () => 'Some **bold** words\n\nand more **bold** words\n\nthe end' }, { markdown: false })
    const stream = api.streamMessage('hi', { autoContinue: 10 })
    let joined = ''
    let last = ''
    for await (const update of stream) {
      joined += update.delta
      expect(update.text.length).toBeGreaterThanOrEqual(last.length)
      last = update.text
    }
    expect(last).toBe('Some bold words\n\nand more bold words\n\nthe end')
    expect(joined).toBe(last)
    expect((await stream.result).text).toBe(last)
  })

  it('does not continue a reply that finished', async () => {
    const { backend, api } = await setup()
    await api.sendMessage('hi', { autoContinue: 3 })
    expect(posts(backend)).toHaveLength(1)
  })

  it('keeps the whole text in partialText when a continuation fails', async () => {
    const { backend, api } = await setup({ maxReplyTokens: 5, reply: () => 'a b c d e f g h i j k l m n o p' })
    let armed = false
    const error = await rejectionOf(
      api.sendMessage('hi', {
        autoContinue: 5,
        onProgress: () => {
          // Queued while the first round streams, so the first continuation takes it.
          if (!armed) backend.fault({ type: 'cut', afterEvents: 2 })
          armed = true
        }
      })
    )
    expect(error.code).toBe('stream_incomplete')
    expect(error.partialText).toBe('a b c d e f g ')
    expect(posts(backend).map((r) => (r.body as any).action)).toEqual(['next', 'continue'])
  })

  it('refuses a bad autoContinue at once', async () => {
    const { backend, api } = await setup()
    for (const autoContinue of [-1, 1.5, Number.NaN]) {
      expect((await rejectionOf(api.sendMessage('hi', { autoContinue }))).code).toBe('invalid_argument')
    }
    expect(backend.requests).toHaveLength(0)
  })
})

describe('ChatGPTConversation actions', () => {
  it('regenerates the last reply and continues from the new one', async () => {
    const { backend, api } = await setup({ reply: echo })
    const chat = api.getConversation()
    await chat.sendMessage('one')
    const firstReply = chat.parentMessageId!
    const again = await chat.regenerate()
    expect(again.text).toBe('variant #1: one')
    expect(chat.parentMessageId).toBe(again.messageId)
    expect(await chat.sendMessage('two')).toBe('next #3: two')
    const tree = backend.conversations.get(chat.conversationId!)!
    expect(tree.mapping[firstReply]!.children).toEqual([])
    expect(tree.mapping[again.messageId]!.children).toHaveLength(1)
  })

  it('continues the last reply', async () => {
    const { api } = await setup({ maxReplyTokens: 5 })
    const chat = api.getConversation()
    const start = await chat.sendMessage('please go on')
    let reply = await chat.continue()
    while (reply.finishReason === 'max_tokens') reply = await chat.continue()
    expect(reply.text.startsWith(start)).toBe(true)
    expect(reply.text).toBe(defaultReply('please go on'))
    expect(chat.parentMessageId).toBe(reply.messageId)
  })

  it('rolls back exchanges so that the next message forks the thread', async () => {
    const { backend, api } = await setup({ reply: echo })
    const chat = api.getConversation()
    await chat.sendMessage('one')
    const a1 = chat.parentMessageId!
    await chat.sendMessage('two')
    const a2 = chat.parentMessageId!
    await chat.sendMessage('three')
    const a3 = chat.parentMessageId!

    await chat.rollback()
    expect(chat.parentMessageId).toBe(a2)
    // Nothing was sent or deleted: the server still ends at the old reply.
    expect(backend.conversations.get(chat.conversationId!)!.currentNode).toBe(a3)
    expect(await chat.sendMessage('three, again')).toBe('next #5: three, again')
    let history = await chat.history()
    expect(history.messages.map((m) => m.text)).toEqual([
      'one', 'next #1: one', 'two', 'next #3: two', 'three, again', 'next #5: three, again'
    ])

    await chat.rollback(2)
    expect(chat.parentMessageId).toBe(a1)
    history = await chat.history()
    expect(history.messages.map((m) => m.text)).toEqual(['one', 'next #1: one'])
    expect(history.currentNode).toBe(a1)

    await chat.rollback(1)
    await chat.sendMessage('first, edited')
    const root = rootOf(backend, chat.conversationId!)
    expect(root.children).toHaveLength(2)
    expect((await chat.history()).messages.map((m) => m.text)).toEqual(['first, edited', 'next #1: first, edited'])
  })

  it('refuses a rollback it cannot do', async () => {
    const { api } = await setup()
    const chat = api.getConversation()
    expect((await rejectionOf(chat.rollback())).code).toBe('invalid_argument')
    expect((await rejectionOf(chat.history())).code).toBe('invalid_argument')
    expect((await rejectionOf(chat.regenerate())).code).toBe('invalid_argument')
    expect((await rejectionOf(chat.continue())).code).toBe('invalid_argument')
    await chat.sendMessage('one')
    const before = chat.parentMessageId
    for (const n of [0, -1, 1.5]) expect((await rejectionOf(chat.rollback(n))).code).toBe('invalid_argument')
    const tooFar = await rejectionOf(chat.rollback(2))
    expect(tooFar.code).toBe('invalid_argument')
    expect(tooFar.message).toMatch(/first message/)
    expect(chat.parentMessageId).toBe(before)
  })

  it('runs messages, regenerations and rollbacks in the order they were called', async () => {
    const { api } = await setup({ reply: echo })
    const chat = new ChatGPTConversation(api)
    const [one, again, , two] = await Promise.all([
      chat.sendMessage('one'),
      chat.regenerate(),
      chat.rollback(),
      chat.sendMessage('one, edited')
    ])
    expect(one).toBe('next #1: one')
    expect(again.text).toBe('variant #1: one')
    expect(two).toBe('next #1: one, edited')
    expect((await chat.history()).messages.map((m) => m.text)).toEqual(['one, edited', 'next #1: one, edited'])
  })
})
