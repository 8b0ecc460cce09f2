/**
 * Prints a reply as it streams in, in one of three forms:
 *
 * - `raw`: the markdown as ChatGPT writes it, each new piece as it arrives (stdout is not a
 *   terminal: what a pipe or file wants);
 * - `render`: markdown rendered for the terminal (see `render-markdown.ts`);
 * - `plain`: plain text (`--plain`), via the library's `IncrementalMarkdownToText`. A line's
 *   plain text is only final once the line ends (`**bol` becomes `bold` when the markup closes),
 *   so plain output streams line by line.
 *
 * Updates carry the whole reply so far. The printer always ends the reply with a newline.
 */
import { IncrementalMarkdownToText } from 'chatgpt-kit'
import { MarkdownStream } from './render-markdown.js'

export type PrintMode = 'raw' | 'render' | 'plain'

export class ReplyPrinter {
  private printed = 0
  /** `plain`: the input is searched for line ends up to here. */
  private inputSearched = 0
  /** `plain`: the plain text after what is printed, while it only grows (see `updatePlain`). */
  private unprinted: string | undefined = undefined
  /** The length of the last update's reply. */
  private wholeLength = 0
  private lastChar = '\n'
  private readonly markdown: MarkdownStream | undefined
  private readonly plain: IncrementalMarkdownToText | undefined
  /** Text the reply starts with that is already on screen (a continued reply): not printed. */
  private readonly skip: string
  /** True once anything was printed. */
  started = false

  constructor(
    private readonly write: (text: string) => void,
    readonly mode: PrintMode,
    options: { color: boolean; width?: number; skip?: string }
  ) {
    this.skip = options.skip ?? ''
    if (mode === 'render') this.markdown = new MarkdownStream(options)
    if (mode === 'plain') this.plain = new IncrementalMarkdownToText()
  }

  /**
   * The reply so far.
   *
   * @param appended - what it added to the previous update, when known (`onProgress`'s second
   *   argument): then only that is read, not the whole reply, which keeps a long reply linear.
   */
  update(whole: string, appended?: string): void {
    // A continued reply (`skip`) is compared with what is on screen, so it takes the slow path.
    const grew = appended !== undefined && !this.skip && whole.length === this.wholeLength + appended.length
    this.wholeLength = whole.length
    if (!grew) appended = undefined
    if (this.skip && !whole.startsWith(this.skip)) return
    const text = this.unskipped(whole)
    if (this.markdown) return this.emit(this.markdown.write(text, appended))
    if (this.plain) return this.updatePlain(text, appended)
    if (appended !== undefined) return this.emitPiece(appended, this.printed + appended.length)
    this.emitFrom(text, text.length)
  }

  /** Plain output goes out a line at a time: what is new of the plain text, up to its last line end. */
  private updatePlain(text: string, appended: string | undefined): void {
    const converted = this.plain!.update(text, appended)
    // It only moves when an input line ended: looking for that in what was added keeps a long
    // line from being searched on every update.
    const lineEnded =
      appended !== undefined
        ? appended.includes('\n')
        : text.length < this.inputSearched || text.indexOf('\n', this.inputSearched) !== -1
    this.inputSearched = text.length
    const added = this.plain!.appended
    // While the plain text only grows, its unprinted end is kept as our own string: the whole
    // text is then never read.
    this.unprinted = added !== undefined && this.unprinted !== undefined ? this.unprinted + added : undefined
    if (!lineEnded) return
    this.unprinted ??= converted.slice(this.printed)
    const settled = this.unprinted.lastIndexOf('\n') + 1
    if (settled === 0) return
    this.emitPiece(this.unprinted.slice(0, settled), this.printed + settled)
    this.unprinted = this.unprinted.slice(settled)
  }

  /** The final reply: prints what is left, and a newline if the reply did not end with one. */
  finish(whole: string): void {
    const text = whole.startsWith(this.skip) ? this.unskipped(whole) : whole
    if (this.markdown) {
      this.emit(this.markdown.write(text) + this.markdown.end())
    } else {
      const final = this.plain ? this.plain.update(text) : text
      this.emitFrom(final, final.length)
    }
    this.end()
  }

  /** Ends the output with a newline if needed (after an interrupted or failed reply too). */
  end(): void {
    if (this.started && this.lastChar !== '\n') this.emit('\n')
  }

  /** The text after the part already shown; a continuation starts on a fresh line, not after blank ones. */
  private unskipped(whole: string): string {
    return this.skip ? whole.slice(this.skip.length).replace(/^\n+/, '') : whole
  }

  private emitFrom(text: string, end: number): void {
    const piece = text.slice(this.printed, end)
    this.printed = Math.max(this.printed, end)
    this.unprinted = undefined
    this.emit(piece)
  }

  /** Prints `piece`, which takes what is printed to `end`. */
  private emitPiece(piece: string, end: number): void {
    this.printed = end
    this.emit(piece)
  }

  private emit(piece: string): void {
    if (piece === '') return
    this.started = true
    this.lastChar = piece[piece.length - 1]
    this.write(piece)
  }
}
