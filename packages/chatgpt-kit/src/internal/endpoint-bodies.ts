/**
 * Request bodies of the smaller endpoints, checked before anything is sent.
 */
import type {
  MessageFeedback,
  MessageFeedbackJSONBody,
  ModerationOptions,
  ModerationsJSONBody
} from '../types.js'
import { assertRequiredUuid, assertText, assertUuid, invalidArgument } from './validate.js'

const RATINGS = new Set(['thumbsUp', 'thumbsDown'])
const TAGS = new Set(['harmful', 'false', 'not-helpful'])

/** `POST /moderations`: the input, with the conversation and message it belongs to, if any. */
export function moderationBody(input: unknown, opts: ModerationOptions): ModerationsJSONBody {
  assertText('input', input, true)
  assertUuid('conversationId', opts.conversationId)
  assertUuid('messageId', opts.messageId)
  const body: ModerationsJSONBody = { input, model: 'text-moderation-playground' }
  if (opts.conversationId) body.conversation_id = opts.conversationId
  if (opts.messageId) body.message_id = opts.messageId
  return body
}

/** `POST /conversation/message_feedback`. */
export function feedbackBody(feedback: MessageFeedback): MessageFeedbackJSONBody {
  if (!feedback || typeof feedback !== 'object') throw invalidArgument('feedback must be an object')
  const { conversationId, messageId, rating, tags, text } = feedback
  assertRequiredUuid('conversationId', conversationId)
  assertRequiredUuid('messageId', messageId)
  if (!RATINGS.has(rating)) throw invalidArgument("rating must be 'thumbsUp' or 'thumbsDown'")
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((tag) => TAGS.has(tag)))) {
    throw invalidArgument("tags must be a list of 'harmful', 'false' and 'not-helpful'")
  }
  if (text !== undefined) assertText('text', text, true)
  const body: MessageFeedbackJSONBody = { conversation_id: conversationId, message_id: messageId, rating }
  if (tags !== undefined) body.tags = tags
  if (text !== undefined) body.text = text
  return body
}
