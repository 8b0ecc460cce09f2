/**
 * One line's inline content, styled while it grows: each update prints what the tokenizer calls
 * decided (see `inlineSpans`' `decided`: nothing more text can change), so a styled span appears
 * once it closes and the output never has to be taken back.
 *
 * A long line is not re-read from its start on every update: once a start of it ending in a space
 * or tab is settled (nothing in it open, see `InlineReport.settled`), the rest reads the same on
 * its own, so only the rest is tokenized from then on. Checking a start costs a scan of it; the
 * next check waits until the unsettled part has doubled, which keeps the checks linear, as in
 * the library's `settled-line.ts`.
 */
import { inlineSpans, inlineToText, lineBudget, type InlineReport } from 'chatgpt-kit/internal'
import type { ansi, Style } from './ansi.js'
import { paintSpans } from './paint-spans.js'

/** Unsettled characters a line may hold before a start of it is checked for being settled. */
const SETTLE_AFTER = 64

const check: InlineReport = { extendable: false, settled: false, budgetUsed: 0 }

/** The styled content of the current line; reset for each line. */
export class StyledLine {
  /** Where tokenizing starts in the content: what is before it is printed and settled. */
  private base = 0
  /** Look-ahead budget the settled start used (see `lineBudget`). */
  private budgetUsed = 0
  /** Characters of the text from `base` on that are printed. */
  private printed = 0
  /** Unsettled length at the last failed check. */
  private failedSpan = 0
  /** Characters tokenized so far, for the renderer's cost counter. */
  scanned = 0

  /** @param s - the styles to paint with (colour is on whenever a line is styled) */
  constructor(private readonly s: typeof ansi) {}

  reset(): void {
    this.base = 0
    this.budgetUsed = 0
    this.printed = 0
    this.failedSpan = 0
  }

  /**
   * What to print now of the content `line.slice(start)`: the part newly decided, or with
   * `complete` everything left.
   */
  next(line: string, start: number, complete: boolean, lineStyle?: Style): string {
    const length = line.length - start
    const rest = line.slice(start + this.base)
    this.scanned += rest.length
    const budget = lineBudget(length) - this.budgetUsed
    // `<br>` becomes a space: one source line stays one output line.
    const spans = inlineSpans(rest, { lineBreak: ' ', budget, growing: !complete })
    const end = complete ? spans.text.length : spans.decided
    let out = ''
    if (end > this.printed || complete) {
      out = paintSpans(spans, this.printed, end, complete, this.s, lineStyle)
      this.printed = end
    }
    if (complete) {
      // A backslash ending the line (a hard break, which the text drops) is shown as written.
      if (endsInOddBackslashes(rest)) out += (lineStyle ?? ((t: string) => t))('\\')
    } else {
      this.settleMore(line, start)
    }
    return out
  }

  private settleMore(line: string, start: number): void {
    const unsettled = line.length - start - this.base
    if (unsettled < SETTLE_AFTER || unsettled < 2 * this.failedSpan) return
    let end = line.length
    const from = start + this.base
    while (end > from && !isSpaceOrTab(line.charCodeAt(end - 1))) end--
    const text = end === from ? '' : inlineToText(line.slice(from, end), ' ', check, lineBudget(line.length - start) - this.budgetUsed)
    this.scanned += end - from
    // The start must be settled, and printed already: what is before `base` is never printed.
    if (end === from || !check.settled || text.length > this.printed) {
      this.failedSpan = unsettled
      return
    }
    this.base = end - start
    this.budgetUsed += check.budgetUsed
    this.printed -= text.length
    this.failedSpan = 0
  }
}

function isSpaceOrTab(c: number): boolean {
  return c === 32 || c === 9
}

function endsInOddBackslashes(text: string): boolean {
  let n = 0
  while (n < text.length && text.charCodeAt(text.length - 1 - n) === 92) n++
  return n % 2 === 1
}
