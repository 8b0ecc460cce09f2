/**
 * Where the pool sends a message: the least recently used account that has the model, and a
 * follow-up always to its conversation's account.
 */
import { randomUUID } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { ChatGPTAccountPool, InProcessCoordinator, MemoryStore } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, until } from './helpers/backend.js'
import { conversationPosts, poolSetup, track } from './helpers/pool.js'

describe('picking', () => {
  it('spreads messages least recently used first: every account once before any twice', async () => {
    const { pool, ownerOf } = await poolSetup(4, { reply: () => 'ok' })
    const owners: string[] = []
    for (let i = 0; i < 8; i++) owners.push(ownerOf((await pool.sendMessageDetailed(`message ${i}`)).conversationId))
    expect(owners).toEqual(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd'])
    expect(pool.status().accounts.map((a) => a.replies)).toEqual([2, 2, 2, 2])
  })

  it('sends a message only to accounts that offer its model, and refuses a model none offers', async () => {
    const { backend, ownerOf, accountOptions } = await poolSetup(3, { reply: () => 'ok' })
    const pool = track(
      new ChatGPTAccountPool({
        accounts: [
          { ...accountOptions('a'), models: ['gpt-4'] },
          { ...accountOptions('b'), models: ['gpt-4o'] },
          { ...accountOptions('c'), models: ['gpt-4', 'gpt-4o'] }
        ]
      })
    )
    const owners: string[] = []
    for (let i = 0; i < 4; i++) owners.push(ownerOf((await pool.sendMessageDetailed('Hi', { model: 'gpt-4o' })).conversationId))
    expect(owners).toEqual(['b', 'c', 'b', 'c'])
    const posts = conversationPosts(backend)
    const error = await rejectionOf(pool.sendMessage('Hi', { model: 'gpt-5-turbo-max' }))
    expect(error.code).toBe('invalid_argument')
    expect(error.message).toMatch(/No account of this pool offers the model 'gpt-5-turbo-max'/)
    // Nor does the pool's default model: no account lists it.
    expect((await rejectionOf(pool.sendMessage('Hi'))).code).toBe('invalid_argument')
    expect(conversationPosts(backend)).toBe(posts)
  })

  it('learns which account offers which model from getModels; the union has each slug once', async () => {
    const { pool, backend } = await poolSetup(3)
    expect(pool.status().accounts.every((a) => a.models === undefined)).toBe(true)
    const slugs = (await pool.getModels()).map((m) => m.slug)
    expect(slugs).toContain('text-davinci-002-render')
    expect(new Set(slugs).size).toBe(slugs.length)
    expect(pool.status().accounts.map((a) => a.models)).toEqual([slugs, slugs, slugs])
    const posts = conversationPosts(backend)
    expect((await rejectionOf(pool.sendMessage('Hi', { model: 'no-such-model' }))).code).toBe('invalid_argument')
    expect(conversationPosts(backend)).toBe(posts)
  })
})

describe('affinity', () => {
  it('sends a follow-up to its conversation’s account even when others are idle and less recently used', async () => {
    const { pool, ownerOf, backend } = await poolSetup(4, { reply: (prompt) => `re: ${prompt}` })
    const first = await pool.sendMessageDetailed('start') // a
    await pool.sendMessageDetailed('other') // b; now c, d are idle and never used
    let reply = first
    for (let turn = 0; turn < 3; turn++) {
      reply = await pool.sendMessageDetailed(`turn ${turn}`, { conversationId: reply.conversationId, parentMessageId: reply.messageId })
      expect(reply.conversationId).toBe(first.conversationId)
    }
    expect(ownerOf(first.conversationId)).toBe('a')
    const tree = backend.conversations.get(first.conversationId)!
    expect(tree.currentNode).toBe(reply.messageId)
    // Three follow-ups on a; the idle accounts got nothing.
    expect(pool.status().accounts.map((a) => a.replies)).toEqual([4, 1, 0, 0])
  })

  it('makes a follow-up wait its turn on a busy account while new messages go to idle ones', async () => {
    const { pool, ownerOf, backend, accounts } = await poolSetup(3, { reply: () => 'ok' })
    const x = await pool.sendMessageDetailed('x') // a
    await pool.sendMessageDetailed('filler b') // b
    await pool.sendMessageDetailed('filler c') // c
    const w = await pool.sendMessageDetailed('w') // a again
    expect([ownerOf(x.conversationId), ownerOf(w.conversationId)]).toEqual(['a', 'a'])

    backend.fault({ type: 'stall', afterEvents: 1, userId: accounts.a!.user.id })
    const stop = new AbortController()
    const stalled = pool.sendMessage('stalls on a', { conversationId: x.conversationId, parentMessageId: x.messageId, abortSignal: stop.signal })
    await until(() => backend.inFlight === 1, 'the stalled reply')
    const followUp = pool.sendMessageDetailed('waits for a', { conversationId: w.conversationId, parentMessageId: w.messageId })
    await until(() => pool.status().waiting === 1, 'the follow-up to wait')
    // A new conversation meanwhile goes to an idle account at once.
    const fresh = await pool.sendMessageDetailed('new')
    expect(ownerOf(fresh.conversationId)).toBe('b')
    expect(pool.status().waiting).toBe(1)
    expect(pool.status().accounts.find((a) => a.id === 'a')!.busy).toBe(true)

    stop.abort(new Error('enough'))
    expect((await rejectionOf(stalled)).message).toBe('enough')
    const continued = await followUp
    expect(continued.conversationId).toBe(w.conversationId)
    expect(backend.conversations.get(w.conversationId)!.currentNode).toBe(continued.messageId)
    expect(Object.values(backend.replyStats()).every((s) => s.maxInFlight === 1 && s.refused === 0)).toBe(true)
  })

  it('keeps a ChatGPTConversation on one account, streaming or not', async () => {
    const { pool, ownerOf } = await poolSetup(3, { reply: (prompt) => `echo ${prompt}` })
    const chat = pool.getConversation()
    expect(chat.api).toBe(pool)
    expect(await chat.sendMessage('one')).toBe('echo one')
    await pool.sendMessage('elsewhere')
    let streamed = ''
    for await (const { delta } of chat.streamMessage('two')) streamed += delta
    expect(streamed).toBe('echo two')
    expect(await chat.sendMessage('three')).toBe('echo three')
    expect(ownerOf(chat.conversationId!)).toBe('a')
    const history = await chat.history()
    expect(history.messages.map((m) => m.text)).toEqual(['one', 'echo one', 'two', 'echo two', 'three', 'echo three'])
    const other = await chat.regenerate()
    expect(other.parentMessageId).toBe(history.messages[4]!.id)
    expect(pool.status().accounts.map((a) => a.replies)).toEqual([4, 1, 0])
  })

  it('refuses a conversation the store does not know, sending nothing', async () => {
    const { pool, backend } = await poolSetup(2)
    const error = await rejectionOf(pool.sendMessage('Hi', { conversationId: randomUUID(), parentMessageId: randomUUID() }))
    expect(error.code).toBe('conversation_not_found')
    expect(error.message).toMatch(/no record of conversation/)
    expect((await rejectionOf(pool.sendMessage('Hi', { conversationId: 'not-a-uuid' }))).code).toBe('invalid_argument')
    expect((await rejectionOf(pool.getConversationHistory(randomUUID()))).code).toBe('conversation_not_found')
    expect(conversationPosts(backend)).toBe(0)
  })

  it('continues a conversation in another pool that shares the store and coordinator (as another process would)', async () => {
    const store = new MemoryStore()
    const coordinator = new InProcessCoordinator()
    const { accountOptions, ownerOf } = await poolSetup(3, { reply: () => 'ok' })
    const first = track(new ChatGPTAccountPool({ accounts: ['a', 'b', 'c'].map(accountOptions), store, coordinator }))
    const second = track(new ChatGPTAccountPool({ accounts: ['c', 'b', 'a'].map(accountOptions), store, coordinator }))
    await first.sendMessage('to a')
    const started = await first.sendMessageDetailed('to b')
    const continued = await second.sendMessageDetailed('next', { conversationId: started.conversationId, parentMessageId: started.messageId })
    expect(ownerOf(continued.conversationId)).toBe('b')
    expect(await store.getBinding(started.conversationId)).toMatchObject({ accountId: 'b', lastMessageId: continued.messageId })

    // A pool without that account cannot continue it.
    const without = track(new ChatGPTAccountPool({ accounts: [accountOptions('a')], store, coordinator }))
    const error = await rejectionOf(without.sendMessage('next', { conversationId: started.conversationId }))
    expect(error.code).toBe('conversation_not_found')
    expect(error.message).toMatch(/lives on the account 'b', which is not in this pool/)
  })

  it('reads, renames and deletes a conversation on its account; deleting forgets the binding', async () => {
    const store = new MemoryStore()
    const { accountOptions, backend } = await poolSetup(2, { reply: () => 'ok' })
    const pool = track(new ChatGPTAccountPool({ accounts: ['a', 'b'].map(accountOptions), store }))
    await pool.sendMessage('to a')
    const reply = await pool.sendMessageDetailed('to b')
    await pool.renameConversation(reply.conversationId, 'Renamed')
    expect((await pool.getConversationHistory(reply.conversationId)).title).toBe('Renamed')
    expect(typeof (await pool.generateTitle(reply.conversationId, reply.messageId))).toBe('string')
    await pool.sendMessageFeedback({ conversationId: reply.conversationId, messageId: reply.messageId, rating: 'thumbsUp' })
    await pool.deleteConversation(reply.conversationId)
    expect(backend.conversations.get(reply.conversationId)!.isVisible).toBe(false)
    expect(await store.getBinding(reply.conversationId)).toBeUndefined()
    expect((await rejectionOf(pool.getConversationHistory(reply.conversationId))).code).toBe('conversation_not_found')
  })
})
