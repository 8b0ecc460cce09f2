/**
 * The request bodies of the three actions: `next` sends a message, `variant` regenerates a
 * reply, `continue` extends one that stopped at the token limit.
 */
import type { ConversationJSONBody } from '../types.js'

/**
 * Regenerating is resending the user message the reply answered — the same id and text — under
 * that message's own parent; the server then hangs a new reply beside the old one.
 */
export function variantMessageBody(opts: {
  /** The user message the regenerated reply answers. */
  userMessageId: string
  text: string
  /** The user message's parent. */
  parentMessageId: string
  conversationId: string
  model: string
}): ConversationJSONBody {
  return {
    ...nextMessageBody({
      messageId: opts.userMessageId,
      text: opts.text,
      parentMessageId: opts.parentMessageId,
      conversationId: opts.conversationId,
      model: opts.model
    }),
    action: 'variant'
  }
}

/** `continue` carries no message: the parent is the assistant message to extend. */
export function continueMessageBody(opts: {
  /** The assistant message to extend. */
  messageId: string
  conversationId: string
  model: string
}): ConversationJSONBody {
  return {
    action: 'continue',
    model: opts.model,
    parent_message_id: opts.messageId,
    conversation_id: opts.conversationId
  }
}

/** The body of a plain message, in the `chatgpt` 2.x form. */
export function nextMessageBody(opts: {
  messageId: string
  text: string
  parentMessageId: string
  conversationId?: string
  model: string
}): ConversationJSONBody {
  const body: ConversationJSONBody = {
    action: 'next',
    messages: [
      {
        id: opts.messageId,
        role: 'user',
        content: { content_type: 'text', parts: [opts.text] }
      }
    ],
    model: opts.model,
    parent_message_id: opts.parentMessageId
  }
  if (opts.conversationId) body.conversation_id = opts.conversationId
  return body
}
