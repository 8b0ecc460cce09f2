/**
 * One reply stream, start to end: bytes → events → reply state → callbacks, and the rule for
 * how every stream settles (PROTOCOL.md §2): `[DONE]` resolves; an end without `[DONE]` resolves
 * only if the assistant message had finished; an error event rejects.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationResponseEvent } from '../types.js'
import { ReplyReader, type ReplyState } from './reply.js'
import { SSEDecoder } from './sse.js'

export type ReplyStreamHandlers = {
  /** Called with the reply text every time it changes, and the state it belongs to. */
  onText?: (text: string, state: ReplyState) => void
  onConversationResponse?: (response: ConversationResponseEvent) => void
  /** Called whenever bytes arrive (the idle clock). */
  onBytes?: () => void
}

function incomplete(state: ReplyState, cause?: unknown): ChatGPTError {
  return new ChatGPTError(
    cause
      ? 'ChatGPT connection was lost before the reply had finished'
      : 'ChatGPT reply stream ended before the reply had finished',
    {
      code: cause ? 'network' : 'stream_incomplete',
      partialText: state.text,
      originalError: cause
    }
  )
}

/**
 * Reads a `text/event-stream` body to its end and returns the final reply state. Aborts surface
 * as whatever the body's reader rejects with; the caller maps them.
 */
export async function readReplyStream(
  body: ReadableStream<Uint8Array>,
  handlers: ReplyStreamHandlers,
  isAborted: () => boolean
): Promise<ReplyState> {
  const reader = new ReplyReader()
  const { onText, onConversationResponse } = handlers
  let outcome: 'done' | ChatGPTError | undefined

  const decoder = new SSEDecoder((event) => {
    if (outcome) return
    const step = reader.push(event)
    switch (step.kind) {
      case 'done':
        outcome = 'done'
        return
      case 'error':
        outcome = step.error
        return
      case 'event':
        onConversationResponse?.(step.response)
        if (step.textChanged && onText) onText(reader.state.text, reader.state)
    }
  })

  const byteReader = body.getReader()
  let ended = false
  try {
    while (!outcome) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await byteReader.read()
      } catch (error) {
        ended = true
        if (isAborted()) throw error
        // A reset after the assistant had finished loses nothing (the same rule as a clean end).
        if (reader.state.finished) return reader.state
        throw incomplete(reader.state, error)
      }
      if (chunk.done) {
        ended = true
        decoder.end()
        break
      }
      handlers.onBytes?.()
      decoder.push(chunk.value)
    }
  } finally {
    // Stop the download once we stop reading: after [DONE], an error event, an oversized event
    // or a callback that threw.
    if (!ended) byteReader.cancel().catch(() => {})
    byteReader.releaseLock()
  }

  if (outcome instanceof ChatGPTError) throw outcome
  if (outcome === 'done' || reader.state.finished) return reader.state
  throw incomplete(reader.state)
}
