/**
 * The conversation store for many processes and hosts: every process that names the same Redis
 * and prefix sees the same bindings and messages.
 *
 * Each record is one key holding its JSON, written by one `SET`, which Redis applies whole or not
 * at all: a writer that dies mid-way leaves the previous record (or none), never half of one.
 */
import { ChatGPTError, type ConversationBinding, type ConversationStore, type StoredMessage } from 'chatgpt-kit'
import { assertRecordId, checkBinding, checkStoredMessage, storeClosedError } from 'chatgpt-kit/internal'
import type { Redis } from 'ioredis'

import { storeUnavailable, whereOf } from '../redis/store-unavailable.js'

/** Options of {@link RedisStore}. */
export type RedisStoreOptions = {
  /** A connection from `connectRedis` (its command timeout bounds every call). */
  redis: Redis
  /** Prefix of every key; processes that share conversations use the same one. */
  prefix: string
  /**
   * How long a record is kept after its last write. Without it, records stay until deleted.
   * A follow-up in a conversation whose binding expired fails with `conversation_not_found`.
   */
  ttlMs?: number
  /** Where Redis is, for error messages (`host:port`, never a password). @defaultValue the connection's `host:port` */
  where?: string
}

/**
 * A {@link ConversationStore} in Redis. `close()` stops this store; the connection stays the
 * caller's to close.
 *
 * @example
 * ```ts
 * import { ChatGPTAccountPool } from 'chatgpt-kit'
 * import { RedisStore, connectRedis } from 'chatgpt-kit-server'
 *
 * const redis = await connectRedis('redis://127.0.0.1:6379')
 * const store = new RedisStore({ redis, prefix: 'my-bot:' })
 * const pool = new ChatGPTAccountPool({ accounts, store })
 * ```
 */
export class RedisStore implements ConversationStore {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #ttlMs: number | undefined
  readonly #where: string
  #closed = false

  /** @throws ChatGPTError `invalid_argument` for a missing connection or prefix, or a bad TTL. */
  constructor(options: RedisStoreOptions) {
    if (!options?.redis) throw new ChatGPTError('RedisStore needs a redis connection', { code: 'invalid_argument' })
    if (typeof options.prefix !== 'string' || options.prefix === '') {
      throw new ChatGPTError('RedisStore needs a key prefix', { code: 'invalid_argument' })
    }
    if (options.ttlMs !== undefined && !(Number.isInteger(options.ttlMs) && options.ttlMs > 0)) {
      throw new ChatGPTError('ttlMs must be a whole number of milliseconds above 0', { code: 'invalid_argument' })
    }
    this.#redis = options.redis
    this.#prefix = options.prefix
    this.#ttlMs = options.ttlMs
    this.#where = options.where ?? whereOf(options.redis)
  }

  async getBinding(conversationId: string): Promise<ConversationBinding | undefined> {
    assertRecordId('conversationId', conversationId)
    return this.#get(`${this.#prefix}binding:${conversationId}`)
  }

  async putBinding(binding: ConversationBinding): Promise<void> {
    const record = checkBinding(binding)
    await this.#set(`${this.#prefix}binding:${record.conversationId}`, record)
  }

  async deleteBinding(conversationId: string): Promise<void> {
    assertRecordId('conversationId', conversationId)
    await this.#del(`${this.#prefix}binding:${conversationId}`)
  }

  async getMessage(messageId: string): Promise<StoredMessage | undefined> {
    assertRecordId('messageId', messageId)
    return this.#get(`${this.#prefix}message:${messageId}`)
  }

  async putMessage(message: StoredMessage): Promise<void> {
    const record = checkStoredMessage(message)
    await this.#set(`${this.#prefix}message:${record.id}`, record)
  }

  async deleteMessage(messageId: string): Promise<void> {
    assertRecordId('messageId', messageId)
    await this.#del(`${this.#prefix}message:${messageId}`)
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  async #get<T>(key: string): Promise<T | undefined> {
    const text = await this.#call(() => this.#redis.get(key))
    if (text === null) return undefined
    try {
      return JSON.parse(text) as T
    } catch {
      throw storeUnavailable(this.#where, new Error(`${key} is not a record of this store (not JSON)`))
    }
  }

  async #set(key: string, record: unknown): Promise<void> {
    const json = JSON.stringify(record)
    await this.#call(() => (this.#ttlMs === undefined ? this.#redis.set(key, json) : this.#redis.set(key, json, 'PX', this.#ttlMs)))
  }

  async #del(key: string): Promise<void> {
    await this.#call(() => this.#redis.del(key))
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    if (this.#closed) throw storeClosedError()
    try {
      return await command()
    } catch (error) {
      throw storeUnavailable(this.#where, error)
    }
  }
}
