import type { ServerResponse } from 'node:http'

/** How stream bytes are handed to the socket; see `TestBackendOptions.chunking`. */
export type Chunking = 'event' | 'bytes' | number

/**
 * Writes one SSE response: pacing between events, splitting each event into writes, honouring
 * backpressure, noticing when the client goes away so the caller can stop, and dropping a client
 * that stopped reading (see `TestBackendOptions.stalledClientTimeoutMs`).
 */
export class ReplyWriter {
  readonly #res: ServerResponse
  readonly #eventDelayMs: number
  readonly #pieceSize: number
  readonly #stalledClientTimeoutMs: number
  #sent = 0
  #gone = false
  /** Wakes whatever the writer is waiting on (a write callback or a delay) when the client leaves. */
  #wake: (() => void) | undefined
  /** Resolves once the connection is closed, by either side. */
  readonly closed: Promise<void>

  constructor(res: ServerResponse, options: { eventDelayMs: number; chunking: Chunking; stalledClientTimeoutMs: number }) {
    this.#res = res
    this.#eventDelayMs = options.eventDelayMs
    this.#stalledClientTimeoutMs = options.stalledClientTimeoutMs
    const { chunking } = options
    this.#pieceSize = chunking === 'event' ? Infinity : chunking === 'bytes' ? 1 : chunking
    this.closed = new Promise((resolve) => {
      // A client that left before the stream began has already fired 'close'; waiting for it
      // would hold the reply slot (and a stall) forever.
      if (!res.socket || res.socket.destroyed) {
        this.#gone = true
        resolve()
        return
      }
      res.once('close', () => {
        this.#gone = true
        this.#wake?.()
        resolve()
      })
    })
  }

  /** Whether the client can still receive. */
  get alive(): boolean {
    return !this.#gone && !this.#res.destroyed && !this.#res.writableEnded
  }

  /**
   * Sends the 200 stream headers now, so the client sees the response before any event.
   * @param headers - More headers, e.g. the API's `x-request-id`.
   */
  start(headers: Record<string, string> = {}): void {
    if (!this.alive) return
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...headers
    })
    this.#res.flushHeaders()
  }

  /**
   * Sends one SSE frame after the configured delay. Resolves once the bytes are handed to the
   * socket, so a following `destroy()` cannot drop them; `false` when the client is gone.
   */
  async send(frame: string): Promise<boolean> {
    if (this.#sent++ > 0 && this.#eventDelayMs > 0) await this.#sleep(this.#eventDelayMs)
    const bytes = Buffer.from(frame, 'utf8')
    for (let at = 0; at < bytes.length; at += this.#pieceSize) {
      if (!this.alive) return false
      // A socket write usually completes at once, so without a turn of the event loop between
      // pieces they pile up in the kernel and reach the client as one read.
      if (at > 0) await new Promise((resolve) => setImmediate(resolve))
      await this.#write(bytes.subarray(at, at + this.#pieceSize))
    }
    return this.alive
  }

  /** Ends the response cleanly (a well-formed end of the chunked body). */
  end(): void {
    if (this.alive) this.#res.end()
  }

  /** Drops the connection without ending the response: the client sees a reset. */
  destroy(): void {
    this.#res.socket?.destroy()
    this.#res.destroy()
  }

  // Waiting for the write callback honours backpressure, and lets a following destroy() come
  // after the bytes, not before them. The callback waits only once the kernel's buffers are
  // full, that is for a client that stopped reading: past the limit the connection is dropped,
  // whose 'close' ends the reply.
  #write(piece: Buffer): Promise<void> {
    return new Promise((resolve) => {
      const timeoutMs = this.#stalledClientTimeoutMs
      const stalled = timeoutMs === Infinity ? undefined : setTimeout(() => this.destroy(), timeoutMs)
      const written = () => {
        clearTimeout(stalled)
        resolve()
      }
      this.#wake = written
      this.#res.write(piece, written)
    })
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}
