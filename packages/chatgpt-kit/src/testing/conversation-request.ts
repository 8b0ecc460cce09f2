import { isObject, isUuid } from './http-io.js'

/** A `POST /backend-api/conversation` body that passed validation. */
export interface ConversationRequest {
  action: 'next' | 'variant' | 'continue'
  /** The user message (absent for `continue`). */
  message?: { id: string; text: string }
  parentMessageId: string
  conversationId?: string
  /** Absent when the body names none: the backend then answers with its default model. */
  model?: string
}

/** Why a body was refused: the status and the `{detail: {message, code}}` to answer with. */
export interface RequestProblem {
  status: number
  message: string
  code: string
}

/**
 * Validates a conversation request body. Accepts the `chatgpt` 2.x form and the later
 * one (`author: {role}` beside or instead of `role`); extra fields are ignored, as the real
 * backend ignores `timezone_offset_min` and friends.
 */
export function parseConversationRequest(body: unknown): ConversationRequest | RequestProblem {
  if (!isObject(body)) return invalid('The request body must be a JSON object.')
  const { action, messages, parent_message_id, conversation_id, model } = body
  if (action !== 'next' && action !== 'variant' && action !== 'continue') {
    return invalid("action must be 'next', 'variant' or 'continue'.")
  }
  if (!isUuid(parent_message_id)) return invalid('parent_message_id must be a UUID.')
  if (conversation_id !== undefined && conversation_id !== null && typeof conversation_id !== 'string') {
    return invalid('conversation_id must be a string.')
  }
  if (model !== undefined && typeof model !== 'string') return invalid('model must be a string.')
  const request: ConversationRequest = {
    action,
    parentMessageId: parent_message_id,
    conversationId: conversation_id ?? undefined,
    model
  }

  if (action === 'continue') {
    if (messages !== undefined && !(Array.isArray(messages) && messages.length === 0)) {
      return invalid("action 'continue' takes no messages.")
    }
    return request
  }
  if (!Array.isArray(messages) || messages.length !== 1) {
    return invalid('messages must hold exactly one user message.')
  }
  const message = parseUserMessage(messages[0])
  if (typeof message === 'string') return invalid(message)
  request.message = message
  return request
}

function parseUserMessage(message: unknown): { id: string; text: string } | string {
  if (!isObject(message)) return 'Each message must be an object.'
  if (!isUuid(message.id)) return 'message id must be a UUID.'
  const role = message.role ?? (isObject(message.author) ? message.author.role : undefined)
  if (role !== 'user') return "message role must be 'user'."
  const { content } = message
  if (!isObject(content) || content.content_type !== 'text') {
    return "message content must be {content_type: 'text', parts}."
  }
  const { parts } = content
  if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p) => typeof p === 'string')) {
    return 'message content parts must be a non-empty array of strings.'
  }
  return { id: message.id, text: parts.join('\n') }
}

const invalid = (message: string): RequestProblem => ({ status: 422, message, code: 'invalid_request' })

/** Whether parsing failed. */
export function isProblem(value: ConversationRequest | RequestProblem): value is RequestProblem {
  return 'status' in value
}
