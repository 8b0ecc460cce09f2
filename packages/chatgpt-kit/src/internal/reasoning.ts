/**
 * Reasoning summaries of a reply (2025–26 reasoning models, PROTOCOL-2026.md §7.3): assistant
 * messages with `content_type: "thoughts"` and `content.thoughts: [{summary, content}, …]`. They
 * are not the reply's text; a caller may want them apart from it (`ChatGPTReply.reasoning`).
 *
 * The thoughts grow by appends like the text does, so they are read once, when the stream ends,
 * not joined on every event.
 */
import type { Message } from '../types.js'
import { withoutCitations } from './citation-markers.js'

/** The reasoning text may not grow past this many characters (a stream is hostile input). */
export const MAX_REASONING_CHARS = 1024 * 1024

/** Whether a message holds reasoning summaries. */
export function isThoughts(message: Message): boolean {
  const role = message.author?.role ?? message.role
  return role === 'assistant' && message.content?.content_type === 'thoughts'
}

/** The thoughts messages of one reply, in the order they started, each read when asked. */
export class ReasoningLog {
  /** By message id: how to read the message as it is now. */
  readonly #messages = new Map<string, () => Message | undefined>()

  /**
   * Notes a thoughts message. `read` gives it as it is now; a later note of the same id replaces
   * the reader (an event of the cumulative shapes is a new object each time).
   */
  note(id: string, read: () => Message | undefined): void {
    this.#messages.set(id, read)
  }

  /**
   * The reasoning as text: each thought's summary and content, separated by blank lines, citation
   * markers left out; `undefined` when the reply had none.
   */
  text(): string | undefined {
    const pieces: string[] = []
    let length = 0
    for (const [id, read] of this.#messages) {
      const message = read()
      // A document replaced by another message since it was noted is no longer that message.
      if (!message || message.id !== id) continue
      const thoughts = (message.content as { thoughts?: unknown } | undefined)?.thoughts
      if (!Array.isArray(thoughts)) continue
      for (const thought of thoughts) {
        if (typeof thought !== 'object' || thought === null) continue
        const { summary, content } = thought as { summary?: unknown; content?: unknown }
        for (const piece of [summary, content]) {
          if (typeof piece !== 'string' || piece.trim() === '') continue
          pieces.push(piece.trim())
          length += piece.length
          if (length > MAX_REASONING_CHARS) return cut(pieces)
        }
      }
    }
    return pieces.length === 0 ? undefined : withoutCitations(pieces.join('\n\n'))
  }
}

function cut(pieces: string[]): string {
  return withoutCitations(pieces.join('\n\n').slice(0, MAX_REASONING_CHARS))
}
