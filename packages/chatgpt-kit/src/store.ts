/**
 * Where conversations are remembered between calls, processes and hosts: which account a
 * conversation lives on (for the account pool), and the messages a client that keeps its own
 * history needs (the Chat Completions client). The interface is small so that a store is easy to
 * write; {@link MemoryStore} is the one in this package, SQLite and Redis stores live in the
 * server-side package and pass the same contract tests.
 */
import { assertRecordId, checkBinding, checkStoredMessage, storeClosedError } from './internal/store-records.js'
import { assertPositiveCount } from './internal/validate.js'

/**
 * Which account a conversation lives on, and where it continues from. The account pool writes
 * one when a conversation starts and updates it after every reply.
 */
export type ConversationBinding = {
  /** The conversation (the key). */
  conversationId: string
  /** The pool account the conversation lives on: a follow-up must go there. */
  accountId: string
  /** The last message recorded in the conversation (the latest reply): where it continues from. */
  lastMessageId?: string
  /** When the binding was last written, in milliseconds since the epoch. */
  updatedAt: number
}

/**
 * A message a client keeps itself, linked to the message it follows: a conversation's context is
 * rebuilt by walking `parentMessageId` back from its last message.
 */
export type StoredMessage = {
  /** The message id (the key). */
  id: string
  role: 'system' | 'user' | 'assistant'
  text: string
  /** The message this one follows; absent for the first of a conversation. */
  parentMessageId?: string
  /** The conversation the message belongs to, when the client has one. */
  conversationId?: string
  /** When the message was written, in milliseconds since the epoch. */
  createdAt: number
  /** Anything else the client keeps with it (model, token count, …), as JSON data. */
  metadata?: Record<string, unknown>
}

/**
 * A conversation store. Every implementation keeps this contract (the package's tests run one
 * suite against each):
 *
 * - Records are JSON data. A record reads back as `JSON.parse(JSON.stringify(record))` of what
 *   was put (undefined fields dropped), and never shares an object with the caller.
 * - A put replaces the whole record, atomically: a read returns a record as one put wrote it,
 *   never a mix of two puts or a half-written one, even if the writer crashes mid-way.
 * - Ids are non-empty strings of at most 256 characters without control characters or unpaired
 *   surrogates; a bad id or record fails with ChatGPTError `invalid_argument` and writes nothing.
 * - An unknown id reads as `undefined`; deleting one is not an error.
 * - When the store cannot be reached (a database down, a store that was closed), calls reject
 *   with ChatGPTError `store_unavailable`, within a bounded time. A store never silently falls
 *   back to keeping records elsewhere.
 *
 * @example
 * ```ts
 * import { ChatGPTAccountPool, MemoryStore } from 'chatgpt'
 *
 * const store = new MemoryStore()
 * const pool = new ChatGPTAccountPool({ accounts, store })
 * const reply = await pool.sendMessageDetailed('Hi')
 * await store.getBinding(reply.conversationId) // → { accountId: 'alice', lastMessageId, … }
 * ```
 */
export interface ConversationStore {
  /** The binding of a conversation, or `undefined` when the store has none. */
  getBinding(conversationId: string): Promise<ConversationBinding | undefined>
  /** Writes (or replaces) the binding of `binding.conversationId`. */
  putBinding(binding: ConversationBinding): Promise<void>
  /** Forgets a conversation's binding. */
  deleteBinding(conversationId: string): Promise<void>
  /** A message, or `undefined` when the store has none with this id. */
  getMessage(messageId: string): Promise<StoredMessage | undefined>
  /** Writes (or replaces) the message `message.id`. */
  putMessage(message: StoredMessage): Promise<void>
  /** Forgets a message. */
  deleteMessage(messageId: string): Promise<void>
  /**
   * Releases what the store holds (connections, file handles). Later calls reject with
   * `store_unavailable`. Calling it again does nothing.
   */
  close(): Promise<void>
}

/** The defaults of {@link MemoryStore}'s options. */
export const MEMORY_STORE_DEFAULTS = {
  maxBindings: 10_000,
  maxMessages: 10_000
} as const

/** Options of {@link MemoryStore}. */
export type MemoryStoreOptions = {
  /**
   * How many bindings the store keeps; past it, the least recently used one is forgotten (a
   * follow-up in that conversation then fails with `conversation_not_found`).
   * @defaultValue 10000
   */
  maxBindings?: number
  /**
   * How many messages the store keeps; past it, the least recently used one is forgotten.
   * @defaultValue 10000
   */
  maxMessages?: number
}

/**
 * A {@link ConversationStore} in the process's memory: the default of the account pool. It is
 * lost when the process ends and is not shared with other processes; use the SQLite store (one
 * machine) or the Redis store (many) from the server-side package for that.
 *
 * Bounded: it keeps at most `maxBindings` bindings and `maxMessages` messages, forgetting the
 * least recently used (read or written) first, so that a bot running for months does not grow
 * without end.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ maxBindings: 1000 })
 * await store.putBinding({ conversationId: 'c1', accountId: 'alice', updatedAt: Date.now() })
 * await store.getBinding('c1') // → { conversationId: 'c1', accountId: 'alice', updatedAt: … }
 * ```
 */
export class MemoryStore implements ConversationStore {
  readonly #bindings: LruMap<ConversationBinding>
  readonly #messages: LruMap<StoredMessage>
  #closed = false

  /**
   * @param opts - See {@link MemoryStoreOptions}.
   * @throws ChatGPTError `invalid_argument` when a bound is not a whole number of 1 or more.
   */
  constructor(opts: MemoryStoreOptions = {}) {
    const maxBindings = opts?.maxBindings ?? MEMORY_STORE_DEFAULTS.maxBindings
    const maxMessages = opts?.maxMessages ?? MEMORY_STORE_DEFAULTS.maxMessages
    assertPositiveCount('maxBindings', maxBindings)
    assertPositiveCount('maxMessages', maxMessages)
    this.#bindings = new LruMap(maxBindings)
    this.#messages = new LruMap(maxMessages)
  }

  /** How many bindings and messages the store holds. */
  get size(): { bindings: number; messages: number } {
    return { bindings: this.#bindings.size, messages: this.#messages.size }
  }

  async getBinding(conversationId: string): Promise<ConversationBinding | undefined> {
    this.#assertOpen()
    assertRecordId('conversationId', conversationId)
    return copyOf(this.#bindings.get(conversationId))
  }

  async putBinding(binding: ConversationBinding): Promise<void> {
    this.#assertOpen()
    const record = checkBinding(binding)
    this.#bindings.set(record.conversationId, record)
  }

  async deleteBinding(conversationId: string): Promise<void> {
    this.#assertOpen()
    assertRecordId('conversationId', conversationId)
    this.#bindings.delete(conversationId)
  }

  async getMessage(messageId: string): Promise<StoredMessage | undefined> {
    this.#assertOpen()
    assertRecordId('messageId', messageId)
    return copyOf(this.#messages.get(messageId))
  }

  async putMessage(message: StoredMessage): Promise<void> {
    this.#assertOpen()
    const record = checkStoredMessage(message)
    this.#messages.set(record.id, record)
  }

  async deleteMessage(messageId: string): Promise<void> {
    this.#assertOpen()
    assertRecordId('messageId', messageId)
    this.#messages.delete(messageId)
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#bindings.clear()
    this.#messages.clear()
  }

  #assertOpen(): void {
    if (this.#closed) throw storeClosedError()
  }
}

/** A copy for the caller, so that changing it cannot change the stored record. */
function copyOf<T>(record: T | undefined): T | undefined {
  return record === undefined ? undefined : structuredClone(record)
}

/** A Map that forgets its least recently used entry past `max` (a Map iterates oldest first). */
class LruMap<V> {
  readonly #map = new Map<string, V>()

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#map.size
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key)
    if (value !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, value)
    }
    return value
  }

  set(key: string, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!)
  }

  delete(key: string): void {
    this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
  }
}
