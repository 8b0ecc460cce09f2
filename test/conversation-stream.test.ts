import { describe, expect, it } from 'vitest'

import { rejectionOf, setup } from './helpers/backend.js'

const countingReply = (prompt: string, ctx: { messages: unknown[] }) =>
  `reply to "${prompt}" after ${ctx.messages.length} messages`

describe('ChatGPTConversation: detailed and streamed messages', () => {
  it('sendMessageDetailed returns the ids and moves the conversation to them', async () => {
    const { api } = await setup({ reply: countingReply })
    const chat = api.getConversation()
    const first = await chat.sendMessageDetailed('a')
    expect(first.text).toBe('reply to "a" after 1 messages')
    expect(chat.conversationId).toBe(first.conversationId)
    expect(chat.parentMessageId).toBe(first.messageId)
    const second = await chat.sendMessageDetailed('b')
    expect(second.text).toBe('reply to "b" after 3 messages')
    expect(second.conversationId).toBe(first.conversationId)
  })

  it('streamMessage streams, waits its turn behind earlier calls, and continues from its reply', async () => {
    const { api } = await setup({ reply: countingReply, eventDelayMs: 2 })
    const chat = api.getConversation()
    // Started together: the stream must wait for the first message and continue from it.
    const first = chat.sendMessage('a')
    const stream = chat.streamMessage('b')
    let joined = ''
    for await (const update of stream) joined += update.delta
    expect(await first).toBe('reply to "a" after 1 messages')
    const reply = await stream.result
    expect(reply.text).toBe('reply to "b" after 3 messages')
    expect(joined).toBe(reply.text)
    expect(chat.parentMessageId).toBe(reply.messageId)
    expect(await chat.sendMessage('c')).toBe('reply to "c" after 5 messages')
  })

  it('a stream left early aborts, and the conversation stays where it was', async () => {
    const { api } = await setup({ reply: () => 'one two three four five six seven eight', eventDelayMs: 5 })
    const chat = api.getConversation()
    await chat.sendMessage('a')
    const before = chat.parentMessageId
    const stream = chat.streamMessage('b')
    for await (const update of stream) if (update.text.length > 0) break
    expect((await rejectionOf(stream.result)).code).toBe('aborted')
    expect(chat.parentMessageId).toBe(before)
  })
})
