import { describe, expect, it } from 'vitest'

import { MemoryStore } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf } from './helpers/backend.js'
import { describeStoreContract } from './helpers/store-contract.js'

describeStoreContract('MemoryStore', { create: async () => new MemoryStore() })

describe('MemoryStore bounds', () => {
  it('forgets the least recently used binding past maxBindings (a read counts as a use)', async () => {
    const store = new MemoryStore({ maxBindings: 3 })
    for (const id of ['a', 'b', 'c']) await store.putBinding({ conversationId: id, accountId: 'x', updatedAt: 1 })
    await store.getBinding('a') // a is now the most recently used; b the least
    await store.putBinding({ conversationId: 'd', accountId: 'x', updatedAt: 1 })
    expect(await store.getBinding('b')).toBeUndefined()
    for (const id of ['a', 'c', 'd']) expect(await store.getBinding(id)).toBeDefined()
    expect(store.size).toEqual({ bindings: 3, messages: 0 })
  })

  it('holds at most maxMessages messages however many are written', async () => {
    const store = new MemoryStore({ maxMessages: 10 })
    for (let i = 0; i < 1000; i++) await store.putMessage({ id: `m${i}`, role: 'user', text: 'hi', createdAt: i })
    expect(store.size.messages).toBe(10)
    expect(await store.getMessage('m999')).toBeDefined()
    expect(await store.getMessage('m989')).toBeUndefined()
  })

  it('refuses bounds that are not whole numbers of 1 or more', async () => {
    for (const bad of [0, -1, 1.5, NaN, '10']) {
      expect(() => new MemoryStore({ maxBindings: bad as number })).toThrow(/maxBindings/)
      expect(() => new MemoryStore({ maxMessages: bad as number })).toThrow(/maxMessages/)
    }
    const error = await rejectionOf(Promise.resolve().then(() => new MemoryStore({ maxBindings: 0 })))
    expect(error.code).toBe('invalid_argument')
  })
})
