import { describe, expect, it } from 'vitest'

import { ChatGPTConversation } from '../packages/chatgpt-kit/src/index.js'
import type { TestBackendOptions } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup as setupBackend, until } from './helpers/backend.js'

const countingReply = (prompt: string, ctx: { messages: unknown[] }) =>
  `reply to "${prompt}" after ${ctx.messages.length} messages`

// The same conversation, whichever generation of the send sequence the client and backend speak.
describe.each(['2022', '2026'] as const)('ChatGPTConversation (protocol %s)', (protocol) => {
  const setup = (options: TestBackendOptions) =>
    protocol === '2026' ? setupBackend({ ...options, protocol }, { protocol }) : setupBackend(options)
  const sendPath = protocol === '2026' ? '/backend-api/f/conversation' : '/backend-api/conversation'

  it('threads the ids by itself', async () => {
    const { backend, api } = await setup({ reply: countingReply })
    const conversation = api.getConversation()
    expect(conversation).toBeInstanceOf(ChatGPTConversation)
    expect(conversation.api).toBe(api)
    expect(conversation.conversationId).toBeUndefined()

    expect(await conversation.sendMessage('a')).toBe('reply to "a" after 1 messages')
    const tree = backend.conversations.get(conversation.conversationId!)!
    expect(conversation.parentMessageId).toBe(tree.currentNode)

    expect(await conversation.sendMessage('b')).toBe('reply to "b" after 3 messages')
    expect(await conversation.sendMessage('c')).toBe('reply to "c" after 5 messages')
    expect(backend.conversations.size).toBe(1)
  })

  it('starts from the ids it was given', async () => {
    const { api } = await setup({ reply: countingReply })
    const first = await api.sendMessageDetailed('a')
    const conversation = api.getConversation({
      conversationId: first.conversationId,
      parentMessageId: first.messageId
    })
    expect(await conversation.sendMessage('b')).toBe('reply to "b" after 3 messages')
  })

  it('keeps its ids when a reply fails, so the message can be sent again', async () => {
    const { backend, api } = await setup({ reply: countingReply })
    const conversation = api.getConversation()
    await conversation.sendMessage('a')
    const before = { ...conversation }

    backend.fault({ type: 'cut', afterEvents: 1 })
    expect((await rejectionOf(conversation.sendMessage('b'))).code).toBe('stream_incomplete')
    expect(conversation.conversationId).toBe(before.conversationId)
    expect(conversation.parentMessageId).toBe(before.parentMessageId)

    expect(await conversation.sendMessage('b')).toBe('reply to "b" after 3 messages')
  })

  it('runs concurrent sends in order, each continuing from the previous reply', async () => {
    const { backend, api } = await setup({ reply: countingReply })
    const conversation = api.getConversation()
    const replies = await Promise.all([
      conversation.sendMessage('a'),
      conversation.sendMessage('b'),
      conversation.sendMessage('c')
    ])
    expect(replies).toEqual([
      'reply to "a" after 1 messages',
      'reply to "b" after 3 messages',
      'reply to "c" after 5 messages'
    ])
    expect(backend.conversations.size).toBe(1)
  })

  it('lets a send that waits its turn time out or be aborted without sending it, in order after', async () => {
    const { backend, api } = await setup({ reply: countingReply })
    const conversation = api.getConversation()
    await conversation.sendMessage('a')
    backend.fault({ type: 'stall' })
    const stalled = conversation.sendMessage('stalls', { timeoutMs: 3_000 })
    await until(() => backend.inFlight === 1, 'the stalled reply to start')

    const timedOut = await rejectionOf(conversation.sendMessage('too late', { timeoutMs: 50 }))
    expect(timedOut.code).toBe('timeout')
    const controller = new AbortController()
    const aborted = conversation.sendMessage('never mind', { abortSignal: controller.signal })
    controller.abort(new Error('never mind'))
    expect((await rejectionOf(aborted)).message).toBe('never mind')
    const prompts = () => backend.requests.filter((r) => r.path === sendPath).length
    expect(prompts()).toBe(2)

    // The next send still waits for the stalled one, then continues from the last good reply.
    const next = conversation.sendMessage('b')
    expect((await rejectionOf(stalled)).code).toBe('timeout')
    expect(await next).toBe('reply to "b" after 3 messages')
  }, 15_000)
})
