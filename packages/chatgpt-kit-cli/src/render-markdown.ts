/**
 * Markdown for the terminal, rendered while it streams in.
 *
 * The approach: output is append-only, so nothing printed is ever taken back, and streamed output
 * is exactly what rendering the finished text at once gives (the tests check this for every way
 * of cutting the text). Text is printed as soon as its rendering is settled; what could still
 * change is held back until the characters that decide it arrive:
 *
 * - the start of a line, until its kind is known (`#` heading, `- ` bullet, `1. ` item, `> `
 *   quote, a code fence, a rule, a table row); rules and fences are printed whole;
 * - a table, until it ends: its column widths are known only then (see `terminal-table.ts`);
 * - inline markup that more text could still change (an emphasis marker that may yet open, a `[`
 *   or a code span not closed, a character at the line's end that the next one could complete):
 *   what the library's inline tokenizer does not call decided (see `styled-line.ts`).
 *
 * Inline styling comes from that tokenizer, the one `markdownToText` uses, so the terminal styles
 * exactly what the text conversion keeps as text (CommonMark's emphasis, links, code spans,
 * escapes, entities, autolinks; HTML tags dropped). So plain words stream token by token, and a
 * styled span appears when it closes. One source line is one output line (but a link definition,
 * which `markdownToText` drops, prints nothing); a line is read on its own (emphasis does not span
 * lines). Block structure follows the library's reading where `block-lines.ts` has a helper.
 *
 * What it renders: headings (bold, coloured; `#` kept without colour), emphasis, strikethrough,
 * inline code, links (text, then the address dimmed), bullets (`•`, `◦`, `▪` by depth), task
 * boxes, numbered items, quotes (a `│` per `>`, code fences in them too), rules, tables (aligned columns, header bold), and code blocks set apart
 * by a frame (`┌─ lang`, `│ `, `└─`) with their content verbatim (indented code: its lines
 * marked `│ `, without a frame). Without colour only the block
 * structure changes (bullets, frames, rules); inline markup stays as written, which is how plain
 * markdown is meant to be read. Control characters from the text (escape sequences a reply could
 * carry) are dropped, so a reply cannot drive the terminal.
 */
import { inlineSpans, isTitleLine } from 'chatgpt-kit/internal'

import { ansi, noStyle } from './ansi.js'
import { paintSpans } from './paint-spans.js'
import {
  columnEnd,
  headingEnd,
  indentColumns,
  definitionLine,
  isThematicBreak,
  isThematicBreakStart,
  listItemIndent,
  mayBeDefinition,
  mayBeTitleLine,
  quoteMarkers
} from './block-lines.js'
import { StyledLine } from './styled-line.js'
import { TerminalTable } from './terminal-table.js'

export type RenderOptions = {
  /** Colour and text attributes. */
  color: boolean
  /** Terminal columns; rules are drawn at most this wide. @defaultValue 80 */
  width?: number
}

type Kind =
  /** `heading`: an ATX heading, whose closing `#` run is not content (colour only; see `headingEnd`). */
  | { type: 'text'; prefix: string; style?: (text: string) => string; heading?: boolean }
  /**
   * A code line: in a fenced block (in `quote` quotes), or `indented` (four columns in, after a
   * blank line).
   */
  | { type: 'code'; indented?: boolean; quote?: number }
  | { type: 'whole' }
  /** A table row: the table prints it, with its newline, once the table's widths are known. */
  | { type: 'table' }
  /** A line that prints nothing, not even its newline: a link definition. */
  | { type: 'none' }

/** A line whose kind is not known yet. */
const HOLD = undefined

/**
 * Renders a reply that streams in as cumulative markdown (each update is the whole text so far).
 *
 * @example
 * ```ts
 * const md = new MarkdownStream({ color: true })
 * stream.on('text', (text) => process.stdout.write(md.write(text)))
 * process.stdout.write(md.end())
 * ```
 */
export class MarkdownStream {
  /**
   * The text from the current line on, as a string of our own: the whole text is never read
   * again once its lines are printed (a text built by appending is copied whole by any read).
   */
  private rest = ''
  /** Where `rest` starts in the whole text, and the whole text's length. */
  private restStart = 0
  private length = 0
  /** Where the current line starts in the whole text. */
  private lineStart = 0
  /**
   * The current line's kind, once known, and how much of it is printed (for a line of text with
   * colour: where its content starts; `styled` knows how much of that is printed).
   */
  private kind: Kind | undefined
  private cursor = 0
  /** The current line's inline content, styled as it grows (colour only). */
  private readonly styled: StyledLine
  /**
   * The current line is read from the source as it stands while it holds no control character
   * (most lines): only the characters added are checked. Otherwise its sanitized copy is kept,
   * sanitized a piece at a time.
   */
  private checkedTo = 0
  private sanitized: string | undefined
  private scanned = 0
  /**
   * The line before was paragraph text (so a `[label]: url` line continues it, and is no link
   * definition), and whether the current line is.
   */
  private afterParagraph = false
  private paragraphLine = false
  /** The line before was a link definition without a title: this line may be its title. */
  private mayBeTitle = false
  private lineTakesTitle = false
  /**
   * For indented code: the line before was blank; the content column of the list item the text
   * is in (-1 outside lists, where indented lines are not code); an indented code block is open;
   * the current line is inside a fenced block (and so changes none of these).
   */
  private afterBlank = true
  private listIndent = -1
  private indentedCode = false
  private lineInFence = false
  /** The open code fence: its character and length, and how many quotes it is in. */
  private fence: { char: string; length: number; quote: number } | undefined
  /** The table being read, held until it ends (see `terminal-table.ts`). */
  private readonly table: TerminalTable
  private readonly s: typeof ansi
  private readonly color: boolean
  private readonly width: number

  constructor(options: RenderOptions) {
    this.color = options.color
    this.s = options.color ? ansi : noStyle
    this.width = Math.max(10, Math.min(options.width ?? 80, 80))
    this.styled = new StyledLine(ansi)
    this.table = new TerminalTable(this.s, (cell) => this.cell(cell))
  }

  /**
   * Takes the whole text so far (it must extend the previous one) and returns what to print now.
   *
   * @param appended - what `text` added to the previous text, when known: then `text` is not read.
   */
  write(text: string, appended?: string): string {
    if (appended !== undefined && text.length === this.length + appended.length) this.rest += appended
    else this.rest = text.slice(this.restStart)
    this.length = text.length
    let out = ''
    for (;;) {
      // Only what was added can hold the line's end: the line before it was searched already.
      const newline = this.indexOfNewline(Math.max(this.lineStart, this.checkedTo))
      const complete = newline !== -1
      const line = this.currentLine(complete ? newline : this.length)
      out += this.advance(line, complete)
      if (!complete) return out
      this.noteLine(line)
      if (this.kind?.type !== 'table' && this.kind?.type !== 'none') out += '\n'
      this.nextLine(newline + 1)
    }
  }

  /** The text is finished: returns the rest of it (the last line, if it had no newline). */
  end(): string {
    const line = this.currentLine(this.length)
    let out = line === '' && this.kind === undefined ? '' : this.advance(line, true)
    // A table that reaches the end: a newline follows its last row if the text had one.
    out += this.table.flush(line === '')
    this.nextLine(this.length)
    return out
  }

  /** The first `\n` at or after `from` (a position in the whole text), or -1. */
  private indexOfNewline(from: number): number {
    const at = this.rest.indexOf('\n', from - this.restStart)
    return at === -1 ? -1 : at + this.restStart
  }

  /** The whole text's `[from, end)`, both at or after the current line's start. */
  private slice(from: number, end: number): string {
    return this.rest.slice(from - this.restStart, end - this.restStart)
  }

  /**
   * Diagnostic: characters read so far (checked for control characters, scanned for markup), for
   * tests that check the cost without timing anything.
   */
  get charactersScanned(): number {
    return this.scanned + this.styled.scanned
  }

  /** The current line up to `end`, without control characters; reads only what was added. */
  private currentLine(end: number): string {
    const from = Math.max(this.lineStart, this.checkedTo)
    if (end > from) {
      const added = this.slice(from, end)
      this.scanned += added.length
      if (this.sanitized !== undefined) this.sanitized += sanitize(added)
      else if (CONTROL.test(added)) this.sanitized = sanitize(this.slice(this.lineStart, end))
      this.checkedTo = end
    }
    return this.sanitized ?? this.slice(this.lineStart, end)
  }

  private nextLine(start: number): void {
    // The lines before `start` are printed: let go of them.
    this.rest = this.rest.slice(start - this.restStart)
    this.restStart = start
    this.lineStart = start
    this.checkedTo = start
    this.sanitized = undefined
    this.afterParagraph = this.paragraphLine
    this.paragraphLine = false
    this.mayBeTitle = this.lineTakesTitle
    this.lineTakesTitle = false
    this.kind = undefined
    this.cursor = 0
    this.styled.reset()
  }

  /** Prints what is settled of the current line. */
  private advance(line: string, complete: boolean): string {
    let out = ''
    if (!this.kind) {
      this.lineInFence = this.fence !== undefined
      const kind = this.fence ? this.classifyInFence(line, complete) : this.classify(line, complete)
      if (!kind) return ''
      // A line that is not a table row ends the table before it: now its widths are known.
      if (kind.kind.type !== 'table') out += this.table.flush(true)
      this.kind = kind.kind
      this.cursor = kind.contentStart
      // A blank line is classified only once complete, so content here is blank only if the line is.
      this.paragraphLine = kind.kind.type === 'text' && !kind.kind.heading && line.length > kind.contentStart
      if (kind.render) {
        this.cursor = line.length
        return out + kind.render()
      }
      if (kind.kind.type === 'text') out += kind.kind.prefix
      if (kind.kind.type === 'code') out += this.s.dim('│ '.repeat((kind.kind.quote ?? 0) + 1))
    }
    const kind = this.kind
    if (kind.type === 'code') {
      out += line.slice(this.cursor)
      this.cursor = line.length
    } else if (kind.type === 'text') {
      if (this.color) {
        // The line style goes on each styled piece, so pieces printed apart look the same.
        const content = kind.heading ? line.slice(0, headingEnd(line, this.cursor)) : line
        out += this.styled.next(content, this.cursor, complete, kind.style)
      } else {
        out += line.slice(this.cursor)
        this.cursor = line.length
      }
    }
    return out
  }

  /** What the next line needs to know of this one, now that it is complete (see `listIndent`). */
  private noteLine(line: string): void {
    if (this.lineInFence || this.kind === undefined) return
    const indent = /^[ \t]*/.exec(line)![0]
    const rest = line.slice(indent.length)
    if (rest === '') {
      this.afterBlank = true
      return
    }
    const columns = indentColumns(indent)
    const indented = this.kind.type === 'code' && this.kind.indented === true
    const item = indented || isThematicBreak(rest) ? -1 : listItemIndent(rest, columns)
    if (item >= 0) this.listIndent = item
    // As markdownToText reads it: a line left of the item's content ends the list, unless it
    // continues the item's paragraph.
    else if (columns < this.listIndent && (this.afterBlank || !this.afterParagraph)) this.listIndent = -1
    this.afterBlank = false
    this.indentedCode = indented
  }

  /** Whether a line indented four columns or more is code (see `listIndent`). */
  private isIndentedCode(columns: number, rest: string): boolean {
    if (columns < 4) return false
    if (this.indentedCode) return true
    if (this.afterParagraph) return false
    // Left of the item's content, a line ends the list, unless it is an item itself (its marker
    // may still be arriving: such a line is taken as in the list).
    return this.listIndent < 0 || (columns < this.listIndent && !/^[-*+0-9]/.test(rest))
  }

  /**
   * The kind of a line inside a code block: a code line, or the closing fence; in a quote, a line
   * with fewer `>` ends the block and is read as any other line.
   */
  private classifyInFence(line: string, complete: boolean): Classified | undefined {
    const fence = this.fence!
    let start = 0
    if (fence.quote > 0) {
      const quote = quoteMarkers(line, fence.quote)
      // Until something other than spaces follows the markers, more of them may come.
      if (!complete && /^[ \t]*$/.test(line.slice(quote.end))) return HOLD
      if (quote.depth < fence.quote) {
        this.fence = undefined
        this.lineInFence = false
        return this.classify(line, complete)
      }
      start = quote.end
    }
    const closing = new RegExp(`^ {0,3}(\\${fence.char}*)( *)$`).exec(line.slice(start))
    if (closing) {
      if (!complete) return HOLD
      if (closing[1].length >= fence.length) {
        return this.whole(() => {
          this.fence = undefined
          return this.s.dim('│ '.repeat(fence.quote) + '└─')
        })
      }
    }
    return { kind: { type: 'code', quote: fence.quote }, contentStart: start }
  }

  /**
   * A code fence opening `content` (what follows `quote` quote markers): its kind, HOLD until its
   * line ends, or `false` if the line opens none.
   */
  private openFence(content: string, complete: boolean, quote: number): Classified | undefined | false {
    const first = content[0]
    if (first !== '`' && first !== '~') return false
    const run = /^(`+|~+)/.exec(content)![0]
    if (!complete && run === content) return HOLD
    if (run.length < 3 || (first === '`' && content.slice(run.length).includes('`'))) return false
    if (!complete) return HOLD
    return this.whole(() => {
      this.fence = { char: first, length: run.length, quote }
      const lang = content.slice(run.length).trim()
      return this.s.dim('│ '.repeat(quote) + (lang ? `┌─ ${lang}` : '┌─'))
    })
  }

  /** The kind of a line outside code blocks, or HOLD while the start does not tell yet. */
  private classify(line: string, complete: boolean): Classified | undefined {
    const indent = /^[ \t]*/.exec(line)![0]
    const rest = line.slice(indent.length)
    const shownIndent = indent.replace(/\t/g, '    ')
    const text = (prefix: string, contentStart: number, style?: (t: string) => string, heading?: boolean): Classified => ({
      kind: { type: 'text', prefix, style, heading },
      contentStart
    })
    if (rest === '') return complete ? text(shownIndent, line.length) : HOLD
    const s = this.s
    const first = rest[0]
    if (this.mayBeTitle && '"\'('.includes(first)) {
      // The title of the definition on the line before, on a line of its own, goes with it.
      if (!complete && mayBeTitleLine(rest)) return HOLD
      if (complete && isTitleLine(rest, 0)) return { kind: { type: 'none' }, contentStart: 0, render: () => '' }
    }
    const columns = indentColumns(indent)
    if (this.isIndentedCode(columns, rest)) {
      return { kind: { type: 'code', indented: true }, contentStart: columnEnd(line, 4) }
    }

    if (first === '#') {
      const heading = /^(#{1,6})(?: +|$)/.exec(rest)
      if (!heading) return text(shownIndent, indent.length)
      if (!complete && heading[0] === rest) return HOLD // `##` may go on to `###` or `##x`
      const level = heading[1].length
      const style =
        level === 1 ? (t: string) => s.bold(s.underline(s.magenta(t))) : (t: string) => s.bold(s.magenta(t))
      const marks = this.color ? '' : heading[1] + ' '
      return text(shownIndent + marks, indent.length + heading[0].length, style, true)
    }

    if (first === '`' || first === '~') {
      const fence = this.openFence(rest, complete, 0)
      return fence === false ? text(shownIndent, indent.length) : fence
    }

    if (first === '-' || first === '*' || first === '_' || first === '+') {
      if (rest.length === 1 && !complete) return HOLD
      // A rule before a bullet: `- - -` is a rule, so `- -` waits for the rest of its line.
      if (first !== '+' && isThematicBreakStart(rest)) {
        if (!complete) return HOLD
        if (isThematicBreak(rest)) return this.whole(() => s.dim('─'.repeat(this.width)))
      }
      const second = rest[1]
      if (first !== '_' && second === ' ') {
        const content = rest.slice(2)
        const task = /^\[([ xX])\](?: |$)/.exec(content)
        if (!complete && (task === null ? /^(\[[ xX]?\]?)?$/.test(content) : task[0] === content)) return HOLD
        const depth = Math.floor(shownIndent.length / 2)
        const bullet = s.cyan(['•', '◦', '▪'][depth % 3])
        if (task) {
          const box = task[1] === ' ' ? '☐' : s.green('☑')
          return text(`${shownIndent}${bullet} ${box} `, indent.length + 2 + task[0].length)
        }
        return text(`${shownIndent}${bullet} `, indent.length + 2)
      }
      return text(shownIndent, indent.length)
    }

    if (first === '=' && /^=+ *$/.test(rest)) {
      if (!complete) return HOLD
      return this.whole(() => s.dim('═'.repeat(this.width)))
    }

    if (first === '>') {
      const quote = quoteMarkers(rest)
      // Until the content starts, another `>` may come: `> >` is a quote in a quote.
      if (!complete && /^[ \t]*$/.test(rest.slice(quote.end))) return HOLD
      const inner = /^ {0,3}/.exec(rest.slice(quote.end))![0].length + quote.end
      const fence = this.openFence(rest.slice(inner), complete, quote.depth)
      if (fence !== false) return fence
      return text(shownIndent + s.dim('│ ').repeat(quote.depth), indent.length + quote.end, (t) => s.italic(t))
    }

    if (first >= '0' && first <= '9') {
      if (!complete && /^\d{1,9}[.)]?$/.test(rest)) return HOLD
      const item = /^(\d{1,9}[.)])(?: +|$)/.exec(rest)
      if (item && !complete && item[0] === rest) return HOLD
      if (item) return text(`${shownIndent}${s.bold(item[1])} `, indent.length + item[0].length)
      return text(shownIndent, indent.length)
    }

    if (first === '[' && !this.afterParagraph && shownIndent.length < 4) {
      // A link definition prints nothing; until its line ends, a line that may be one waits.
      if (!complete && mayBeDefinition(rest)) return HOLD
      const definition = complete ? definitionLine(rest) : undefined
      if (definition) {
        this.lineTakesTitle = definition.mayTakeTitle
        return { kind: { type: 'none' }, contentStart: 0, render: () => '' }
      }
    }

    if (TerminalTable.isRow(rest)) {
      if (!complete) return HOLD
      return { kind: { type: 'table' }, contentStart: 0, render: () => this.table.add(rest) }
    }

    return text(shownIndent, indent.length)
  }

  private whole(render: () => string): Classified {
    return { kind: { type: 'whole' }, contentStart: 0, render }
  }

  /** A table cell's inline markdown, styled (with colour) or as written. */
  private cell(cell: string): string {
    if (!this.color) return cell
    const spans = inlineSpans(cell, { lineBreak: ' ' })
    return paintSpans(spans, 0, spans.text.length, true, this.s)
  }
}

/** A line's kind, where its content starts, and for whole lines how they print. */
type Classified = { kind: Kind; contentStart: number; render?: () => string }
/** Control characters (escape sequences included), but not tabs. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g

/** Drops control characters (escape sequences included); keeps tabs. */
function sanitize(text: string): string {
  return text.replace(CONTROLS, '')
}

/** Renders a whole markdown text at once (the same output as streaming it). */
export function renderMarkdown(text: string, options: RenderOptions): string {
  const stream = new MarkdownStream(options)
  return stream.write(text) + stream.end()
}
