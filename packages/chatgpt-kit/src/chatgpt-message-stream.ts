/**
 * A reply as an async iterator of updates, that can also be awaited as a whole or piped into an
 * HTTP response, and that stops the request when its consumer stops.
 */
import { ChatGPTError } from './errors.js'
import { whenAborted } from './internal/abort-fanout.js'
import { TextDeltas } from './internal/text-deltas.js'
import type { ChatGPTReply } from './types.js'

/**
 * One step of a streamed reply; see {@link ChatGPTMessageStream}.
 *
 * **Deltas, exactly:** joined, the deltas from the last update with `replaced: true` (or from the
 * first update, if none has it) are the final `text`, always. Most replies only grow, so no
 * update has `replaced` and the deltas joined are the whole reply: write each `delta` to an
 * append-only sink (a terminal, an HTTP body) and it ends up holding `result.text`.
 *
 * `replaced: true` means the text no longer extends what the deltas handed out: the server
 * replaced the message (a new assistant message after a tool call) or revised text it had sent,
 * or (rarely, with `markdown: false`) the plain text of a line already handed out changed. That
 * update's `delta` is the new text from its start. A consumer that can redraw starts over with
 * it; one that cannot (a byte stream) can only write it after what it wrote before, which is
 * what {@link ChatGPTMessageStream.toReadableStream} does, after a blank line.
 *
 * @example
 * ```ts
 * let shown = ''
 * for await (const { delta, replaced } of api.streamMessage('Hi')) {
 *   shown = replaced ? delta : shown + delta
 *   console.clear()
 *   console.log(shown) // redraw
 * }
 * ```
 */
export type ChatGPTStreamUpdate = {
  /** The whole reply so far, as `onProgress` sees it (plain text with `markdown: false`). */
  text: string
  /**
   * What is new since the previous update (see the rule above). With `markdown: false` the plain
   * text of the last lines can still change while the reply streams (`**bol` reads `bold` once
   * the markup closes), so deltas hold those lines back until they are settled; `text` is always
   * current.
   */
  delta: string
  /**
   * The text stopped extending what earlier deltas handed out, and `delta` is the new text from
   * its start (see the rule above). `false` on almost every update.
   */
  replaced: boolean
  /** The id of the assistant message (`''` until the server has said). */
  messageId: string
  /** The conversation the reply belongs to (`''` until the server has said). */
  conversationId: string
  /** `true` on the last update, which carries the final text; the iteration then ends. */
  done: boolean
}

/**
 * Starts the reply: called once, with the signal that aborts it and a hook for every change
 * of the reply text.
 * @internal
 */
export type MessageStreamSource = (
  signal: AbortSignal,
  /** `appended`: when known, what `text` added to the previous update's text. */
  onUpdate: (text: string, ids: { messageId?: string; conversationId?: string }, appended?: string) => void
) => Promise<ChatGPTReply>

/** @internal */
export type MessageStreamOptions = {
  /** The caller's own signal; aborting it aborts the stream. */
  abortSignal?: AbortSignal
  /** The text is plain text converted from markdown: hold back the lines that may still change. */
  plainText?: boolean
}

type Outcome = { ok: true } | { ok: false; error: unknown }

const consumedError = () =>
  new ChatGPTError(
    'This ChatGPTMessageStream is already being consumed: iterate it, or call toReadableStream(), once',
    { code: 'invalid_argument' }
  )

/**
 * A streamed reply, returned by {@link ChatGPTAPI.streamMessage}. The request starts at once.
 *
 * - Iterate it (`for await`) for {@link ChatGPTStreamUpdate}s; the last one has `done: true`.
 *   Leaving the loop early (`break`, `return`, a throw) aborts the request.
 * - `result` resolves to the whole reply with its ids, whether or not anyone iterates.
 * - `toReadableStream()` gives the text deltas as UTF-8 bytes, for `new Response(stream)`;
 *   cancelling that stream aborts the request.
 * - `abort(reason?)` aborts the request; iteration and `result` then reject with `reason`
 *   (by default a ChatGPTError with code `aborted`, as after leaving the loop early).
 *
 * A stream can be consumed once: iterating it a second time, or after `toReadableStream()`,
 * throws. Updates the consumer has not taken yet are merged (their deltas joined), so a slow
 * consumer holds one update, not every one, and never slows the download.
 *
 * @example
 * ```ts
 * const stream = api.streamMessage('Write a haiku about the sea')
 * for await (const { delta } of stream) process.stdout.write(delta)
 * const { messageId, conversationId } = await stream.result
 * ```
 *
 * @example
 * ```ts
 * // A fetch-style HTTP handler (Next.js, Hono, Deno, Bun, …)
 * export async function POST(request: Request) {
 *   const { prompt } = (await request.json()) as { prompt: string }
 *   return new Response(api.streamMessage(prompt).toReadableStream(), {
 *     headers: { 'content-type': 'text/plain; charset=utf-8' }
 *   })
 * }
 * ```
 */
export class ChatGPTMessageStream implements AsyncIterable<ChatGPTStreamUpdate> {
  /**
   * The whole reply with its ids, as {@link ChatGPTAPI.sendMessageDetailed} resolves. Rejects as
   * the call fails; an unread rejection is never reported as unhandled.
   */
  readonly result: Promise<ChatGPTReply>

  readonly #controller = new AbortController()
  #pending: ChatGPTStreamUpdate | undefined
  #outcome: Outcome | undefined
  #changed!: Promise<void>
  #notify!: () => void
  #consumer: 'none' | 'taken' | 'ended' = 'none'

  /**
   * @param source - Starts the reply.
   * @param options - The caller's abort signal, and whether the text is converted plain text.
   * @internal
   */
  constructor(source: MessageStreamSource, options: MessageStreamOptions = {}) {
    this.#arm()
    const deltas = new TextDeltas(options.plainText === true)
    const unlink = linkAbort(options.abortSignal, this.#controller)
    const run = async () =>
      source(this.#controller.signal, (text, ids, appended) =>
        this.#push({
          text,
          ...deltas.take(text, false, appended),
          messageId: ids.messageId ?? '',
          conversationId: ids.conversationId ?? '',
          done: false
        })
      )
    this.result = run()
    // Marks the promise handled: a caller who only iterates must not see an unhandled rejection.
    this.result.then(
      (reply) => {
        unlink()
        this.#push({
          text: reply.text,
          ...deltas.take(reply.text, true),
          messageId: reply.messageId,
          conversationId: reply.conversationId,
          done: true
        })
        this.#settle({ ok: true })
      },
      (error: unknown) => {
        unlink()
        this.#settle({ ok: false, error })
      }
    )
  }

  /**
   * Iterates the updates of the reply. Leaving the loop before the end aborts the request.
   *
   * @throws ChatGPTError `invalid_argument` when the stream is already being consumed.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<ChatGPTStreamUpdate> {
    this.#take()
    return this.#iterator()
  }

  /**
   * The reply's text deltas as UTF-8 bytes, for `new Response(stream)` or piping. The stream
   * errors when the call fails; cancelling it (the HTTP client went away) aborts the request.
   * Bytes sent cannot be taken back: if the text is replaced (see {@link ChatGPTStreamUpdate}),
   * the new text follows what was sent, after a blank line.
   *
   * @returns A byte stream of the reply text.
   * @throws ChatGPTError `invalid_argument` when the stream is already being consumed.
   */
  toReadableStream(): ReadableStream<Uint8Array> {
    this.#take()
    const iterator = this.#iterator()
    const encoder = new TextEncoder()
    let written = false
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        // One pull ends with one chunk or the end, skipping updates with nothing to add.
        for (;;) {
          const step = await iterator.next()
          if (step.done) return controller.close()
          const { delta, replaced } = step.value
          // Bytes sent cannot be taken back: a replacing text follows the old one, set apart.
          const chunk = replaced && written && delta !== '' ? `\n\n${delta}` : delta
          if (chunk) {
            written = true
            return controller.enqueue(encoder.encode(chunk))
          }
        }
      },
      cancel: (reason) => {
        this.abort(reason)
        void iterator.return?.()
      }
    })
  }

  /**
   * Aborts the request, unless the reply has already ended. Iteration and `result` then reject
   * with `reason`.
   *
   * @param reason - What they reject with; by default a ChatGPTError with code `aborted`.
   */
  abort(reason?: unknown): void {
    if (!this.#outcome) {
      this.#controller.abort(
        reason ?? new ChatGPTError('The reply stream was aborted before it ended', { code: 'aborted' })
      )
    }
  }

  #take(): void {
    if (this.#consumer !== 'none') throw consumedError()
    this.#consumer = 'taken'
  }

  #iterator(): AsyncIterableIterator<ChatGPTStreamUpdate> {
    const iterator: AsyncIterableIterator<ChatGPTStreamUpdate> = {
      next: () => this.#next(),
      return: async () => {
        // The consumer left the loop: stop the download it no longer wants.
        if (this.#consumer !== 'ended') {
          this.#consumer = 'ended'
          this.#pending = undefined
          this.abort()
        }
        return { done: true, value: undefined }
      },
      [Symbol.asyncIterator]: () => iterator
    }
    return iterator
  }

  async #next(): Promise<IteratorResult<ChatGPTStreamUpdate, undefined>> {
    for (;;) {
      if (this.#consumer === 'ended') return { done: true, value: undefined }
      const update = this.#pending
      if (update) {
        this.#pending = undefined
        if (update.done) this.#consumer = 'ended'
        return { done: false, value: update }
      }
      const outcome = this.#outcome
      if (outcome) {
        this.#consumer = 'ended'
        if (!outcome.ok) throw outcome.error
        return { done: true, value: undefined }
      }
      await this.#changed
    }
  }

  #push(update: ChatGPTStreamUpdate): void {
    if (this.#consumer === 'ended') return
    const pending = this.#pending
    // Merged updates keep the rule: a replacement drops the deltas before it and is remembered.
    this.#pending =
      pending && !update.replaced
        ? { ...update, delta: pending.delta + update.delta, replaced: pending.replaced }
        : update
    this.#wake()
  }

  #settle(outcome: Outcome): void {
    this.#outcome = outcome
    this.#wake()
  }

  #wake(): void {
    const notify = this.#notify
    this.#arm()
    notify()
  }

  /** A fresh promise for waiting consumers; every change resolves the current one. */
  #arm(): void {
    this.#changed = new Promise((resolve) => {
      this.#notify = resolve
    })
  }
}

/** Forwards an abort of the caller's signal to `controller`; returns the unlinking function. */
function linkAbort(signal: AbortSignal | undefined, controller: AbortController): () => void {
  if (!signal) return () => {}
  // One listener per shared signal, however many streams use it (see abort-fanout.ts).
  return whenAborted(signal, () => controller.abort(signal.reason))
}
