/**
 * A conversation tree (`GET /conversation/{id}`) → the messages a person sees:
 * the thread from the root to a node, through `parent`, keeping only user and assistant text.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationNodeJSON, HistoryMessage } from '../types.js'
import { withoutCitations } from './citation-markers.js'
import { toDate } from './dates.js'
import { visibleRole } from './visible-role.js'

export type Mapping = Record<string, ConversationNodeJSON>

/** The node's message as a {@link HistoryMessage}, or `undefined` when it is not shown. */
export function toHistoryMessage(node: ConversationNodeJSON | undefined): HistoryMessage | undefined {
  const message = node?.message
  const role = visibleRole(message)
  if (!node || !message || !role) return undefined
  const parts = Array.isArray(message.content?.parts) ? message.content.parts : []
  const metadata = message.metadata && typeof message.metadata === 'object' ? message.metadata : {}
  const result: HistoryMessage = {
    id: node.id,
    role,
    // Citation markers are not text (see citation-markers.ts), in a history as in a stream.
    text: withoutCitations(parts.filter((part): part is string => typeof part === 'string').join('\n')),
    parentId: typeof node.parent === 'string' ? node.parent : undefined,
    createTime: toDate(message.create_time)
  }
  if (role === 'assistant') {
    if (typeof metadata.model_slug === 'string') result.model = metadata.model_slug
    const finish = metadata.finish_details?.type
    if (typeof finish === 'string') result.finishReason = finish
  }
  return result
}

/**
 * The ids from the root down to `nodeId`, inclusive; `[]` when the node is unknown. A tree is
 * server input: a cycle or a dangling parent ends the walk instead of looping.
 */
export function pathTo(mapping: Mapping, nodeId: string | undefined): string[] {
  const path: string[] = []
  const seen = new Set<string>()
  for (let id = nodeId; typeof id === 'string' && !seen.has(id); ) {
    const node = Object.hasOwn(mapping, id) ? mapping[id] : undefined
    if (!node) break
    seen.add(id)
    path.push(id)
    id = node.parent ?? undefined
  }
  return path.reverse()
}

/** The shown messages of the thread that ends at `nodeId`, root first. */
export function threadTo(mapping: Mapping, nodeId: string | undefined): HistoryMessage[] {
  const messages: HistoryMessage[] = []
  for (const id of pathTo(mapping, nodeId)) {
    const message = toHistoryMessage(mapping[id])
    if (message) messages.push(message)
  }
  return messages
}

/** The node with this id, when the tree has it (never a prototype property). */
export function nodeOf(mapping: Mapping, id: string): ConversationNodeJSON | undefined {
  return Object.hasOwn(mapping, id) ? mapping[id] : undefined
}

/** Checks that an answer is a conversation tree at all; the rest is read defensively. */
export function assertConversationJSON(value: unknown): asserts value is { mapping: Mapping } {
  const mapping = (value as { mapping?: unknown } | null)?.mapping
  if (!mapping || typeof mapping !== 'object' || Array.isArray(mapping)) {
    throw new ChatGPTError('ChatGPT sent a conversation without its message tree', {
      code: 'invalid_response'
    })
  }
}
