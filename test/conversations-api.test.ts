import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError, ConversationHistory, type ConversationSummary } from '../packages/chatgpt-kit/src/index.js'
import type { ReplyContext, TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup } from './helpers/backend.js'

const UNKNOWN = '00000000-0000-4000-8000-000000000000'
const echo = (prompt: string, ctx: ReplyContext) => `${ctx.action}: ${prompt}`

const calls = (backend: TestBackend, method: string, prefix: string) =>
  backend.requests.filter((r) => r.method === method && r.path.startsWith(prefix))

/** Starts `n` conversations, oldest first; returns their ids newest first (the list's order). */
async function startConversations(api: Awaited<ReturnType<typeof setup>>['api'], n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.unshift((await api.sendMessageDetailed(`chat ${i}`)).conversationId)
  return ids
}

describe('listing conversations', () => {
  it('lists a page, newest first, with the counts to page on', async () => {
    const { backend, api } = await setup()
    const ids = await startConversations(api, 3)

    const first = await api.listConversations({ limit: 2, order: 'updated' })
    expect(first).toMatchObject({ total: 3, limit: 2, offset: 0, hasMore: true })
    expect(first.items.map((c) => c.id)).toEqual(ids.slice(0, 2))
    expect(first.items[0]!.title).toBe('New chat')
    expect(first.items[0]!.createTime).toBeInstanceOf(Date)
    expect(first.items[0]!.updateTime!.getTime()).toBeGreaterThanOrEqual(first.items[0]!.createTime!.getTime())
    expect(calls(backend, 'GET', '/backend-api/conversations').at(-1)!.url).toBe(
      '/backend-api/conversations?offset=0&limit=2&order=updated'
    )

    const second = await api.listConversations({ offset: 2, limit: 2 })
    expect(second).toMatchObject({ total: 3, offset: 2, hasMore: false })
    expect(second.items.map((c) => c.id)).toEqual(ids.slice(2))

    const defaults = await api.listConversations()
    expect(defaults.limit).toBe(20)
    expect(calls(backend, 'GET', '/backend-api/conversations').at(-1)!.url).toBe('/backend-api/conversations?offset=0&limit=20')
  })

  it('iterates every conversation across pages, each once', async () => {
    const { backend, api } = await setup()
    const ids = await startConversations(api, 5)
    const seen: ConversationSummary[] = []
    for await (const conversation of api.iterateConversations({ limit: 2 })) seen.push(conversation)
    expect(seen.map((c) => c.id)).toEqual(ids)
    expect(calls(backend, 'GET', '/backend-api/conversations')).toHaveLength(3)
  })

  it('stops reading pages when the loop stops', async () => {
    const { backend, api } = await setup()
    await startConversations(api, 5)
    for await (const conversation of api.iterateConversations({ limit: 2 })) {
      expect(conversation.id).toEqual(expect.any(String))
      break
    }
    expect(calls(backend, 'GET', '/backend-api/conversations')).toHaveLength(1)
  })

  it('lists nothing for an account without conversations, in one request', async () => {
    const { backend, api } = await setup()
    expect(await api.listConversations()).toEqual({ items: [], total: 0, limit: 20, offset: 0, hasMore: false })
    const all: ConversationSummary[] = []
    for await (const conversation of api.iterateConversations()) all.push(conversation)
    expect(all).toEqual([])
    expect(calls(backend, 'GET', '/backend-api/conversations')).toHaveLength(2)
  })

  it('refuses a bad offset, limit or order at once', async () => {
    const { backend, api } = await setup()
    for (const opts of [{ offset: -1 }, { limit: 0 }, { limit: 2.5 }, { order: 'created' as 'updated' }]) {
      expect((await rejectionOf(api.listConversations(opts))).code).toBe('invalid_argument')
    }
    expect((await rejectionOf(api.iterateConversations({ limit: -5 }).next())).code).toBe('invalid_argument')
    expect(backend.requests).toHaveLength(0)
  })
})

describe('getConversationHistory', () => {
  it('gives the active thread as ordered messages, from the tree', async () => {
    const { backend, api } = await setup({ reply: echo, shape: '2023' })
    const first = await api.sendMessageDetailed('one', { model: 'gpt-4' })
    const second = await api.sendMessageDetailed('two', {
      conversationId: first.conversationId,
      parentMessageId: first.messageId
    })

    const history = await api.getConversationHistory(first.conversationId)
    expect(history).toBeInstanceOf(ConversationHistory)
    expect(history).toMatchObject({ conversationId: first.conversationId, title: 'New chat', currentNode: second.messageId })
    expect(history.createTime).toBeInstanceOf(Date)
    expect(history.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'one'],
      ['assistant', 'next: one'],
      ['user', 'two'],
      ['assistant', 'next: two']
    ])
    const [u1, a1, u2, a2] = history.messages
    expect(u1!.parentId).toBe(Object.values(backend.conversations.get(first.conversationId)!.mapping).find((n) => !n.parent)!.id)
    expect(a1).toMatchObject({ id: first.messageId, parentId: u1!.id, model: 'gpt-4', finishReason: 'stop' })
    expect(u2!.parentId).toBe(a1!.id)
    expect(a2).toMatchObject({ id: second.messageId, parentId: second.parentMessageId, model: 'text-davinci-002-render' })
    expect(a2!.createTime).toBeInstanceOf(Date)
    expect(u1!.model).toBeUndefined()
    // The raw tree is there too, root included.
    expect(Object.keys(history.mapping)).toHaveLength(5)
    expect(history.message(u2!.id)).toEqual(u2)
    expect(history.message(UNKNOWN)).toBeUndefined()
  })

  it('shows regenerated replies as branches, and any branch as a thread', async () => {
    const { api } = await setup({ reply: echo })
    const first = await api.sendMessageDetailed('one')
    const variant = await api.regenerateReply({ conversationId: first.conversationId, messageId: first.messageId })

    const history = await api.getConversationHistory(first.conversationId)
    expect(history.messages.map((m) => m.text)).toEqual(['one', 'variant: one'])
    expect(history.branchesOf(variant.messageId).map((m) => m.id)).toEqual([first.messageId, variant.messageId])
    expect(history.branchesOf(first.parentMessageId).map((m) => m.text)).toEqual(['one'])
    expect(history.branchesOf(UNKNOWN)).toEqual([])

    const old = history.at(first.messageId)
    expect(old.currentNode).toBe(first.messageId)
    expect(old.messages.map((m) => m.text)).toEqual(['one', 'next: one'])
    expect(history.at(UNKNOWN).messages).toEqual([])
  })

  it('answers conversation_not_found for an unknown conversation, and refuses a bad id', async () => {
    const { backend, api } = await setup()
    const error = await rejectionOf(api.getConversationHistory(UNKNOWN))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error).toMatchObject({ code: 'conversation_not_found', statusCode: 404 })
    const before = backend.requests.length
    expect((await rejectionOf(api.getConversationHistory('../models'))).code).toBe('invalid_argument')
    expect(backend.requests).toHaveLength(before)
  })
})

describe('renaming, titling, deleting', () => {
  it('renames a conversation; the list and the backend show the new title', async () => {
    const { backend, api } = await setup()
    const [id] = await startConversations(api, 1)
    await api.renameConversation(id!, 'Trip to Lyon')
    expect(calls(backend, 'PATCH', '/backend-api/conversation/').at(-1)!.body).toEqual({ title: 'Trip to Lyon' })
    expect(backend.conversations.get(id!)!.title).toBe('Trip to Lyon')
    expect((await api.listConversations()).items[0]!.title).toBe('Trip to Lyon')
    expect((await api.getConversationHistory(id!)).title).toBe('Trip to Lyon')
    expect((await rejectionOf(api.renameConversation(id!, '  '))).code).toBe('invalid_argument')
    expect((await rejectionOf(api.renameConversation(UNKNOWN, 'x'))).code).toBe('conversation_not_found')
  })

  it('generates a title from the conversation and stores it', async () => {
    const { backend, api } = await setup()
    const reply = await api.sendMessageDetailed('Plan a **trip** to Lyon in May please')
    const title = await api.generateTitle(reply.conversationId, reply.messageId)
    expect(title).toBe('Plan a trip to Lyon in')
    expect(calls(backend, 'POST', '/backend-api/conversation/gen_title/').at(-1)!.body).toEqual({
      message_id: reply.messageId,
      model: 'text-davinci-002-render'
    })
    expect(backend.conversations.get(reply.conversationId)!.title).toBe(title)
    expect((await api.listConversations()).items[0]!.title).toBe(title)
    expect((await rejectionOf(api.generateTitle(UNKNOWN, reply.messageId))).code).toBe('conversation_not_found')
  })

  it('deletes a conversation: gone from the list, 404 to read or continue', async () => {
    const { backend, api } = await setup()
    const kept = await api.sendMessageDetailed('keep me')
    const doomed = await api.sendMessageDetailed('delete me')
    await api.deleteConversation(doomed.conversationId)

    expect(calls(backend, 'PATCH', '/backend-api/conversation/').at(-1)!.body).toEqual({ is_visible: false })
    expect(backend.conversations.get(doomed.conversationId)!.isVisible).toBe(false)
    const page = await api.listConversations()
    expect(page.items.map((c) => c.id)).toEqual([kept.conversationId])
    expect(page.total).toBe(1)

    const read = await rejectionOf(api.getConversationHistory(doomed.conversationId))
    expect(read).toMatchObject({ code: 'conversation_not_found', statusCode: 404 })
    const follow = await rejectionOf(
      api.sendMessage('still there?', { conversationId: doomed.conversationId, parentMessageId: doomed.messageId })
    )
    expect(follow.code).toBe('conversation_not_found')
    expect((await rejectionOf(api.deleteConversation(doomed.conversationId))).code).toBe('conversation_not_found')
    const chat = api.getConversation({ conversationId: doomed.conversationId, parentMessageId: doomed.messageId })
    expect((await rejectionOf(chat.history())).code).toBe('conversation_not_found')
  })

  it('clears every conversation', async () => {
    const { backend, api } = await setup()
    await startConversations(api, 3)
    await api.clearConversations()
    expect(calls(backend, 'PATCH', '/backend-api/conversations').at(-1)!.body).toEqual({ is_visible: false })
    expect(await api.listConversations()).toMatchObject({ items: [], total: 0, hasMore: false })
    expect(backend.conversations.list().every((c) => !c.isVisible)).toBe(true)
  })

  it('sees only its own account', async () => {
    const { backend, api } = await setup()
    const mine = await api.sendMessageDetailed('mine')
    const other = backend.addAccount()
    const otherApi = new ChatGPTAPI({
      sessionToken: other.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl
    })
    expect((await otherApi.listConversations()).total).toBe(0)
    expect((await rejectionOf(otherApi.deleteConversation(mine.conversationId))).code).toBe('conversation_not_found')
    expect(backend.conversations.get(mine.conversationId)!.isVisible).toBe(true)
  })
})

describe('models, moderation and feedback', () => {
  it('lists the models', async () => {
    const { api } = await setup()
    const models = await api.getModels()
    expect(models.map((m) => m.slug)).toContain('text-davinci-002-render')
    for (const model of models) expect(model).toMatchObject({ slug: expect.any(String), max_tokens: expect.any(Number) })
  })

  it('checks moderation, with the conversation and message when given', async () => {
    const { backend, api } = await setup()
    const reply = await api.sendMessageDetailed('hi')
    const result = await api.checkModeration('some text', {
      conversationId: reply.conversationId,
      messageId: reply.messageId
    })
    expect(result).toEqual({ flagged: false, blocked: false, moderation_id: expect.stringMatching(/^modr-/) })
    expect(calls(backend, 'POST', '/backend-api/moderations').at(-1)!.body).toEqual({
      input: 'some text',
      model: 'text-moderation-playground',
      conversation_id: reply.conversationId,
      message_id: reply.messageId
    })
    await api.checkModeration('alone')
    expect(calls(backend, 'POST', '/backend-api/moderations').at(-1)!.body).toEqual({
      input: 'alone',
      model: 'text-moderation-playground'
    })
    expect((await rejectionOf(api.checkModeration(42 as unknown as string))).code).toBe('invalid_argument')
  })

  it('sends feedback on a reply', async () => {
    const { backend, api } = await setup()
    const user = await api.ensureAuth().then(() => api.user!)
    const reply = await api.sendMessageDetailed('hi')
    const result = await api.sendMessageFeedback({
      conversationId: reply.conversationId,
      messageId: reply.messageId,
      rating: 'thumbsDown',
      tags: ['not-helpful'],
      text: 'too short'
    })
    expect(result).toEqual({
      message_id: reply.messageId,
      conversation_id: reply.conversationId,
      user_id: user.id,
      rating: 'thumbsDown',
      text: 'too short'
    })
    expect(calls(backend, 'POST', '/backend-api/conversation/message_feedback').at(-1)!.body).toEqual({
      conversation_id: reply.conversationId,
      message_id: reply.messageId,
      rating: 'thumbsDown',
      tags: ['not-helpful'],
      text: 'too short'
    })
  })

  it('refuses bad feedback at once, and unknown messages with not_found', async () => {
    const { backend, api } = await setup()
    const reply = await api.sendMessageDetailed('hi')
    const base = { conversationId: reply.conversationId, messageId: reply.messageId }
    const before = backend.requests.length
    for (const bad of [
      { ...base, rating: 'meh' },
      { ...base, rating: 'thumbsUp', tags: ['rude'] },
      { ...base, rating: 'thumbsUp', text: 3 },
      { ...base, messageId: 'x', rating: 'thumbsUp' }
    ]) {
      expect((await rejectionOf(api.sendMessageFeedback(bad as never))).code).toBe('invalid_argument')
    }
    expect(backend.requests).toHaveLength(before)
    const unknown = await rejectionOf(api.sendMessageFeedback({ ...base, messageId: UNKNOWN, rating: 'thumbsUp' }))
    expect(unknown).toMatchObject({ code: 'not_found', statusCode: 404 })
  })
})
