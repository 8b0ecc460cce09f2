import { randomUUID } from 'node:crypto'
import { render2026 } from './event-shape-2026.js'
import { DONE_FRAME, PING_FRAME, failureFrames, frame, hiddenSystemMessage } from './sse-frames.js'
import type { ConversationMessage, StreamShape } from './types.js'

export { DONE_FRAME }

/** The live reply a stream renders; the caller updates `assistant` before each render call. */
export interface ReplyView {
  conversationId: string
  /** The stored assistant message: its text is the whole reply so far. */
  assistant: ConversationMessage
  /** The user message to echo before the reply (absent for `continue`). */
  user?: ConversationMessage
  /** The prompt the reply answers (for `continue`: the thread's last user message). */
  prompt: string
  /** A title to stream (`'2026'`: a new conversation's first turn). */
  title?: string
}

/**
 * Turns the states of one reply into SSE frames (complete `event:`/`data:` blocks ending in a
 * blank line) of one event shape. Stateful: v1's sticky ops depend on what was sent before.
 */
export interface StreamRenderer {
  /** Frames sent before any reply text. */
  open(): string[]
  /** The frame announcing that `delta` was appended (the view already holds the new text). */
  progress(delta: string): string
  /** The frame marking the message finished, carrying a last `delta` (may be empty). */
  finish(delta: string): string
  /** Frames after the finish frame, before `[DONE]`. */
  close(): string[]
  /** An in-stream failure: an event with a non-null `error`. */
  error(error: string | object): string
  /** An in-stream failure in `{detail}` form. */
  detail(detail: string): string
}

/** A renderer for `shape`, fresh per stream. */
export function createRenderer(shape: StreamShape, view: ReplyView): StreamRenderer {
  switch (shape) {
    case '2022':
      return render2022(view)
    case '2023':
      return render2023(view)
    case 'v1':
      return renderV1(view)
    case '2026':
      return render2026(view)
  }
}

function commonFailures(view: ReplyView): Pick<StreamRenderer, 'error' | 'detail'> {
  return failureFrames(view.conversationId)
}

function render2022(view: ReplyView): StreamRenderer {
  const event = (endTurn: boolean | null) =>
    frame({
      message: {
        id: view.assistant.id,
        role: 'assistant',
        user: null,
        create_time: null,
        update_time: null,
        content: { content_type: 'text', parts: [...view.assistant.content.parts] },
        end_turn: endTurn,
        weight: 1,
        recipient: 'all',
        metadata: {}
      },
      conversation_id: view.conversationId,
      error: null
    })
  return {
    open: () => [],
    progress: () => event(null),
    finish: () => event(view.assistant.end_turn),
    close: () => [],
    ...commonFailures(view)
  }
}

/** The hidden system message and the user echo that 2023+ streams start with. */
function preambleMessages(view: ReplyView): ConversationMessage[] {
  const system = hiddenSystemMessage(view.assistant.create_time)
  return view.user ? [system, view.user] : [system]
}

const fullEvent = (view: ReplyView, message: ConversationMessage, pad = '') =>
  frame({ message, conversation_id: view.conversationId, error: null }, undefined, pad)

function render2023(view: ReplyView): StreamRenderer {
  // Both trailer events report the same moderation pass: one in the 2023 form, one typed (2024).
  const moderationId = `modr-${randomUUID()}`
  const moderation = () => ({
    conversation_id: view.conversationId,
    message_id: view.assistant.id,
    is_completion: true,
    moderation_response: { flagged: false, blocked: false, moderation_id: moderationId }
  })
  return {
    open: () => [
      ...preambleMessages(view).map((m, i) => fullEvent(view, m, i === 1 ? '  ' : '')),
      PING_FRAME
    ],
    progress: () => fullEvent(view, view.assistant),
    finish: () => fullEvent(view, view.assistant),
    close: () => [frame(moderation()), frame({ type: 'moderation', ...moderation() })],
    ...commonFailures(view)
  }
}

/**
 * v1 delta encoding. The hidden system message and the user echo go out as plain (unnamed,
 * non-delta) full events, as 2024 servers sent them; the assistant message is the one delta
 * document (`c: 0`), started by an `add` and grown by sticky `append` ops.
 */
function renderV1(view: ReplyView): StreamRenderer {
  let appending = false
  return {
    open: () => [
      frame('v1', 'delta_encoding'),
      ...preambleMessages(view).map((m, i) => fullEvent(view, m, i === 1 ? ' ' : '')),
      PING_FRAME,
      frame(
        {
          p: '',
          o: 'add',
          v: { message: view.assistant, conversation_id: view.conversationId, error: null },
          c: 0
        },
        'delta'
      )
    ],
    progress: (delta) => {
      if (appending) return frame({ v: delta }, 'delta')
      appending = true
      return frame({ p: '/message/content/parts/0', o: 'append', v: delta }, 'delta')
    },
    finish: (delta) => {
      const { finish_details, is_complete } = view.assistant.metadata
      const ops: unknown[] = delta === '' ? [] : [{ p: '/message/content/parts/0', o: 'append', v: delta }]
      ops.push(
        { p: '/message/status', o: 'replace', v: view.assistant.status },
        { p: '/message/end_turn', o: 'replace', v: view.assistant.end_turn },
        { p: '/message/metadata', o: 'append', v: { finish_details, is_complete } }
      )
      // A patch resets stickiness: a later bare `{v}` would repeat the patch, not the append.
      appending = false
      return frame({ p: '', o: 'patch', v: ops }, 'delta')
    },
    close: () => [frame({ type: 'message_stream_complete', conversation_id: view.conversationId })],
    ...commonFailures(view)
  }
}
