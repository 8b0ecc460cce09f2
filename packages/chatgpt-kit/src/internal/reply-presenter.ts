/**
 * Presentation, the last step of a reply: the text as the caller sees it. Everything before it
 * (transport, stream, rounds) deals in the server's markdown only.
 */
import { IncrementalMarkdownToText } from '../markdown.js'
import type { ReplyState } from './reply.js'

/** The text as shown, and (when known) what it appended to the previous one. */
export type Shown = { text: string; appended: string | undefined }

/**
 * A function from the reply's text so far to what the caller sees: the markdown as is, or plain
 * text converted as the reply grows (so a long reply costs O(n), not O(n²)). `appended`, when
 * given, is how the text grew since the previous call; the result says the same of what it shows,
 * so that no one downstream has to read the whole text to find what is new.
 *
 * @param markdown - The client's `markdown` option.
 */
export function replyPresenter(
  markdown: boolean
): (text: string, state: ReplyState, appended?: string) => Shown {
  if (markdown) return (text, _state, appended) => ({ text, appended })
  const toText = new IncrementalMarkdownToText()
  let messageId: string | undefined
  return (text, state, appended) => {
    // A new assistant message (after a tool call) is a new text, not a continuation.
    if (state.messageId !== messageId) {
      messageId = state.messageId
      toText.reset()
      appended = undefined
    }
    const shown = toText.update(text, appended)
    return { text: shown, appended: toText.appended }
  }
}
