/**
 * Citation markers in a reply's text (2025–26 streams, PROTOCOL-2026.md §7.3): private-use
 * characters that the web app turns into citation pills, and that a text client must not show.
 *
 * - `\ue200 … \ue201` wraps a whole citation, e.g. `\ue200cite\ue202turn0search3\ue201`: the span
 *   goes, markers and all.
 * - `\ue201` to `\ue206` outside such a span go alone. (`\ue203 … \ue204` seems to mark the text a
 *   citation supports: that text stays.)
 * - A span that does not close within {@link MAX_CITATION_CHARS} characters is not a citation:
 *   its `\ue200` goes and what it held shows, so a stray `\ue200` cannot hide the rest of a reply.
 *
 * The filter reads a text piece by piece, as it streams, and gives the same text whichever way the
 * text is cut into pieces (a citation split across deltas included), at O(1) per character.
 */

/** The most characters a citation span may hold between `\ue200` and `\ue201`. */
export const MAX_CITATION_CHARS = 2048

const OPEN = 0xe200
const CLOSE = 0xe201
const LAST_MARKER = 0xe206
const STRAY_MARKERS = /[\ue202-\ue206]/g

/**
 * Filters citation markers out of a text that arrives in pieces.
 *
 * @example
 * ```ts
 * const filter = new CitationFilter()
 * filter.push('Paris is the capital.\ue200cite\ue202turn0') // 'Paris is the capital.'
 * filter.push('search1\ue201 It is big.') // ' It is big.'
 * ```
 */
export class CitationFilter {
  /** Inside a span: the raw characters it holds so far (never `\ue200` or `\ue201`); outside: undefined. */
  #held: string | undefined = undefined
  #lastPushPlain = true

  /** Whether the text so far ends inside a citation span (held back: it shows once it turns out to be none). */
  get inSpan(): boolean {
    return this.#held !== undefined
  }

  /**
   * Whether the last {@link CitationFilter.push} passed its piece through unchanged, outside any
   * span: then the shown text and the raw text end with the same characters.
   */
  get lastPushPlain(): boolean {
    return this.#lastPushPlain
  }

  /** What `piece`, the text's next characters, adds to the shown text. */
  push(piece: string): string {
    let plain = this.#held === undefined
    let out = ''
    let from = 0
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i)
      const held = this.#held
      if (held === undefined) {
        if (c < OPEN || c > LAST_MARKER) continue
        plain = false
        out += piece.slice(from, i)
        from = i + 1
        if (c === OPEN) this.#held = ''
        continue
      }
      if (c === OPEN || c === CLOSE) {
        // A new `\ue200` before the close: the open span was none, and a new one starts.
        if (c === OPEN) out += shownFrom(held + piece.slice(from, i))
        this.#held = c === OPEN ? '' : undefined
        from = i + 1
        continue
      }
      if (held.length + (i - from) === MAX_CITATION_CHARS) {
        // Too long for a citation: what it held shows, and this character is read again, outside.
        out += shownFrom(held + piece.slice(from, i))
        this.#held = undefined
        from = i
        i--
      }
    }
    if (this.#held === undefined) out += from === 0 ? piece : piece.slice(from)
    else this.#held += piece.slice(from)
    this.#lastPushPlain = plain && this.#held === undefined
    return out
  }
}

/** What a span that turned out to be no citation shows: its text without stray markers. */
function shownFrom(held: string): string {
  return held.replace(STRAY_MARKERS, '')
}

/** `text` without its citation markers (the whole text at once; see {@link CitationFilter}). */
export function withoutCitations(text: string): string {
  return new CitationFilter().push(text)
}
