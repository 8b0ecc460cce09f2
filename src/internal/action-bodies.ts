/**
 * The request bodies of the two actions besides `next` (PROTOCOL.md §2): `variant` regenerates a
 * reply, `continue` extends one that stopped at the token limit.
 */
import type { ConversationJSONBody } from '../types.js'
import { nextMessageBody } from './conversation-request.js'

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
