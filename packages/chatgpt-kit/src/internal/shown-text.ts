/**
 * The text a reply shows, kept up to date with its raw text (the server's, citation markers and
 * all) at the cost of what each event changes, not of the whole text.
 *
 * The v1 encoding builds a long reply by appending, and reading any character of such a string
 * makes the engine copy all of it: filtering the whole text on every event would cost O(n²).
 * So the shown text follows the raw text edit by edit (appends and truncations, as the delta
 * document reports them), and only a change it cannot follow (a replaced text, a new message, a
 * cumulative 2022/2023 event) reads the raw text whole.
 */
import { CitationFilter } from './citation-markers.js'

/** One edit of the raw text: a string appended, or a length it was cut to (`truncate`). */
export type TextEdit = string | number

/** A reply text as shown: its raw text without citation markers. */
export class ShownText {
  /** The shown text. */
  text = ''
  /** What the last update appended to {@link ShownText.text}, when that is all it did. */
  appended: string | undefined = undefined
  /** The raw text last read (`undefined`: none yet). */
  #raw: string | undefined = undefined
  #filter = new CitationFilter()
  /**
   * From this raw offset to its end, the raw text and the shown text agree character for
   * character, from {@link ShownText.#plainShown} on: a cut there cuts the shown text the same way.
   * Infinity while a citation span is open.
   */
  #plainFrom = 0
  #plainShown = 0
  #read = 0

  /**
   * Diagnostic: characters of raw text read so far (whole texts set, pieces appended), so that
   * tests check the cost of a stream by counting, not timing.
   */
  get charactersRead(): number {
    return this.#read
  }

  /**
   * Sets the shown text from a whole raw text: reads it whole, unless it is the raw text read last
   * or extends it (then only what it adds, and {@link ShownText.appended} says what that showed).
   * @returns whether the shown text changed
   */
  set(raw: string): boolean {
    this.appended = undefined
    const before = this.#raw
    if (raw === before) return false
    // The cumulative shapes resend the whole text, grown: the filter, which has read `before`,
    // reads only what was added (a native prefix compare, rather than the filter's loop, reads the rest).
    if (before !== undefined && raw.length > before.length && raw.startsWith(before)) {
      return this.edit([raw.slice(before.length)], raw)
    }
    this.#raw = raw
    this.#filter = new CitationFilter()
    this.#read += raw.length
    const text = this.#filter.push(raw)
    if (this.#filter.lastPushPlain) {
      this.#plainFrom = this.#plainShown = 0
    } else {
      this.#plainFrom = this.#filter.inSpan ? Infinity : raw.length
      this.#plainShown = text.length
    }
    const changed = text !== this.text
    this.text = text
    return changed
  }

  /**
   * Follows the edits one event made to the raw text, which is now `raw`; falls back to
   * {@link ShownText.set} when they do not add up to it or cannot be followed (a cut into text
   * that had markers). Reads only the appended pieces: `raw` itself only for its length.
   * @returns whether the shown text changed
   */
  edit(edits: readonly TextEdit[], raw: string): boolean {
    const before = this.#raw
    if (before === undefined || lengthAfter(before.length, edits) !== raw.length) return this.set(raw)
    let text = this.text
    let rawLength = before.length
    let appended = ''
    let onlyAppended = true
    for (const edit of edits) {
      if (typeof edit === 'string') {
        const out = this.#filter.push(edit)
        this.#read += edit.length
        text += out
        appended += out
        rawLength += edit.length
        if (!this.#filter.lastPushPlain) {
          this.#plainFrom = this.#filter.inSpan ? Infinity : rawLength
          this.#plainShown = text.length
        }
        continue
      }
      if (edit >= rawLength) continue
      // The filter has read past the cut; only a cut into plain text can be followed.
      if (edit < this.#plainFrom) return this.#reread(raw)
      text = text.slice(0, this.#plainShown + (edit - this.#plainFrom))
      rawLength = edit
      onlyAppended = false
    }
    this.#raw = raw
    const changed = onlyAppended ? appended !== '' : text !== this.text
    this.text = text
    this.appended = onlyAppended && appended !== '' ? appended : undefined
    return changed
  }

  /** {@link ShownText.set} after the filter has read ahead: forgets the raw text, so that it is read again. */
  #reread(raw: string): boolean {
    this.#raw = undefined
    return this.set(raw)
  }
}

/** The raw text's length after the edits, from `length`. */
function lengthAfter(length: number, edits: readonly TextEdit[]): number {
  for (const edit of edits) length = typeof edit === 'string' ? length + edit.length : Math.min(length, edit)
  return length
}
