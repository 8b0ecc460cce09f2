/**
 * `GET /conversations?offset&limit&order`: the query, and the answer as a
 * {@link ConversationsPage}.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationSummary, ConversationsPage, ListConversationsOptions } from '../types.js'
import { toDate } from './dates.js'
import { assertCount, assertPositiveCount, invalidArgument } from './validate.js'

/** The web app's page size, and the server's when `limit` is absent. */
export const DEFAULT_PAGE_SIZE = 20

/** The path and query of one page; checks the options. */
export function conversationsPath(opts: ListConversationsOptions, defaultLimit = DEFAULT_PAGE_SIZE): string {
  assertCount('offset', opts.offset)
  assertPositiveCount('limit', opts.limit)
  if (opts.order !== undefined && opts.order !== 'updated') throw invalidArgument("order must be 'updated'")
  const query = new URLSearchParams({
    offset: String(opts.offset ?? 0),
    limit: String(opts.limit ?? defaultLimit)
  })
  if (opts.order) query.set('order', opts.order)
  return `/conversations?${query}`
}

/** The answer as a page. Items without an id are dropped; counts the server left out are inferred. */
export function toConversationsPage(json: unknown, requestedOffset: number): ConversationsPage {
  const record = json as Record<string, unknown> | null
  if (!record || typeof record !== 'object' || !Array.isArray(record.items)) {
    throw new ChatGPTError('ChatGPT sent a conversation list without items', { code: 'invalid_response' })
  }
  const items = record.items.flatMap((item): ConversationSummary[] => {
    if (!item || typeof item !== 'object' || typeof item.id !== 'string') return []
    return [{
      id: item.id,
      title: typeof item.title === 'string' ? item.title : '',
      createTime: toDate(item.create_time),
      updateTime: toDate(item.update_time)
    }]
  })
  const offset = typeof record.offset === 'number' ? record.offset : requestedOffset
  const total = typeof record.total === 'number' ? record.total : offset + items.length
  const limit = typeof record.limit === 'number' ? record.limit : items.length
  // An empty page ends the list whatever `total` says, so iterating always terminates.
  return { items, total, limit, offset, hasMore: items.length > 0 && offset + items.length < total }
}
