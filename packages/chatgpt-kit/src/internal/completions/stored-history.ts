/**
 * A conversation's history as {@link ConversationHistory} shows it, built from the messages the
 * Completions client keeps in its store: the thread that ends at the conversation's last reply.
 */
import { ConversationHistory } from '../../conversation-history.js'
import type { StoredMessage } from '../../store.js'
import type { ConversationJSONResult, ConversationNodeJSON } from '../../types.js'

/** `thread`: the conversation's messages, oldest first. */
export function storedHistory(conversationId: string, thread: readonly StoredMessage[]): ConversationHistory {
  const rootId = `root:${conversationId}`
  const mapping: Record<string, ConversationNodeJSON> = { [rootId]: { id: rootId, message: null, parent: null, children: [] } }
  let parent = rootId
  for (const stored of thread) {
    mapping[parent]!.children.push(stored.id)
    mapping[stored.id] = {
      id: stored.id,
      parent,
      children: [],
      message: {
        id: stored.id,
        author: { role: stored.role },
        content: { content_type: 'text', parts: [stored.text] },
        create_time: stored.createdAt / 1000,
        update_time: null,
        end_turn: stored.role === 'assistant' ? true : null,
        weight: 1,
        recipient: 'all',
        status: 'finished_successfully',
        metadata: {}
      }
    }
    parent = stored.id
  }
  const json: ConversationJSONResult = {
    title: '',
    create_time: (thread[0]?.createdAt ?? 0) / 1000,
    update_time: (thread.at(-1)?.createdAt ?? 0) / 1000,
    mapping,
    current_node: parent,
    conversation_id: conversationId
  }
  return new ConversationHistory(json, conversationId)
}
