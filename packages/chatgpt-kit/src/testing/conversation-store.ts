import { randomUUID } from 'node:crypto'
import type {
  ConversationMessage,
  ConversationNode,
  ConversationSnapshot,
  TestConversations
} from './types.js'

/** One conversation tree with its bookkeeping. */
export interface StoredConversation {
  readonly id: string
  readonly ownerId: string
  readonly rootId: string
  title: string
  readonly createTime: number
  updateTime: number
  /** Orders conversations by last update even when two updates share a timestamp. */
  updateSeq: number
  readonly mapping: Map<string, ConversationNode>
  currentNode: string
  isVisible: boolean
  /** Reply tokens not streamed yet (cut by `maxReplyTokens` or a dropped stream), per message id. */
  readonly pendingTokens: Map<string, string[]>
}

/** Unix seconds with sub-second precision, as the backend writes `create_time`. */
export const unixSeconds = (): number => Date.now() / 1000

/**
 * Every conversation tree, keyed by id. A tree starts with a root node that has no message and
 * no parent; each message hangs under the message it answers, so edits and regenerations become
 * siblings.
 */
export class ConversationStore implements TestConversations {
  readonly #conversations = new Map<string, StoredConversation>()
  #seq = 0

  /** A new empty conversation (just the root) owned by `ownerId`. */
  create(ownerId: string, id: string = randomUUID()): StoredConversation {
    const now = unixSeconds()
    const rootId = randomUUID()
    const conversation: StoredConversation = {
      id,
      ownerId,
      rootId,
      title: 'New chat',
      createTime: now,
      updateTime: now,
      updateSeq: ++this.#seq,
      mapping: new Map([[rootId, { id: rootId, children: [] }]]),
      currentNode: rootId,
      isVisible: true,
      pendingTokens: new Map()
    }
    this.#conversations.set(conversation.id, conversation)
    return conversation
  }

  /** The conversation as its owner sees it: `undefined` when unknown, deleted or someone else's. */
  find(id: unknown, ownerId: string): StoredConversation | undefined {
    if (typeof id !== 'string') return undefined
    const conversation = this.#conversations.get(id)
    return conversation && conversation.isVisible && conversation.ownerId === ownerId
      ? conversation
      : undefined
  }

  /** The owner's visible conversations, most recently updated first. */
  visible(ownerId: string): StoredConversation[] {
    return [...this.#conversations.values()]
      .filter((c) => c.isVisible && c.ownerId === ownerId)
      .sort((a, b) => b.updateSeq - a.updateSeq)
  }

  /** Hangs a new message under `parentId` and makes it the conversation's current node. */
  attach(conversation: StoredConversation, parentId: string, message: ConversationMessage): void {
    const parent = conversation.mapping.get(parentId)
    if (!parent) throw new Error(`no node ${parentId} in conversation ${conversation.id}`)
    parent.children.push(message.id)
    conversation.mapping.set(message.id, { id: message.id, message, parent: parentId, children: [] })
    conversation.currentNode = message.id
    this.touch(conversation)
  }

  /** Marks the conversation as just updated. */
  touch(conversation: StoredConversation): void {
    conversation.updateTime = unixSeconds()
    conversation.updateSeq = ++this.#seq
  }

  /** The user and assistant messages from the root down to `nodeId`, inclusive. */
  thread(
    conversation: StoredConversation,
    nodeId: string
  ): { role: 'user' | 'assistant'; text: string }[] {
    const thread: { role: 'user' | 'assistant'; text: string }[] = []
    for (let node = conversation.mapping.get(nodeId); node; node = node.parent === undefined ? undefined : conversation.mapping.get(node.parent)) {
      const role = node.message?.author.role
      if (role === 'user' || role === 'assistant') {
        thread.push({ role, text: node.message!.content.parts.join('\n') })
      }
    }
    return thread.reverse()
  }

  /** The first user message of the conversation, following first children from the root. */
  firstPrompt(conversation: StoredConversation): string | undefined {
    for (let node = conversation.mapping.get(conversation.rootId); node; node = conversation.mapping.get(node.children[0] ?? '')) {
      if (node.message?.author.role === 'user') return node.message.content.parts.join('\n')
    }
    return undefined
  }

  clear(): void {
    this.#conversations.clear()
  }

  get(id: string): ConversationSnapshot | undefined {
    const conversation = this.#conversations.get(id)
    return conversation && snapshot(conversation)
  }

  list(): ConversationSnapshot[] {
    return [...this.#conversations.values()].map(snapshot)
  }

  get size(): number {
    return this.#conversations.size
  }
}

/** The wire form of a tree's `mapping`, deep-copied. */
export function mappingToJson(conversation: StoredConversation): Record<string, ConversationNode> {
  return structuredClone(Object.fromEntries(conversation.mapping))
}

function snapshot(conversation: StoredConversation): ConversationSnapshot {
  return {
    id: conversation.id,
    title: conversation.title,
    mapping: mappingToJson(conversation),
    currentNode: conversation.currentNode,
    isVisible: conversation.isVisible,
    ownerId: conversation.ownerId,
    createTime: conversation.createTime,
    updateTime: conversation.updateTime
  }
}
