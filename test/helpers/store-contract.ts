/**
 * The contract every ConversationStore keeps (see the interface's TSDoc in store.ts), as one
 * suite that each implementation runs: the memory store here, the SQLite and Redis stores of the
 * server-side package later. Not part of the published package.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError, type ConversationBinding, type ConversationStore, type StoredMessage } from '../../packages/chatgpt-kit/src/index.js'

export type StoreUnderTest = {
  /** A new store with no records (its own file, key prefix or database). */
  create(): Promise<ConversationStore>
  /**
   * The same records opened again after `closed` was closed (the same file, the same prefix).
   * Leave it out for a store that does not outlive its object (memory).
   */
  reopen?(closed: ConversationStore): Promise<ConversationStore>
}

const binding = (conversationId: string, accountId = 'alice'): ConversationBinding => ({
  conversationId,
  accountId,
  lastMessageId: `m-${conversationId}`,
  updatedAt: 1_700_000_000_000
})

const message = (id: string, parentMessageId?: string): StoredMessage => ({
  id,
  role: 'user',
  text: `text of ${id}`,
  ...(parentMessageId !== undefined && { parentMessageId }),
  conversationId: 'c1',
  createdAt: 1_700_000_000_000
})

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ChatGPTError)
    return (error as ChatGPTError).code
  }
  throw new Error('expected the store call to reject')
}

/** Registers the contract suite for one store implementation. */
export function describeStoreContract(name: string, subject: StoreUnderTest): void {
  describe(`${name}: the ConversationStore contract`, () => {
    it('reads back a binding as written, and undefined for an unknown conversation', async () => {
      const store = await subject.create()
      expect(await store.getBinding('nobody')).toBeUndefined()
      await store.putBinding(binding('c1'))
      expect(await store.getBinding('c1')).toEqual(binding('c1'))
      expect(await store.getBinding('c2')).toBeUndefined()
      await store.close()
    })

    it('replaces a whole record on put: fields left out are gone, not merged', async () => {
      const store = await subject.create()
      await store.putBinding(binding('c1'))
      await store.putBinding({ conversationId: 'c1', accountId: 'bob', updatedAt: 5 })
      expect(await store.getBinding('c1')).toEqual({ conversationId: 'c1', accountId: 'bob', updatedAt: 5 })
      await store.putMessage({ ...message('m1'), metadata: { model: 'gpt-4', tokens: 3 } })
      await store.putMessage(message('m1'))
      expect(await store.getMessage('m1')).toEqual(message('m1'))
      await store.close()
    })

    it('keeps JSON data, sharing no object with the caller either way', async () => {
      const store = await subject.create()
      const written = { ...binding('c1'), lastMessageId: undefined }
      await store.putBinding(written)
      written.accountId = 'changed after put'
      const read = await store.getBinding('c1')
      expect(read).toEqual({ conversationId: 'c1', accountId: 'alice', updatedAt: 1_700_000_000_000 })
      expect(Object.hasOwn(read!, 'lastMessageId')).toBe(false)
      read!.accountId = 'changed after get'
      expect((await store.getBinding('c1'))!.accountId).toBe('alice')

      const metadata = { nested: { list: [1, 'two', null], flag: true }, gone: undefined }
      await store.putMessage({ ...message('m1'), metadata })
      metadata.nested.list.push(4)
      expect((await store.getMessage('m1'))!.metadata).toEqual({ nested: { list: [1, 'two', null], flag: true } })
      await store.close()
    })

    it('keeps any text whole: unicode, newlines, quotes, a megabyte', async () => {
      const store = await subject.create()
      const texts = ['héllo wörld 😀 — 中文', 'line 1\nline 2\r\n"quoted" \\ back\u2028slash', 'x'.repeat(1024 * 1024), '']
      for (const [i, text] of texts.entries()) await store.putMessage({ ...message(`t${i}`), text })
      for (const [i, text] of texts.entries()) expect((await store.getMessage(`t${i}`))!.text).toBe(text)
      await store.close()
    })

    it('links messages so that a thread can be walked back from its last message', async () => {
      const store = await subject.create()
      await store.putMessage(message('m1'))
      await store.putMessage({ ...message('m2', 'm1'), role: 'assistant' })
      await store.putMessage(message('m3', 'm2'))
      const thread: string[] = []
      for (let id: string | undefined = 'm3'; id !== undefined; ) {
        const found: StoredMessage | undefined = await store.getMessage(id)
        thread.push(`${found!.role}:${found!.text}`)
        id = found!.parentMessageId
      }
      expect(thread).toEqual(['user:text of m3', 'assistant:text of m2', 'user:text of m1'])
      await store.close()
    })

    it('deletes bindings and messages; deleting an unknown one is no error', async () => {
      const store = await subject.create()
      await store.putBinding(binding('c1'))
      await store.putMessage(message('m1'))
      await store.deleteBinding('c1')
      await store.deleteMessage('m1')
      await store.deleteBinding('never-there')
      await store.deleteMessage('never-there')
      expect(await store.getBinding('c1')).toBeUndefined()
      expect(await store.getMessage('m1')).toBeUndefined()
      await store.close()
    })

    it('refuses bad ids and records with invalid_argument, writing nothing', async () => {
      const store = await subject.create()
      const badIds: unknown[] = ['', 'x'.repeat(257), 'a\nb', 'nul\0', 42, null, undefined, {}]
      for (const id of badIds) {
        expect(await codeOf(store.getBinding(id as string))).toBe('invalid_argument')
        expect(await codeOf(store.getMessage(id as string))).toBe('invalid_argument')
        expect(await codeOf(store.putBinding({ ...binding('c1'), conversationId: id as string }))).toBe('invalid_argument')
        expect(await codeOf(store.putBinding({ ...binding('c1'), accountId: id as string }))).toBe('invalid_argument')
        expect(await codeOf(store.putMessage({ ...message('m1'), id: id as string }))).toBe('invalid_argument')
      }
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const badRecords: [string, () => Promise<void>][] = [
        ['binding null', () => store.putBinding(null as never)],
        ['binding array', () => store.putBinding([] as never)],
        ['updatedAt NaN', () => store.putBinding({ ...binding('c1'), updatedAt: NaN })],
        ['updatedAt string', () => store.putBinding({ ...binding('c1'), updatedAt: '1' as never })],
        ['lastMessageId empty', () => store.putBinding({ ...binding('c1'), lastMessageId: '' })],
        ['role', () => store.putMessage({ ...message('m1'), role: 'tool' as never })],
        ['text', () => store.putMessage({ ...message('m1'), text: 5 as never })],
        ['createdAt', () => store.putMessage({ ...message('m1'), createdAt: -1 })],
        ['parentMessageId', () => store.putMessage({ ...message('m1'), parentMessageId: 'a\rb' })],
        ['metadata array', () => store.putMessage({ ...message('m1'), metadata: [] as never })],
        ['metadata cycle', () => store.putMessage({ ...message('m1'), metadata: cyclic })],
        ['metadata BigInt', () => store.putMessage({ ...message('m1'), metadata: { n: 1n } })]
      ]
      for (const [what, put] of badRecords) expect(await codeOf(put()), what).toBe('invalid_argument')
      expect(await store.getBinding('c1')).toBeUndefined()
      expect(await store.getMessage('m1')).toBeUndefined()
      await store.close()
    })

    it('never shows a mix of two puts racing on one record', async () => {
      const store = await subject.create()
      const versions = Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? { conversationId: 'c1', accountId: `account-${i}`, lastMessageId: `last-${i}`, updatedAt: i }
          : { conversationId: 'c1', accountId: `account-${i}`, updatedAt: i }
      )
      const reads: (ConversationBinding | undefined)[] = []
      await Promise.all(
        versions.flatMap((version) => [store.putBinding(version), store.getBinding('c1').then((read) => void reads.push(read))])
      )
      reads.push(await store.getBinding('c1'))
      for (const read of reads) {
        if (read === undefined) continue
        // Every field from one and the same put.
        expect(versions).toContainEqual(read)
      }
      expect(reads.at(-1)).toBeDefined()
      await store.close()
    })

    it('keeps many records apart', async () => {
      const store = await subject.create()
      const count = 500
      await Promise.all(Array.from({ length: count }, (_, i) => store.putBinding(binding(`c${i}`, `account-${i % 7}`))))
      for (let i = 0; i < count; i += 37) expect(await store.getBinding(`c${i}`)).toEqual(binding(`c${i}`, `account-${i % 7}`))
      await store.close()
    })

    it('rejects every call with store_unavailable once closed; closing twice is fine', async () => {
      const store = await subject.create()
      await store.putBinding(binding('c1'))
      await store.close()
      await store.close()
      expect(await codeOf(store.getBinding('c1'))).toBe('store_unavailable')
      expect(await codeOf(store.putBinding(binding('c2')))).toBe('store_unavailable')
      expect(await codeOf(store.deleteBinding('c1'))).toBe('store_unavailable')
      expect(await codeOf(store.getMessage('m1'))).toBe('store_unavailable')
      expect(await codeOf(store.putMessage(message('m1')))).toBe('store_unavailable')
      expect(await codeOf(store.deleteMessage('m1'))).toBe('store_unavailable')
    })

    if (subject.reopen) {
      const reopen = subject.reopen
      it('loses nothing when closed and opened again', async () => {
        const store = await subject.create()
        await store.putBinding(binding('c1'))
        await store.putMessage({ ...message('m1'), metadata: { model: 'gpt-4' } })
        await store.deleteBinding('gone')
        await store.close()
        const again = await reopen(store)
        expect(await again.getBinding('c1')).toEqual(binding('c1'))
        expect(await again.getMessage('m1')).toEqual({ ...message('m1'), metadata: { model: 'gpt-4' } })
        await again.close()
      })
    }
  })
}
