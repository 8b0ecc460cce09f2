/**
 * One reply stream, start to end: bytes → events → reply state → callbacks, and the rule for
 * how every stream settles: `[DONE]` resolves; an end without `[DONE]` resolves
 * only if the assistant message had finished or the server had said the stream was complete
 * (`message_stream_complete`, which 2026 servers send just before `[DONE]`); an error event rejects.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationResponseEvent } from '../types.js'
import { ReplyReader, type ReplyState } from './reply.js'
import type { BodyReader } from './body-reader.js'
import { CLOUDFLARE_CHALLENGE_MESSAGE, hasChallengeMarkers } from './cloudflare.js'
import { detailOf, parseJson } from './http-error.js'
import { oneLine } from './redact.js'
import { SSEDecoder } from './sse.js'

export type ReplyStreamHandlers = {
  /** Called with the reply text every time it changes, and the state it belongs to. */
  onText?: (text: string, state: ReplyState) => void
  onConversationResponse?: (response: ConversationResponseEvent) => void
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
 * Reads a `text/event-stream` body to its end and returns the final reply state.
 *
 * @throws the call's abort reason (every read is raced against it); a ChatGPTError for a
 *   stream that failed, errored or ended early; whatever a handler throws, as is.
 */
export async function readReplyStream(body: BodyReader, handlers: ReplyStreamHandlers): Promise<ReplyState> {
  const reader = new ReplyReader()
  const { onText, onConversationResponse } = handlers
  let outcome: 'done' | ChatGPTError | undefined

  // Whether the body was a stream at all: a page or a JSON error sent as `text/event-stream`
  // carries no event, and deserves to be called what it is rather than a cut-off reply.
  let sawEvent = false
  const head = new BodyHead()
  const decoder = new SSEDecoder((event) => {
    sawEvent = true
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

  try {
    while (!outcome) {
      let chunk: Uint8Array | undefined
      try {
        chunk = await body.read()
      } catch (error) {
        if (!(error instanceof ChatGPTError) || error.code !== 'network') throw error
        // A reset after the assistant had finished loses nothing (the same rule as a clean end).
        if (complete(reader.state)) return reader.settle()
        throw incomplete(reader.state, error.originalError)
      }
      if (!chunk) {
        decoder.end()
        break
      }
      if (!sawEvent) head.push(chunk)
      decoder.push(chunk)
    }
  } finally {
    // Stop the download once we stop reading: after [DONE], an error event, an oversized event
    // or a callback that threw. (A body that ended or failed has nothing left to cancel.)
    body.cancel()
  }

  if (outcome instanceof ChatGPTError) throw outcome
  if (outcome === 'done' || complete(reader.state)) return reader.settle()
  if (!sawEvent) notAStream(head.text)
  throw incomplete(reader.state)
}

/** Whether a stream that ended without `[DONE]` still gave the whole reply. */
function complete(state: ReplyState): boolean {
  return state.finished || state.streamComplete === true
}

/** The first few KB of a body, as text, while it has not shown itself to be a stream. */
class BodyHead {
  text = ''
  readonly #decoder = new TextDecoder()

  push(chunk: Uint8Array): void {
    if (this.text.length < HEAD_CHARS) this.text += this.#decoder.decode(chunk, { stream: true })
  }
}

const HEAD_CHARS = 4096

/**
 * Throws when a body without a single event was a page or JSON: says what it was, briefly, never
 * the page itself. (Anything else, nothing or comments, is a stream that ended too early.)
 */
function notAStream(head: string): void {
  if (/^\s*</.test(head)) {
    if (hasChallengeMarkers(head)) {
      throw new ChatGPTError(CLOUDFLARE_CHALLENGE_MESSAGE, { code: 'cloudflare_challenge' })
    }
    throw new ChatGPTError('ChatGPT answered with an HTML page instead of a reply stream', { code: 'invalid_response' })
  }
  const json = parseJson(head)
  if (json === undefined) return
  const detail = detailOf(json)?.message
  throw new ChatGPTError(
    `ChatGPT answered with JSON instead of a reply stream${detail ? `: ${oneLine(detail)}` : ''}`,
    { code: 'invalid_response' }
  )
}
