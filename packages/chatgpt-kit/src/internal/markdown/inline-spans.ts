/**
 * One line's inline markdown as text plus styled spans: the same tokenizer as `inlineToText`
 * (so what a renderer styles is exactly what the text conversion keeps), with span recording
 * switched on. A separate entry point because the plain-text path is tuned for speed and records
 * nothing.
 */
import { InlineScanner, lineBudget, type PartSpan } from './inline.js'

/** A styled run of {@link InlineSpans.text}: characters `[from, to)`. */
export interface InlineSpan {
  from: number
  to: number
  /** `strong`, `em` and `strike` are emphasis; `code` a code span; `link` includes autolinks. */
  style: PartSpan['style']
  /** A link's or image's destination as the line gives it; absent for reference links. */
  href?: string
}

/** A line tokenized by {@link inlineSpans}. */
export interface InlineSpans {
  /** The line as text: what `inlineToText` gives for it. */
  text: string
  /**
   * Styled runs, properly nested (a run inside another ends before it), in the order their
   * constructs closed: not sorted.
   */
  spans: InlineSpan[]
  /**
   * With `growing`: how much of `text` (and of its spans) stays as it is whatever text is appended
   * to the line; `text.length` otherwise.
   */
  decided: number
}

/** How {@link inlineSpans} reads the line. */
export interface InlineSpansOptions {
  /** What `<br>` becomes. @defaultValue `'\n'` */
  lineBreak?: string
  /** Look-ahead budget, as for `inlineToText`. @defaultValue `lineBudget(line.length)` */
  budget?: number
  /** The line is not finished: compute {@link InlineSpans.decided}. */
  growing?: boolean
}

/**
 * Tokenizes one line of inline markdown into text and styled spans.
 *
 * @param line - the line, without its line ending
 */
export function inlineSpans(line: string, options: InlineSpansOptions = {}): InlineSpans {
  const scanner = new InlineScanner(line, options.lineBreak ?? '\n', options.budget ?? lineBudget(line.length), undefined)
  scanner.spans = []
  const text = scanner.run(0)
  // Part index → character offset in the text.
  const parts = scanner.parts
  const offsets = new Array<number>(parts.length + 1)
  offsets[0] = 0
  for (let k = 0; k < parts.length; k++) offsets[k + 1] = offsets[k]! + parts[k]!.length
  const spans = scanner.spans.map(({ from, to, style, href }) => {
    const span: InlineSpan = { from: offsets[from]!, to: offsets[to]!, style }
    if (href !== undefined) span.href = href
    return span
  })
  const decided = options.growing ? offsets[Math.min(scanner.firstUndecidedPart(), parts.length)]! : text.length
  return { text, spans, decided }
}
