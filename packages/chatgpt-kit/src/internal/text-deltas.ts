/**
 * Deltas of a growing reply text, for consumers that can only append (a terminal, an HTTP body).
 *
 * The rule, exact: each delta is what has not been handed out yet, so the deltas joined are the
 * text, until the text stops extending what was handed out (the server replaced the message, e.g.
 * after a tool call, or revised earlier text). Then the delta says `replaced` and is the new text
 * from its start: the deltas joined since the last `replaced` one are the text. The last call
 * (`final`) compares all of it, so the final text always obeys the rule; calls before compare a
 * few characters at each end of what was handed out, where a rewrite shows first, so that a
 * reply costs what it adds rather than its whole length on every event.
 */

/** Characters compared at each end of what was handed out; see {@link TextDeltas.take}. */
const WINDOW = 16

/** What {@link TextDeltas.take} hands out. */
export interface TextDelta {
  /** New text; after a replacement, the new text from its start. */
  delta: string
  /** The text no longer extends what was handed out before: start over with `delta`. */
  replaced: boolean
}

/**
 * Hands out a text's growth as deltas. With `holdBackLines`, the last lines of the text (which
 * may still change: plain text converted from markdown) wait until two more lines follow; the
 * final call hands out all.
 */
export class TextDeltas {
  /**
   * What was handed out, joined: only ever appended to while the reply streams (never read, so
   * never copied), and compared in full once, with the final text.
   */
  private handed = ''
  private handedLength = 0
  /** Its first and last characters (flat copies), compared on every call. */
  private head = ''
  private tail = ''
  /** The text is searched for line ends up to here; the last two found. */
  private searched = 0
  private lastLineEnd = -1
  private lineEndBefore = -1
  private scanned = 0
  /** Length of the text of the last call. */
  private lastLength = 0
  /**
   * With `holdBackLines`, the text not handed out yet (`text.slice(handedLength)`), kept as a
   * string of our own while the caller says how the text grew, so the text itself is not read.
   */
  private pending: string | undefined = ''

  constructor(private readonly holdBackLines = false) {}

  /**
   * The part of `text` not handed out yet.
   *
   * @param final - the text is complete: hold nothing back, and compare all of what was handed out
   * @param appended - what `text` added to the text of the previous call, when the caller knows it
   *   only grew by that: then `text` is not read (see `ReplyState.appended` for why that matters)
   */
  take(text: string, final = false, appended?: string): TextDelta {
    const grewBy = !final && appended !== undefined && text.length === this.lastLength + appended.length
    // Everything up to the last text was handed out, or (held back) is what `pending` holds.
    if (grewBy && (this.holdBackLines ? this.handedLength <= this.lastLength : this.handedLength === this.lastLength)) {
      return this.takeAppended(text, appended)
    }
    const delta = this.takeFrom(text, final)
    this.lastLength = text.length
    this.pending = undefined
    return delta
  }

  /** {@link TextDeltas.take} when the text grew by `appended`, reading only that. */
  private takeAppended(text: string, appended: string): TextDelta {
    const from = this.handedLength
    const lastLength = this.lastLength
    const length = text.length
    this.lastLength = length
    if (!this.holdBackLines) return this.handOut(appended, length)
    // What is held back, as our own string: taken from the text once after a call without a hint.
    this.pending = (this.pending ?? text.slice(from, lastLength)) + appended
    for (let at = appended.indexOf('\n'); at !== -1; at = appended.indexOf('\n', at + 1)) {
      this.lineEndBefore = this.lastLineEnd
      this.lastLineEnd = lastLength + at
    }
    this.scanned += appended.length
    this.searched = length
    let end = this.lineEndBefore
    while (end > from && isWhitespace(this.pending.charCodeAt(end - 1 - from))) {
      end--
      this.scanned++
    }
    if (end <= from) return { delta: '', replaced: false }
    const delta = this.pending.slice(0, end - from)
    this.pending = this.pending.slice(end - from)
    return this.handOut(delta, end)
  }

  /** Hands out `delta`, which takes what was handed out to `end`. */
  private handOut(piece: string, end: number): TextDelta {
    if (piece === '') return { delta: '', replaced: false }
    const delta = detached(piece)
    this.scanned += delta.length
    this.handed += delta
    this.handedLength = end
    if (this.head.length < WINDOW) this.head = (this.head + delta).slice(0, WINDOW)
    this.tail = (this.tail + delta).slice(-WINDOW)
    return { delta, replaced: false }
  }

  private takeFrom(text: string, final: boolean): TextDelta {
    const replaced = !this.extends(text, final)
    if (replaced) {
      this.handed = this.head = this.tail = ''
      this.handedLength = 0
      this.searched = 0
      this.lastLineEnd = -1
      this.lineEndBefore = -1
    }
    const from = this.handedLength
    if (text.length < this.searched) {
      // Cut back, yet still extending what was handed out: line ends found past that are stale.
      this.searched = from
      this.lastLineEnd = this.lineEndBefore = -1
    }
    const end = final || !this.holdBackLines ? text.length : Math.min(text.length, Math.max(from, this.settledEnd(text)))
    if (end <= from) return { delta: '', replaced }
    const delta = detached(text.slice(from, end))
    this.scanned += delta.length
    this.handed += delta
    this.handedLength = end
    if (this.head.length < WINDOW) this.head = (this.head + delta).slice(0, WINDOW)
    this.tail = (this.tail + delta).slice(-WINDOW)
    return { delta, replaced }
  }

  /**
   * Diagnostic: characters of text this has read, over all calls (compared, searched for line
   * ends, handed out). Lets tests check the cost without timing anything.
   */
  get charactersScanned(): number {
    return this.scanned
  }

  /** Whether `text` starts with what was handed out: judged at its ends, or in full when final. */
  private extends(text: string, final: boolean): boolean {
    const n = this.handedLength
    if (n === 0) return true
    if (text.length < n) return false
    if (final || n <= 2 * WINDOW) {
      this.scanned += n
      return text.startsWith(this.handed)
    }
    this.scanned += 2 * WINDOW
    return text.startsWith(this.tail, n - WINDOW) && text.startsWith(this.head)
  }

  /**
   * How much of a plain text (`markdown: false`) can no longer change as the reply grows: all but
   * its last two lines, without the whitespace before them. Converting markdown line by line, the
   * last line changes when its markup closes (`**bol` → `bold`), the line before it when the next
   * one turns it into a table header, and a trailing line break when the next line turns out to
   * be one that converts to nothing (a link definition, an HTML tag). Only the text added since
   * the last call is searched.
   */
  private settledEnd(text: string): number {
    let at = text.indexOf('\n', this.searched)
    while (at !== -1) {
      this.lineEndBefore = this.lastLineEnd
      this.lastLineEnd = at
      at = text.indexOf('\n', at + 1)
    }
    this.scanned += text.length - this.searched
    this.searched = text.length
    let end = this.lineEndBefore
    if (end <= 0) return 0
    while (end > 0 && isWhitespace(text.charCodeAt(end - 1))) {
      end--
      this.scanned++
    }
    return end
  }
}

/**
 * `piece` as a string of its own. A slice of a long string may share the long string's memory,
 * so keeping slices of every event's text would keep every event's text alive: O(n²) memory.
 */
function detached(piece: string): string {
  // Slices this short are copied anyway; a longer one is copied by flattening it with one more
  // character (a new string of its own length) and taking that character off again.
  return piece.length < 13 ? piece : `${piece}\0`.slice(0, -1)
}

function isWhitespace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x1680 || c === 0x202f || c === 0x205f || c === 0x3000
}
