import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { requireUser } from './access.js'
import type { BackendContext, Exchange } from './context.js'
import { mappingToJson, type StoredConversation } from './conversation-store.js'
import { isObject, requireJson, sendDetail, sendJson } from './http-io.js'
import { modelEntries, unknownModel } from './models.js'
import type { TestUser } from './types.js'

// The rest of the backend. Every handler authenticates like /conversation and
// sees only the caller's own, visible conversations.

const LIST_LIMIT_MAX = 100

/** Runs `handler` for an authenticated caller with a JSON (or absent) body. */
function authenticated(
  handler: (ctx: BackendContext, ex: Exchange, user: TestUser, body: unknown) => void
): (ctx: BackendContext, ex: Exchange) => void {
  return (ctx, ex) => {
    const user = requireUser(ctx.accounts, ex.req, ex.res)
    if (!user) return
    const json = requireJson(ex.body, ex.res)
    if (json.ok) handler(ctx, ex, user, json.value)
  }
}

function findOr404(ctx: BackendContext, res: ServerResponse, id: unknown, user: TestUser): StoredConversation | undefined {
  const conversation = ctx.store.find(id, user.id)
  if (!conversation) sendDetail(res, 404, 'Conversation not found', 'conversation_not_found')
  return conversation
}

const invalid = (res: ServerResponse, message: string) => sendDetail(res, 422, message, 'invalid_request')
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString()

/** `GET /backend-api/models`. */
export const handleModels = authenticated((ctx, ex) => {
  sendJson(ex.res, 200, { models: modelEntries(ctx.options.models), categories: [] })
})

/** `POST /backend-api/moderations`: nothing is ever flagged. */
export const handleModerations = authenticated((_ctx, ex, _user, body) => {
  if (!isObject(body) || typeof body.input !== 'string') return invalid(ex.res, 'input must be a string.')
  sendJson(ex.res, 200, { flagged: false, blocked: false, moderation_id: `modr-${randomUUID()}` })
})

/** `POST /backend-api/conversation/message_feedback`. */
export const handleMessageFeedback = authenticated((ctx, ex, user, body) => {
  if (!isObject(body)) return invalid(ex.res, 'The request body must be a JSON object.')
  const { conversation_id, message_id, rating, text } = body
  if (rating !== 'thumbsUp' && rating !== 'thumbsDown') return invalid(ex.res, "rating must be 'thumbsUp' or 'thumbsDown'.")
  if (text !== undefined && typeof text !== 'string') return invalid(ex.res, 'text must be a string.')
  const conversation = findOr404(ctx, ex.res, conversation_id, user)
  if (!conversation) return
  if (typeof message_id !== 'string' || !conversation.mapping.get(message_id)?.message) {
    return sendDetail(ex.res, 404, 'Message not found', 'message_not_found')
  }
  sendJson(ex.res, 200, { message_id, conversation_id, user_id: user.id, rating, ...(text !== undefined && { text }) })
})

/** `GET /backend-api/conversations?offset&limit`: most recently updated first. */
export const handleListConversations = authenticated((ctx, ex, user) => {
  const offset = readCount(ex.url.searchParams.get('offset'), 0)
  const limit = readCount(ex.url.searchParams.get('limit'), 20)
  if (offset === undefined || limit === undefined) {
    return invalid(ex.res, 'offset and limit must be non-negative integers.')
  }
  const visible = ctx.store.visible(user.id)
  const page = visible.slice(offset, offset + Math.min(limit, LIST_LIMIT_MAX))
  sendJson(ex.res, 200, {
    items: page.map((c) => ({
      id: c.id,
      title: c.title,
      create_time: iso(c.createTime),
      update_time: iso(c.updateTime),
      mapping: null,
      current_node: null,
      conversation_template_id: null,
      is_archived: false
    })),
    total: visible.length,
    limit,
    offset,
    has_missing_conversations: false
  })
})

function readCount(raw: string | null, fallback: number): number | undefined {
  if (raw === null || raw === '') return fallback
  const n = Number(raw)
  return Number.isInteger(n) && n >= 0 ? n : undefined
}

/** `PATCH /backend-api/conversations` with `{is_visible: false}`: deletes every conversation. */
export const handleClearConversations = authenticated((ctx, ex, user, body) => {
  if (!isObject(body) || body.is_visible !== false) return invalid(ex.res, 'Only {is_visible: false} is supported.')
  for (const conversation of ctx.store.visible(user.id)) conversation.isVisible = false
  sendJson(ex.res, 200, { success: true })
})

/** `GET /backend-api/conversation/{id}`: the whole tree. */
export const handleGetConversation = authenticated((ctx, ex, user) => {
  const conversation = findOr404(ctx, ex.res, ex.params[0], user)
  if (!conversation) return
  const current = conversation.mapping.get(conversation.currentNode)?.message
  sendJson(ex.res, 200, {
    title: conversation.title,
    create_time: conversation.createTime,
    update_time: conversation.updateTime,
    mapping: mappingToJson(conversation),
    moderation_results: [],
    current_node: conversation.currentNode,
    conversation_id: conversation.id,
    is_archived: false,
    safe_urls: [],
    default_model_slug: current?.metadata.model_slug ?? 'text-davinci-002-render'
  })
})

/** `PATCH /backend-api/conversation/{id}`: `{title}` renames, `{is_visible: false}` deletes. */
export const handlePatchConversation = authenticated((ctx, ex, user, body) => {
  const conversation = findOr404(ctx, ex.res, ex.params[0], user)
  if (!conversation) return
  if (!isObject(body)) return invalid(ex.res, 'The request body must be a JSON object.')
  const { title, is_visible } = body
  if (title === undefined && is_visible === undefined) return invalid(ex.res, 'Expected title or is_visible.')
  if (title !== undefined && (typeof title !== 'string' || title.trim() === '')) {
    return invalid(ex.res, 'title must be a non-empty string.')
  }
  if (is_visible !== undefined && typeof is_visible !== 'boolean') return invalid(ex.res, 'is_visible must be a boolean.')
  if (typeof title === 'string') {
    conversation.title = title
    ctx.store.touch(conversation)
  }
  if (is_visible === false) conversation.isVisible = false
  sendJson(ex.res, 200, { success: true })
})

/**
 * `POST /backend-api/conversation/gen_title/{id}` with `{message_id, model?}`: a title from the
 * first prompt, stored. The message must be one of the conversation's, the model one offered.
 */
export const handleGenTitle = authenticated((ctx, ex, user, body) => {
  const conversation = findOr404(ctx, ex.res, ex.params[0], user)
  if (!conversation) return
  if (!isObject(body)) return invalid(ex.res, 'The request body must be a JSON object.')
  const { message_id, model } = body
  if (model !== undefined && typeof model !== 'string') return invalid(ex.res, 'model must be a string.')
  const refused = typeof model === 'string' ? unknownModel(model, ctx.options.models) : undefined
  if (refused) return sendDetail(ex.res, refused.status, refused.message, refused.code)
  if (typeof message_id !== 'string' || !conversation.mapping.get(message_id)?.message) {
    return sendDetail(ex.res, 404, 'Message not found', 'message_not_found')
  }
  conversation.title = titleFrom(ctx.store.firstPrompt(conversation) ?? '')
  ctx.store.touch(conversation)
  sendJson(ex.res, 200, { title: conversation.title })
})

/** The first six words of a prompt, without markdown punctuation, first letter capitalised. */
export function titleFrom(prompt: string): string {
  const words = prompt.replace(/[*_`#>[\]()~|]/g, ' ').trim().split(/\s+/).filter(Boolean).slice(0, 6)
  const title = words.join(' ').slice(0, 60)
  return title === '' ? 'New chat' : title[0]!.toUpperCase() + title.slice(1)
}
