/**
 * Presentation, the last step of a reply: the text as the caller sees it. Everything before it
 * (transport, stream, rounds) deals in the server's markdown only.
 */
import { IncrementalMarkdownToText } from '../markdown.js'
import type { ReplyState } from './reply.js'

/**
 * A function from the reply's text so far to what the caller sees: the markdown as is, or plain
 * text converted as the reply grows (so a long reply costs O(n), not O(n²)).
 *
 * @param markdown - The client's `markdown` option.
 */
export function replyPresenter(markdown: boolean): (text: string, state: ReplyState) => string {
  if (markdown) return (text) => text
  const toText = new IncrementalMarkdownToText()
  let messageId: string | undefined
  return (text, state) => {
    // A new assistant message (after a tool call) is a new text, not a continuation.
    if (state.messageId !== messageId) {
      messageId = state.messageId
      toText.reset()
    }
    return toText.update(text)
  }
}
