/**
 * Deltas of a growing reply text, for consumers that can only append (a terminal, an HTTP
 * body): each delta is what has not been handed out yet, so that the deltas joined are the final
 * text.
 */

/** Up to this length a full prefix comparison is cheap; past it, sampled places are compared. */
const FULL_COMPARE = 256
const SAMPLE = 32
const SAMPLES = 8

/**
 * Hands out a text's growth as deltas. A `settledLength` function can hold back the end of the
 * text that may still change (see {@link settledPlainTextLength}); the final call hands out all.
 */
export class TextDeltas {
  private emitted = ''

  constructor(private readonly settledLength: (text: string) => number = (text) => text.length) {}

  /** The part of `text` not handed out yet; `final`: the text is complete, hold nothing back. */
  take(text: string, final = false): string {
    const end = final ? text.length : Math.min(text.length, this.settledLength(text))
    const emitted = this.emitted
    // The text normally extends what was handed out. When it was rewritten instead (the server
    // replaced the message, e.g. after a tool call), what was handed out cannot be taken back:
    // go on from where the two differ.
    const from = startsWithSampled(text, emitted) ? emitted.length : commonPrefixLength(emitted, text)
    if (end <= from) return ''
    this.emitted = text.slice(0, end)
    return text.slice(from, end)
  }
}

/**
 * How much of a plain text (`markdown: false`) can no longer change as the reply grows: all but
 * its last two lines, without the whitespace before them. Converting markdown line by line, the
 * last line changes when its markup closes (`**bol` → `bold`), the line before it when the next
 * one turns it into a table header, and a trailing line break when the next line turns out to
 * be one that converts to nothing (a link definition, an HTML tag).
 */
export function settledPlainTextLength(text: string): number {
  const last = text.lastIndexOf('\n')
  if (last <= 0) return 0
  let end = text.lastIndexOf('\n', last - 1)
  if (end <= 0) return 0
  while (end > 0 && /\s/.test(text[end - 1]!)) end--
  return end
}

/**
 * `text.startsWith(prefix)`, comparing a long prefix only at its two ends and a few places
 * between: the check runs on every update, and a full comparison would make a long reply cost
 * O(n²). A rewritten reply differs at its end (it is shorter, or a new message), which is compared.
 */
function startsWithSampled(text: string, prefix: string): boolean {
  const n = prefix.length
  if (n > text.length) return false
  if (n <= FULL_COMPARE) return text.startsWith(prefix)
  if (!sameRange(text, prefix, 0, SAMPLE) || !sameRange(text, prefix, n - SAMPLE, n)) return false
  for (let i = 1; i < SAMPLES; i++) {
    const at = Math.floor((n * i) / SAMPLES)
    if (!sameRange(text, prefix, at, at + SAMPLE)) return false
  }
  return true
}

function sameRange(a: string, b: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false
  return true
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++
  // Never split a surrogate pair: a delta must be whole characters to encode as UTF-8.
  if (i > 0 && i < b.length && isHighSurrogate(b.charCodeAt(i - 1))) i--
  return i
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
