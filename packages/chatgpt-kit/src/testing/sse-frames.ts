/**
 * SSE frames as the web backend writes them, shared by every event shape.
 */
import { randomUUID } from 'node:crypto'
import type { ConversationMessage } from './types.js'

/** The stream's last frame. */
export const DONE_FRAME = 'data: [DONE]\n\n'

// Named `ping` events with an empty data line occur mid-stream; clients must skip them.
export const PING_FRAME = 'event: ping\ndata: \n\n'

/** One SSE frame; `pad` adds the trailing spaces real servers leave on some lines. */
export function frame(data: unknown, event?: string, pad = ''): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}${pad}\n\n`
}

/** The hidden system message that 2023+ streams start with. */
export function hiddenSystemMessage(createTime: number): ConversationMessage {
  return {
    id: randomUUID(),
    author: { role: 'system', name: null, metadata: {} },
    create_time: createTime,
    update_time: null,
    content: { content_type: 'text', parts: [''] },
    status: 'finished_successfully',
    end_turn: true,
    weight: 0,
    metadata: { is_visually_hidden_from_conversation: true },
    recipient: 'all'
  }
}

/** The in-stream failures every shape sends the same way: an event with a non-null `error`, and `{detail}`. */
export function failureFrames(conversationId: string): {
  error: (error: string | object) => string
  detail: (detail: string) => string
} {
  return {
    error: (error) => frame({ message: null, conversation_id: conversationId, error }),
    detail: (detail) => frame({ detail })
  }
}
