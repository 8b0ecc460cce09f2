import type { DeltaOp } from '../../packages/chatgpt-kit/src/internal/delta-patch.js'

/** Where a v1 reply's text lives in its document. */
export const TEXT_PATH = '/message/content/parts/0'

/** The op a v1 reply starts with: the whole document, an assistant message with no text yet. */
export function v1StartOp(conversationId = 'c1', metadata: Record<string, unknown> = {}): DeltaOp {
  return {
    p: '',
    o: 'add',
    v: {
      message: {
        id: 'a1',
        author: { role: 'assistant', name: null, metadata: {} },
        content: { content_type: 'text', parts: [''] },
        status: 'in_progress',
        end_turn: null,
        recipient: 'all',
        metadata
      },
      conversation_id: conversationId,
      error: null
    }
  }
}
