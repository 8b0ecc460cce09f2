/**
 * Events of a reply stream that carry no message (PROTOCOL.md §2, PROTOCOL-2026.md §7.1): what a
 * reply's state takes from them. Typed 2026 events (`{"type": …}`) come as bare `data:` lines
 * beside the delta ops; the 2023 moderation event has no `type`.
 *
 * Taken: `title_generation` (the title), moderation results (`moderation`, and the 2023
 * `{moderation_response, is_completion}`), `message_stream_complete`. Read and left:
 * `resume_conversation_token` (a conduit token for resuming over WebSockets, which this client
 * does not do), `input_message` (the user's message as stored), `message_marker` (where the
 * visible text begins and ends), `server_ste_metadata` (server-side telemetry: its `model_slug`
 * is an internal name, `i-mini`, not the public slug), `conversation_detail_metadata` (limits and
 * banners). The `conversation_id` any of them carries is taken by the reader. Unknown types are
 * ignored.
 */
import type { ReplyState } from './reply.js'

/** A title longer than this is cut: it is server input, shown in lists. */
export const MAX_TITLE_CHARS = 1024

/** Takes what a message-less event says about the reply into `state`. */
export function readTypedEvent(event: Record<string, unknown>, state: ReplyState): void {
  const moderation = event.moderation_response
  if (moderation && typeof moderation === 'object') {
    const { flagged, blocked } = moderation as { flagged?: unknown; blocked?: unknown }
    // One result flagging the exchange (the prompt's or the reply's) marks it for good.
    state.moderated = state.moderated === true || flagged === true || blocked === true
  }
  switch (event.type) {
    case 'title_generation':
      // It may come mid-stream and again later: the last one stands.
      if (typeof event.title === 'string' && event.title.trim() !== '') {
        state.title = event.title.trim().slice(0, MAX_TITLE_CHARS)
      }
      return
    case 'message_stream_complete':
      state.streamComplete = true
      return
  }
}
