/**
 * Bytes → server-sent events: streaming UTF-8 decoding and a bounded parse buffer.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser'
import { ChatGPTError } from '../errors.js'

/** One event: its name (`undefined` for plain `data:` events) and its data, both trimmed. */
export type SSEEvent = { event: string | undefined; data: string }

/**
 * The largest event we buffer, in characters. The 2022/2023 shapes repeat the whole reply in
 * every event, so this must hold a long reply; it exists so a stream that never ends a line
 * cannot grow memory without limit.
 */
export const MAX_EVENT_CHARS = 8 * 1024 * 1024

/** Decodes a byte stream into events; `push` throws a ChatGPTError if the stream is unusable. */
export class SSEDecoder {
  private readonly decoder = new TextDecoder()
  private readonly parser: EventSourceParser
  private failure: ChatGPTError | undefined

  constructor(onEvent: (event: SSEEvent) => void, maxEventChars = MAX_EVENT_CHARS) {
    this.parser = createParser({
      maxBufferSize: maxEventChars,
      onEvent: ({ event, data }) => {
        // Servers have sent trailing spaces after both fields ("data: [DONE] ").
        onEvent({ event: event?.trim() || undefined, data: data.trim() })
      },
      onError: (error) => {
        // Unknown fields and bad `retry:` values are noise we may ignore, as browsers do.
        if (error.type === 'max-buffer-size-exceeded') {
          this.failure = new ChatGPTError(
            `ChatGPT sent an event longer than ${maxEventChars} characters; the stream was dropped`,
            { code: 'invalid_response', originalError: error }
          )
        }
      }
    })
  }

  /** Feeds a chunk of bytes; a character split across chunks is held until it is whole. */
  push(bytes: Uint8Array): void {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }))
    if (this.failure) throw this.failure
  }

  /** Flushes what is left once the byte stream has ended (a last event without a blank line). */
  end(): void {
    // A last event may lack its blank line (a proxy trimmed it); an event cut in half is
    // dispatched too, and the reader ignores it as it ignores any unparseable data.
    this.parser.feed(`${this.decoder.decode()}\n\n`)
    if (this.failure) throw this.failure
  }
}
