/**
 * Reading a response body, every read raced against the call's signal. Node 20's fetch (undici 6)
 * can leave `reader.read()` pending forever when an abort lands after the body has fully arrived
 * (nodejs/undici#3754), so the fetch abort alone is never relied on: on abort the read is given
 * up at once and the reader cancelled.
 */
import { ChatGPTError } from '../errors.js'
import { networkError } from './network-error.js'

/**
 * The most we read of a JSON answer. A conversation's history holds every message of every branch
 * and runs to megabytes for long chats with code; the cap exists so a hostile answer cannot grow
 * memory without limit.
 */
export const MAX_JSON_BODY_BYTES = 32 * 1024 * 1024

/** Reads chunks of one body; see {@link BodyReader.read}. */
export class BodyReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>
  #finished = false

  /**
   * @param onChunk - Called with each chunk that arrives (a sign of life, for an idle clock).
   * @param url - The request's URL, for the host a network error names.
   */
  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly signal: AbortSignal,
    private readonly onChunk?: () => void,
    private readonly url?: string
  ) {
    this.#reader = body.getReader()
  }

  /**
   * The next chunk, or `undefined` at the end of the body.
   *
   * @throws the signal's reason once it aborts (whether or not the read would have ended);
   *   ChatGPTError `network` when the connection fails while reading.
   */
  async read(): Promise<Uint8Array | undefined> {
    const { signal } = this
    if (signal.aborted) {
      this.cancel()
      throw signal.reason
    }
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      const chunk = await Promise.race([this.#reader.read(), aborted])
      if (chunk.done) {
        this.#finished = true
        return undefined
      }
      this.onChunk?.()
      return chunk.value
    } catch (error) {
      this.#finished = true
      if (signal.aborted) {
        this.cancel()
        throw signal.reason
      }
      // Nothing but the connection can fail a body read (no caller code runs inside it).
      throw error instanceof ChatGPTError ? error : networkError(error, this.url)
    } finally {
      signal.removeEventListener('abort', onAbort!)
      // The losing side of the race must not surface as an unhandled rejection.
      aborted.catch(() => {})
    }
  }

  /**
   * Stops the download (after `[DONE]`, an error event, an abort or a callback that threw) and
   * lets go of the body. Safe to call more than once.
   */
  cancel(): void {
    if (!this.#finished) {
      this.#finished = true
      // Not awaited: with the undici bug above, cancelling can itself stay pending.
      this.#reader.cancel().catch(() => {})
    }
    try {
      this.#reader.releaseLock()
    } catch {
      // Older streams refuse while a (lost) read is pending; the body is cancelled either way.
    }
  }
}

/**
 * Reads at most `limit` bytes of a body as UTF-8 text and cancels the rest.
 * Returns `truncated: true` when the body was longer.
 */
export async function readText(
  reader: BodyReader | undefined,
  limit = MAX_JSON_BODY_BYTES
): Promise<{ text: string; truncated: boolean }> {
  if (!reader) return { text: '', truncated: false }
  const decoder = new TextDecoder()
  const parts: string[] = []
  let bytes = 0
  for (;;) {
    const chunk = await reader.read()
    if (!chunk) break
    const room = limit - bytes
    if (chunk.byteLength > room) {
      parts.push(decoder.decode(chunk.subarray(0, room), { stream: true }), decoder.decode())
      reader.cancel()
      return { text: parts.join(''), truncated: true }
    }
    bytes += chunk.byteLength
    parts.push(decoder.decode(chunk, { stream: true }))
  }
  reader.cancel()
  parts.push(decoder.decode())
  return { text: parts.join(''), truncated: false }
}

/** {@link readText} of a response's body (`url`: the request's, for a network error). */
export function readBodyText(
  response: Response,
  signal: AbortSignal,
  limit = MAX_JSON_BODY_BYTES,
  url?: string
): Promise<{ text: string; truncated: boolean }> {
  return readText(response.body ? new BodyReader(response.body, signal, undefined, url) : undefined, limit)
}
