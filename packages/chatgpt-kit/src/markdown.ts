/**
 * Markdown → plain text, for `markdown: false`: a whole text at once ({@link markdownToText}) or
 * a reply as it streams in ({@link IncrementalMarkdownToText}), with no dependencies.
 *
 * Both run the same line-by-line converter (`internal/markdown/`), so the text shown while a reply
 * streams ends exactly where the final result starts.
 */
import {
  convertLine,
  finishBlocks,
  initialBlockState,
  type BlockState,
  type LineReport
} from './internal/markdown/blocks.js'
import { isPlainAppend } from './internal/markdown/inline.js'
import { newSettledLine, resetSettledLine } from './internal/markdown/settled-line.js'

/**
 * Strips markdown to readable plain text, keeping what a reader needs:
 *
 * - headings (ATX and setext) become their text, as a paragraph of their own;
 * - emphasis markers (`*`, `_`, `**`, `__`, `~~`) go, but not intraword underscores
 *   (`snake_case`) nor a lone `*` between spaces (`2 * 3`); a single `~` is kept;
 * - inline code becomes its content; links `[text](url)` and references `[text][ref]` their
 *   text; images `![alt](src)` their alt text; autolinks `<https://…>` their address;
 *   a bare `[text]` stays as written (it is usually just brackets) unless a definition of
 *   `text` came before it;
 * - link definitions (`[ref]: url "title"`, the destination or title possibly on the next line),
 *   thematic breaks and HTML tags go (`<br>` becomes a newline); HTML blocks (lines starting with
 *   `<div>`, `<!--`, …) keep only the text between their tags, with no markdown read inside;
 * - blockquote markers go; bullet list items become their text, one per line; **ordered list
 *   items keep their number** (`1. first`), since steps are often referred to by number;
 * - table rows become their cells separated by a tab; the delimiter row goes;
 * - backslash escapes and common HTML entities are resolved;
 * - **code blocks keep their content verbatim** (fenced with ``` or ~~~, or indented), without
 *   the fences;
 * - paragraphs stay separated by one blank line, and code blocks and headings are set apart
 *   like paragraphs; single line breaks are kept; whitespace at the end goes.
 *
 * Inline markup is read one line at a time: emphasis opened on one line and closed on the next
 * keeps its markers (so a line's text never changes once the line has ended); a `\` ending a
 * paragraph's last line, or a heading, stays. Held to the CommonMark spec examples in the tests. A last line (without `\n`) of only one or two backticks or tildes, or inside
 * a code block of fewer fence characters than its fence, is taken for a fence still arriving and
 * left out. Linear time in the input's length, including on hostile input (a 1 MB line of
 * unmatched markup converts in a fraction of a second).
 *
 * @param markdown - the markdown; `undefined` reads as `''`
 * @returns the plain text
 *
 * @example
 * ```ts
 * markdownToText('# Hello\n\nThis is **bold** and [a link](https://example.com).\n\n```js\nconst x = 1 // **not** bold\n```')
 * // → 'Hello\n\nThis is bold and a link.\n\nconst x = 1 // **not** bold'
 * ```
 */
export function markdownToText(markdown?: string): string {
  return new IncrementalMarkdownToText().update(markdown ?? '')
}

/** The longest unfinished line whose plain text is compared to tell how the result grew. */
const MAX_COMPARED_LINE = 4096

/** Characters compared at each end of the finished text; see {@link IncrementalMarkdownToText.update}. */
const CHECK_WINDOW = 32

/**
 * Converts a reply that streams in as cumulative markdown (every event carries the whole text so
 * far) to plain text on every event, in time linear in the reply's length overall.
 *
 * A line is converted once, when the `\n` ending it arrives. The unfinished last line is converted
 * again on an update only if the new characters could change how it reads (they hold a markdown
 * character such as `*`, `` ` ``, `[`, or the line so far ends in one); plain words are just
 * appended. And of a long unfinished line only what follows its settled start is read again: the
 * start up to a space with nothing open before it (no unclosed `**`, `` ` ``, `[`, `<`…), which
 * reads the same whatever follows. So a reply costs about its length, even one long line
 * streamed a few characters at a time; only a line whose markup stays open (a `[` never closed)
 * is read again from that markup on every update.
 *
 * The result of `update(text)` always equals `markdownToText(text)`, whatever updates came before
 * (with the same input); see {@link markdownToText} for what the conversion does. While a line is
 * unfinished, markup that is still open (`**bol`) shows as written until it closes.
 *
 * Use one converter per reply; call {@link IncrementalMarkdownToText.reset} (or make a new one)
 * when the reply starts over.
 *
 * @example
 * ```ts
 * // a reply's markdown as plain text while it streams: 'Here', 'Here is', 'Here is code:', …
 * const toText = new IncrementalMarkdownToText()
 * await api.sendMessage('Show me some code', {
 *   onProgress: (markdown, appended) => console.log(toText.update(markdown, appended))
 * })
 * ```
 */
export class IncrementalMarkdownToText {
  /** The last input. */
  private source = ''
  /** Length of the input's finished lines (up to and including the last `\n`). */
  private consumed = 0
  /** Block state after the finished lines. */
  private state: BlockState = initialBlockState()
  /** Plain text of the finished lines. */
  private committed = ''
  private result = ''
  private scanned = 0
  /** The unfinished line's text, while plain text may simply be appended to it. */
  private extendable: { end: number; text: string; trailing: string } | undefined
  private readonly report: LineReport = { extendable: false, trailing: '', settled: newSettledLine() }
  /** The input after its finished lines (the unfinished line), as a string of our own. */
  private line = ''
  /** Plain text of the unfinished line (what follows `committed` in the result). */
  private tailText = ''
  /** See {@link IncrementalMarkdownToText.appended}. */
  private grown: string | undefined = undefined

  /**
   * Takes the whole markdown received so far and returns its plain text.
   *
   * The input is expected to extend the previous one. When it does not (it is shorter than the
   * finished lines, or differs in their first or last 32 characters), the converter starts over
   * on the new text: correct, at the cost of one full conversion. To stay linear it does not
   * compare the whole finished part on every update, so a text edited only in the middle is not
   * noticed: call {@link IncrementalMarkdownToText.reset} first when you know the text was
   * replaced (a new message, a non-append patch).
   *
   * @param markdown - the cumulative markdown of the reply so far
   * @param appended - optional: what `markdown` added to the previous input, when you know it
   *   only grew by that. Then `markdown` itself is not read at all, which matters for a string
   *   built by appending (`text += piece`): reading any character of it copies all of it.
   * @returns the plain text of all of it; equal to `markdownToText(markdown)`
   */
  update(markdown: string, appended?: string): string {
    const trusted = appended !== undefined && markdown.length === this.source.length + appended.length
    const restarted = !trusted && !this.continues(markdown)
    if (restarted) this.reset()
    const previous = this.source
    const shownBefore = this.tailText
    this.source = markdown
    const tail = this.extendable
    this.extendable = undefined
    this.grown = undefined
    if (tail !== undefined && (trusted || (markdown.length >= tail.end && sameAt(previous, markdown, this.consumed, tail.end)))) {
      const added = trusted ? appended : markdown.slice(tail.end)
      if (isPlainAppend(added)) {
        // Plain words onto a line whose markup is settled: the same text as converting it again.
        this.scanned += added.length
        this.line += added
        const visible = added.trimEnd()
        if (visible === '') {
          tail.trailing += added
          this.grown = ''
        } else {
          this.grown = tail.trailing + visible
          tail.text += this.grown
          tail.trailing = added.slice(visible.length)
        }
        tail.end = markdown.length
        this.extendable = tail
        this.tailText = tail.text
        this.result = this.committed + tail.text
        return this.result
      }
    }
    // The unfinished line, as a string of our own (only the fallback reads `markdown` for it).
    const line = trusted ? this.line + appended : markdown.slice(this.consumed)
    const settled = this.report.settled!
    let newlyCommitted = ''
    let start = 0
    let end = line.indexOf('\n')
    while (end !== -1) {
      newlyCommitted += convertLine(this.state, line.slice(start, end), false)
      this.scanned += end + 1 - start
      this.consumed += end + 1 - start
      start = end + 1
      resetSettledLine(settled)
      end = line.indexOf('\n', start)
    }
    this.committed += newlyCommitted
    const rest = start === 0 ? line : line.slice(start)
    this.line = rest
    // The unfinished line is tried on a copy of the state: the next update will try it again. Its
    // settled start (if long) is kept, so only what follows it is read again.
    const trial = { ...this.state }
    const report = this.report
    report.extendable = false
    settled.scanned = 0
    settled.used = false
    const tailText = (rest === '' ? '' : convertLine(trial, rest, true, report)) + finishBlocks(trial)
    this.scanned += settled.used ? settled.scanned : rest.length
    if (report.extendable) this.extendable = { end: markdown.length, text: tailText, trailing: report.trailing }
    this.tailText = tailText
    // The plain text grew by an append when what follows the old committed text still starts
    // with the old unfinished line's text: compared on the line alone, never on the whole text,
    // and only for a line of ordinary length (comparing a very long one on every update would
    // cost what the settled start saves; the caller then reads the result instead).
    if (!restarted && shownBefore.length <= MAX_COMPARED_LINE && tailText.length <= MAX_COMPARED_LINE) {
      const after = newlyCommitted + tailText
      if (after.startsWith(shownBefore)) this.grown = after.slice(shownBefore.length)
    }
    this.result = tailText === '' ? this.committed : this.committed + tailText
    return this.result
  }

  /**
   * What the last {@link IncrementalMarkdownToText.update} appended to the plain text, when it
   * only appended (the result is the previous result + this); `undefined` when it rewrote some
   * of it, or converted from scratch.
   */
  get appended(): string | undefined {
    return this.grown
  }

  /** Forgets everything: the next {@link IncrementalMarkdownToText.update} converts from scratch. */
  reset(): void {
    this.source = ''
    this.consumed = 0
    this.state = initialBlockState()
    this.committed = ''
    this.result = ''
    this.line = ''
    this.tailText = ''
    this.grown = undefined
    this.extendable = undefined
    resetSettledLine(this.report.settled!)
  }

  /** The plain text returned by the last {@link IncrementalMarkdownToText.update} (`''` before any). */
  get text(): string {
    return this.result
  }

  /**
   * Length of the input's finished lines: the part that has been converted for good and will not be
   * read again (unless the input stops extending it).
   */
  get committedLength(): number {
    return this.consumed
  }

  /**
   * Diagnostic: characters of input this converter has converted so far, over all updates
   * (finished lines once; the unfinished last line whole when it is converted again, else just the
   * added characters). Lets tests and benchmarks check the cost without timing anything.
   */
  get charactersScanned(): number {
    return this.scanned
  }

  /** Whether `next` plausibly extends the finished lines of the previous input; O(1), see `update`. */
  private continues(next: string): boolean {
    const consumed = this.consumed
    if (consumed === 0) return true
    if (next.length < consumed) return false
    return sameAt(this.source, next, 0, consumed)
  }
}

/**
 * Whether `a` and `b` agree on `[start, end)`, judged in O(1) from its last characters (where a
 * rewrite of recent text shows first) and its first ones (where a reply that started over
 * differs). Both strings must be at least `end` long.
 */
function sameAt(a: string, b: string, start: number, end: number): boolean {
  // Equality of short slices is native and several times cheaper than a charCodeAt loop.
  const windowStart = Math.max(start, end - CHECK_WINDOW)
  if (a.slice(windowStart, end) !== b.slice(windowStart, end)) return false
  const headEnd = Math.min(start + CHECK_WINDOW, windowStart)
  return a.slice(start, headEnd) === b.slice(start, headEnd)
}
