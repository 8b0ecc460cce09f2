import { describe, expect, it } from 'vitest'

import { ChatGPTConversation } from '../src/index.js'
import { rejectionOf, setup } from './helpers/backend.js'

const countingReply = (prompt: string, ctx: { messages: unknown[] }) =>
  `reply to "${prompt}" after ${ctx.messages.length} messages`

describe('ChatGPTConversation', () => {
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
})
