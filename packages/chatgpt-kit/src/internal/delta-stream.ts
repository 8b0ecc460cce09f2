/**
 * A v1 stream as a whole: one {@link DeltaDocument} per message document, and the sticky path and
 * op that carry over from each event to the next.
 *
 * 2026 streams number their documents with a counter `c` (PROTOCOL-2026.md §7.2): `c: 0` the hidden
 * system message, `1` the user's, `2` the assistant's, then tool messages, thoughts and the final
 * answer. An event with `c` switches to that document (and usually starts it with an `add` at
 * `""`); events without `c` go to the current one. `p` and `o` are sticky across documents: S10's
 * `{"v": {message…}, "c": 1}` repeats the `add` at `""` of the event before it. 2024 streams send
 * only `c: 0`, or none: everything goes to one document, as before.
 *
 * Memory is bounded by what the ops carry: the characters of every op a document is built from
 * (since the `add` at `""` that last replaced it) are counted, over all documents, against a cap.
 */
import { DeltaDocument, type DeltaOp } from './delta-patch.js'

/** The most message documents one stream may build; events for more are ignored (real turns have ~10). */
export const MAX_DOCUMENTS = 256

/** An op as the stream sends it, with its document counter. */
export type StreamOp = DeltaOp & { c?: unknown }

/** What {@link DeltaStream.apply} did with an event. */
export type StreamApply =
  /** Applied (or ignored as an op this client does not know) to this document. */
  | { kind: 'applied'; doc: DeltaDocument }
  /** Ignored: a document past {@link MAX_DOCUMENTS}. */
  | { kind: 'ignored' }
  /** The documents would be built from more characters than the cap. */
  | { kind: 'too-large' }

/** The documents of one v1 stream. */
export class DeltaStream {
  readonly #docs = new Map<number, DeltaDocument>()
  /** Characters of ops each document is built from, and their sum. */
  readonly #chars = new Map<number, number>()
  #totalChars = 0
  #current = 0
  #path = ''
  #op = 'add'

  /**
   * @param maxChars - The most characters of ops the live documents may be built from.
   * @param watchPath - A path each document reports edits of (see {@link DeltaDocument.watched}).
   */
  constructor(
    private readonly maxChars: number,
    private readonly watchPath?: string
  ) {}

  /** Work units charged over all documents (see `MAX_WORK_PER_EVENT` in delta-patch.ts). */
  get work(): number {
    let work = 0
    for (const doc of this.#docs.values()) work += doc.work
    return work
  }

  /** Applies one event's op, `size` characters long, to the document it names or the current one. */
  apply(delta: StreamOp, size: number): StreamApply {
    if (isDocumentCounter(delta.c)) this.#current = delta.c
    if (typeof delta.p === 'string') this.#path = delta.p
    if (typeof delta.o === 'string') this.#op = delta.o
    const index = this.#current
    let doc = this.#docs.get(index)
    if (!doc) {
      if (this.#docs.size >= MAX_DOCUMENTS) return { kind: 'ignored' }
      doc = new DeltaDocument(this.watchPath)
      this.#docs.set(index, doc)
    }
    // An `add` at the root replaces the document: what it was built from is gone.
    let chars = this.#chars.get(index) ?? 0
    if (this.#path === '' && this.#op === 'add') {
      this.#totalChars -= chars
      chars = 0
    }
    this.#chars.set(index, chars + size)
    this.#totalChars += size
    if (this.#totalChars > this.maxChars) return { kind: 'too-large' }
    doc.apply({ p: this.#path, o: this.#op, v: delta.v })
    return { kind: 'applied', doc }
  }
}

/** Whether `c` is a document counter: a whole number from 0 (anything else is ignored, as if absent). */
function isDocumentCounter(c: unknown): c is number {
  return Number.isSafeInteger(c) && (c as number) >= 0
}
