/**
 * Where in a conversation tree an action goes: the user message a regeneration resends, and the
 * node a rollback moves back to (any parent other than the latest reply forks a new branch).
 */
import { ChatGPTError } from '../errors.js'
import { nodeOf, pathTo, threadTo, toHistoryMessage, type Mapping } from './conversation-history.js'
import { invalidArgument } from './validate.js'

/** What `action: 'variant'` resends to regenerate a reply. */
export type RegenerationTarget = {
  /** The user message the reply answers. */
  userMessageId: string
  text: string
  /** That user message's own parent. */
  parentMessageId: string
}

/**
 * The user message an assistant reply answers — its nearest user ancestor, since tool traffic
 * may sit between them — with that message's parent.
 *
 * @throws ChatGPTError `invalid_argument` when `messageId` is not a reply of the conversation.
 */
export function regenerationTarget(mapping: Mapping, messageId: string): RegenerationTarget {
  if (toHistoryMessage(nodeOf(mapping, messageId))?.role !== 'assistant') {
    throw invalidArgument('messageId must be an assistant message of the conversation')
  }
  const path = pathTo(mapping, messageId)
  for (let i = path.length - 2; i >= 0; i--) {
    const message = toHistoryMessage(nodeOf(mapping, path[i]!))
    if (message?.role !== 'user') continue
    if (!message.parentId) break
    return { userMessageId: message.id, text: message.text, parentMessageId: message.parentId }
  }
  throw new ChatGPTError('ChatGPT sent a conversation in which the reply answers no user message', {
    code: 'invalid_response'
  })
}

/**
 * The node to continue from so that the next message replaces the `n`-th last user message of
 * the thread ending at `fromNode`: that user message's parent.
 *
 * @throws ChatGPTError `invalid_argument` when the thread has fewer than `n` user messages, or
 *   `fromNode` is not in the tree.
 */
export function rollbackTarget(mapping: Mapping, fromNode: string, n: number): string {
  if (!nodeOf(mapping, fromNode)) {
    throw invalidArgument("the conversation's parentMessageId is not in its history")
  }
  const users = threadTo(mapping, fromNode).filter((message) => message.role === 'user')
  const target = users[users.length - n]
  if (!target) throw invalidArgument('cannot roll back past the first message of the conversation')
  if (!target.parentId) {
    throw new ChatGPTError('ChatGPT sent a conversation whose first message has no parent', {
      code: 'invalid_response'
    })
  }
  return target.parentId
}
