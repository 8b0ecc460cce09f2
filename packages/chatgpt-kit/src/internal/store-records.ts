/**
 * What a conversation store accepts, checked the same way by every implementation (memory here,
 * SQLite and Redis in the server package): a bad record fails with `invalid_argument` before
 * anything is written, and what is written is plain JSON data, so that a record reads back the
 * same from any store.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationBinding, StoredMessage } from '../store.js'

/** The longest id a store takes: ids become keys (a Redis key, a SQLite primary key). */
export const MAX_RECORD_ID_LENGTH = 256

const ROLES = new Set(['system', 'user', 'assistant'])

function invalid(message: string): ChatGPTError {
  return new ChatGPTError(message, { code: 'invalid_argument' })
}

/**
 * An id: a non-empty string of at most {@link MAX_RECORD_ID_LENGTH} characters, no control
 * characters, and no lone surrogate: stores that key by UTF-8 (Redis, SQLite) write every lone
 * surrogate as U+FFFD, so two different ids would share one record.
 */
export function assertRecordId(name: string, value: unknown): asserts value is string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value.length > MAX_RECORD_ID_LENGTH ||
    /[\x00-\x1f\x7f]/.test(value) ||
    /\p{Surrogate}/u.test(value)
  ) {
    throw invalid(`${name} must be a non-empty string of at most ${MAX_RECORD_ID_LENGTH} characters, without control characters or unpaired surrogates`)
  }
}

function assertTime(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${name} must be a time in milliseconds since the epoch`)
  }
}

/**
 * `value` as JSON data: a copy that shares nothing with the caller's object, with what JSON
 * drops (undefined fields) dropped, as a store that serialises would.
 */
function jsonCopy<T>(what: string, value: T): T {
  let text: string
  try {
    text = JSON.stringify(value)
  } catch {
    throw invalid(`${what} must be JSON data (no cycles, no BigInt)`)
  }
  return JSON.parse(text) as T
}

/**
 * Checks a binding and returns it as a JSON copy.
 * @throws ChatGPTError `invalid_argument` naming the bad field.
 */
export function checkBinding(binding: unknown): ConversationBinding {
  if (typeof binding !== 'object' || binding === null || Array.isArray(binding)) {
    throw invalid('a binding must be an object')
  }
  const { conversationId, accountId, lastMessageId, updatedAt } = binding as Record<string, unknown>
  assertRecordId('conversationId', conversationId)
  assertRecordId('accountId', accountId)
  if (lastMessageId !== undefined) assertRecordId('lastMessageId', lastMessageId)
  assertTime('updatedAt', updatedAt)
  return jsonCopy('a binding', binding as ConversationBinding)
}

/**
 * Checks a message and returns it as a JSON copy.
 * @throws ChatGPTError `invalid_argument` naming the bad field.
 */
export function checkStoredMessage(message: unknown): StoredMessage {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw invalid('a message must be an object')
  }
  const { id, role, text, parentMessageId, conversationId, createdAt, metadata } = message as Record<string, unknown>
  assertRecordId('id', id)
  if (typeof role !== 'string' || !ROLES.has(role)) throw invalid("role must be 'system', 'user' or 'assistant'")
  if (typeof text !== 'string') throw invalid('text must be a string')
  if (parentMessageId !== undefined) assertRecordId('parentMessageId', parentMessageId)
  if (conversationId !== undefined) assertRecordId('conversationId', conversationId)
  assertTime('createdAt', createdAt)
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    throw invalid('metadata must be an object')
  }
  return jsonCopy('a message', message as StoredMessage)
}

/** The error of every call to a store that has been closed. */
export function storeClosedError(what = 'The conversation store'): ChatGPTError {
  return new ChatGPTError(`${what} is closed`, { code: 'store_unavailable' })
}
