/**
 * A conversation as {@link ChatGPTAPI.getConversationHistory} returns it: the messages of its
 * active thread, and the whole tree for its branches.
 */
import { toDate } from './internal/dates.js'
import {
  assertConversationJSON,
  nodeOf,
  threadTo,
  toHistoryMessage
} from './internal/conversation-history.js'
import type { ConversationJSONResult, ConversationNodeJSON, HistoryMessage } from './types.js'

/**
 * A conversation's history. ChatGPT keeps a conversation as a tree: regenerating a reply adds a
 * sibling reply, editing a message adds a sibling message, and the *active thread* is the path
 * from the root to `currentNode`. `messages` is that thread as the chat shows it; `mapping` is
 * the whole tree as the server sent it, and {@link ConversationHistory.branchesOf} and
 * {@link ConversationHistory.at} walk it.
 *
 * @example
 * ```ts
 * const history = await api.getConversationHistory(conversationId)
 * for (const m of history.messages) console.log(`${m.role}: ${m.text}`)
 *
 * // the replies a regenerated message has had, and the thread through the first one
 * const last = history.messages.at(-1)!
 * const replies = history.branchesOf(last.id)
 * const first = history.at(replies[0]!.id).messages
 * ```
 */
export class ConversationHistory {
  /** The conversation id. */
  readonly conversationId: string
  readonly title: string
  /** The node the active thread ends at (normally the latest reply). */
  readonly currentNode: string
  /** When the conversation was created, when the server said. */
  readonly createTime: Date | undefined
  /** When it last changed, when the server said. */
  readonly updateTime: Date | undefined
  /**
   * The active thread, root first: the user and assistant text messages from the root to
   * `currentNode` (hidden system messages and tool traffic left out).
   */
  readonly messages: HistoryMessage[]
  /** The whole tree as the server sent it: every node by id, with `parent` and `children`. */
  readonly mapping: Record<string, ConversationNodeJSON>
  readonly #json: ConversationJSONResult

  /**
   * @param json - The server's answer.
   * @param conversationId - The id asked for, used when the answer does not repeat it.
   * @param currentNode - Another node to end the thread at, instead of the server's.
   * @throws ChatGPTError `invalid_response` when the answer has no message tree.
   * @internal
   */
  constructor(json: ConversationJSONResult, conversationId: string, currentNode?: string) {
    assertConversationJSON(json)
    this.conversationId =
      typeof json.conversation_id === 'string' ? json.conversation_id : conversationId
    this.title = typeof json.title === 'string' ? json.title : ''
    this.currentNode =
      currentNode ?? (typeof json.current_node === 'string' ? json.current_node : '')
    this.createTime = toDate(json.create_time)
    this.updateTime = toDate(json.update_time)
    this.mapping = json.mapping
    this.messages = threadTo(this.mapping, this.currentNode)
    this.#json = json
  }

  /**
   * A message of the conversation by id, on any branch.
   *
   * @param messageId - The message id.
   * @returns The message, or `undefined` when the tree has no shown message with that id.
   */
  message(messageId: string): HistoryMessage | undefined {
    return toHistoryMessage(nodeOf(this.mapping, messageId))
  }

  /**
   * The alternatives at a message: every shown message with the same parent, itself included,
   * oldest first. For a reply, its regenerations; for a user message, its edits.
   *
   * @param messageId - A message of the conversation.
   * @returns The siblings (`[message]` when it has none; `[]` when the id is unknown).
   */
  branchesOf(messageId: string): HistoryMessage[] {
    const node = nodeOf(this.mapping, messageId)
    const parent = typeof node?.parent === 'string' ? nodeOf(this.mapping, node.parent) : undefined
    const ids = parent && Array.isArray(parent.children) ? parent.children : node ? [messageId] : []
    return ids.flatMap((id) => toHistoryMessage(nodeOf(this.mapping, id)) ?? [])
  }

  /**
   * The same conversation with its thread ending at another node: how the chat reads on another
   * branch.
   *
   * @param nodeId - The node the thread should end at (e.g. from {@link ConversationHistory.branchesOf}).
   * @returns A history whose `messages` run from the root to `nodeId` (empty when it is unknown).
   */
  at(nodeId: string): ConversationHistory {
    return new ConversationHistory(this.#json, this.conversationId, nodeId)
  }
}
