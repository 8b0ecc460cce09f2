/**
 * The context of a Completions request, built from the store: newest first, never more than fits,
 * the prompt's count equal to OpenAI's chat rule over what is sent, and bounded work on a store
 * that is huge, forgetful or corrupt.
 */
import { beforeAll, describe, expect, it } from 'vitest'

import { MemoryStore, type StoredMessage } from '../packages/chatgpt-kit/src/index.js'
import { buildContext, ENCODING_KEY, TOKEN_COUNT_KEY } from '../packages/chatgpt-kit/src/internal/completions/context-window.js'
import { tokenCounterFor, type TokenCounter } from '../packages/chatgpt-kit/src/internal/token-count.js'

let counter: TokenCounter
beforeAll(async () => {
  counter = await tokenCounterFor('gpt-4o')
})

/** A conversation of `turns` exchanges in the store; returns the last reply's id. */
async function conversation(store: MemoryStore, turns: number, text = (i: number, role: string) => `${role} message number ${i}`, withCounts = false): Promise<string> {
  let parent: string | undefined
  for (let i = 0; i < turns * 2; i++) {
    const role = i % 2 === 0 ? 'user' : 'assistant'
    const message: StoredMessage = { id: `m${i}`, role, text: text(i, role), parentMessageId: parent, conversationId: 'c', createdAt: i }
    if (withCounts) message.metadata = { [TOKEN_COUNT_KEY]: counter.text(message.text), [ENCODING_KEY]: counter.encoding }
    await store.putMessage(message)
    parent = message.id
  }
  return parent!
}

describe('the context window', () => {
  it('keeps the newest history that fits, oldest first, and counts exactly what it sends', async () => {
    const store = new MemoryStore()
    const last = await conversation(store, 50)
    const all = await buildContext({ store, systemMessage: 'Be brief.', message: 'next', parentMessageId: last, counter, maxPromptTokens: 100_000 })
    expect(all.messages).toHaveLength(1 + 100 + 1)
    expect(all.messages[1]).toEqual({ role: 'user', content: 'user message number 0' })
    expect(all.conversationId).toBe('c')
    expect(all.promptTokens).toBe(counter.chat(all.messages))

    for (const budget of [40, 100, 333, 1000]) {
      const cut = await buildContext({ store, systemMessage: 'Be brief.', message: 'next', parentMessageId: last, counter, maxPromptTokens: budget })
      expect(cut.promptTokens).toBe(counter.chat(cut.messages))
      expect(cut.promptTokens).toBeLessThanOrEqual(budget)
      // The system message first, the new one last, and between them a suffix of the history.
      expect(cut.messages[0]).toEqual({ role: 'system', content: 'Be brief.' })
      expect(cut.messages.at(-1)).toEqual({ role: 'user', content: 'next' })
      const kept = cut.messages.slice(1, -1)
      expect(kept).toEqual(all.messages.slice(1, -1).slice(100 - kept.length))
      // One more message would not have fitted.
      const older = all.messages[100 - kept.length]!
      if (kept.length < 100) expect(cut.promptTokens + 3 + counter.text(older.role) + counter.text(older.content)).toBeGreaterThan(budget)
    }
  })

  it('refuses a message that does not fit even alone, before anything is sent', async () => {
    const store = new MemoryStore()
    const error = await buildContext({ store, systemMessage: 'x', message: 'word '.repeat(500), parentMessageId: undefined, counter, maxPromptTokens: 100 }).catch((e) => e)
    expect(error.code).toBe('context_length_exceeded')
    expect(error.message).toMatch(/more than the 100 the context allows/)
  })

  it('fails with conversation_not_found for a parent the store does not hold, and carries on when older history was forgotten', async () => {
    const store = new MemoryStore({ maxMessages: 10 })
    const last = await conversation(store, 20)
    const missing = await buildContext({ store, systemMessage: '', message: 'x', parentMessageId: 'nope', counter, maxPromptTokens: 1000 }).catch((e) => e)
    expect(missing.code).toBe('conversation_not_found')
    const forgotten = await buildContext({ store, systemMessage: '', message: 'x', parentMessageId: last, counter, maxPromptTokens: 100_000 })
    expect(forgotten.messages).toHaveLength(10 + 1)
  })

  it('stops at a loop in a corrupt store', async () => {
    const store = new MemoryStore()
    await store.putMessage({ id: 'a', role: 'user', text: 'a', parentMessageId: 'b', createdAt: 0 })
    await store.putMessage({ id: 'b', role: 'assistant', text: 'b', parentMessageId: 'a', createdAt: 0 })
    const context = await buildContext({ store, systemMessage: '', message: 'x', parentMessageId: 'b', counter, maxPromptTokens: 100_000 })
    expect(context.messages.map((m) => m.content)).toEqual(['a', 'b', 'x'])
  })

  it('reuses the token counts stored with the messages instead of counting them again', async () => {
    const store = new MemoryStore()
    const last = await conversation(store, 200, (i) => `message ${i} `.repeat(20), true)
    let counted = 0
    const watching: TokenCounter = { ...counter, text: (text) => ((counted += text.length), counter.text(text)) }
    const context = await buildContext({ store, systemMessage: 'sys', message: 'new', parentMessageId: last, counter: watching, maxPromptTokens: 1_000_000 })
    expect(context.messages).toHaveLength(402)
    // Only roles, the system message and the new message were counted: a few characters each.
    expect(counted).toBeLessThan(402 * 10)
    expect(context.promptTokens).toBe(counter.chat(context.messages))
  })
})
