/**
 * GFM tables for the terminal: a header row, a delimiter row (`| --- | :-: |`) and body rows,
 * printed as aligned columns. Column widths are known only when the table ends, so its rows are
 * held until then, up to a bound; a table past the bound prints what it holds with the widths
 * measured so far and then each row as it comes, padded to those widths (a wider cell just sticks
 * out), so memory stays bounded and every cell is still printed.
 *
 * Rows are given one source line at a time; output keeps one line per source line. A row is held
 * until the next line (or the end) says whether a newline follows it, so the caller prints no
 * newline of its own after a row.
 */
import type { ansi } from './ansi.js'
import { displayWidth } from './display-width.js'

/** Held rows at most, and held source characters at most, before a table prints unaligned. */
export const TABLE_MAX_ROWS = 200
export const TABLE_MAX_CHARS = 64 * 1024

type Align = 'left' | 'center' | 'right'

/** A row as shown: each cell rendered (styled), with its width in columns. */
type Row = { cells: string[]; widths: number[] }

export class TerminalTable {
  /** A row that may be the header of a table, until the next row tells. */
  private candidate: string | undefined
  /** The table being read: its alignments, held rows and their widths (undefined outside one). */
  private aligns: Align[] | undefined
  private rows: Row[] = []
  private widths: number[] = []
  private heldChars = 0
  /** Past the bound: rows go out as they come, one row behind (see the file comment). */
  private streaming = false
  /** A row printed while streaming but not its newline yet. */
  private pending = ''

  /**
   * @param s - the styles to use (`noStyle` without colour).
   * @param renderCell - renders a cell's inline markdown.
   */
  constructor(
    private readonly s: typeof ansi,
    private readonly renderCell: (cell: string) => string
  ) {}

  /** Whether a line (without its indentation) is read as a table row. */
  static isRow(line: string): boolean {
    return line.startsWith('|')
  }

  /** Takes the next row (a complete source line); returns what can be printed now. */
  add(line: string): string {
    if (this.aligns) return this.addBodyRow(line)
    if (this.candidate === undefined) {
      this.candidate = line
      return ''
    }
    const header = cells(this.candidate)
    const aligns = delimiterAligns(line)
    if (aligns && aligns.length === header.length) {
      this.aligns = aligns
      this.heldChars = this.candidate.length + line.length
      this.rows = [this.render(header)]
      this.candidate = undefined
      return ''
    }
    // Not a table after all: the held line prints as a plain row; this one may be a header.
    const out = this.plainRow(this.candidate) + '\n'
    this.candidate = line
    return out
  }

  /**
   * The table ends (a non-table line follows, or the text ends): prints what is held.
   *
   * @param newline - whether a newline follows the last row (false at the end of a text whose last
   *   line is a row).
   */
  flush(newline: boolean): string {
    let out: string
    if (this.candidate !== undefined) out = this.plainRow(this.candidate)
    else if (this.streaming) out = this.pending
    else if (this.aligns) out = this.layout().join('\n')
    else return ''
    this.candidate = undefined
    this.aligns = undefined
    this.rows = []
    this.widths = []
    this.heldChars = 0
    this.streaming = false
    this.pending = ''
    return newline ? out + '\n' : out
  }

  private addBodyRow(line: string): string {
    const row = this.render(cells(line))
    if (this.streaming) {
      const out = this.pending + '\n'
      this.pending = this.line(row, false)
      return out
    }
    this.rows.push(row)
    this.heldChars += line.length
    if (this.rows.length < TABLE_MAX_ROWS && this.heldChars < TABLE_MAX_CHARS) return ''
    // Too big to hold: print it as measured so far, the last row one line behind.
    const lines = this.layout()
    this.pending = lines.pop()!
    this.rows = []
    this.streaming = true
    return lines.map((l) => l + '\n').join('')
  }

  /** Renders a row's cells and widens the columns to fit them. */
  private render(raw: string[]): Row {
    const rendered = raw.map((cell) => this.renderCell(cell.trim()))
    const widths = rendered.map(displayWidth)
    widths.forEach((w, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, w)))
    return { cells: rendered, widths }
  }

  /** The held rows as lines: the header (bold), the separator, then the body. */
  private layout(): string[] {
    const [header, ...body] = this.rows
    const separator = this.s.dim(this.widths.map((w) => '─'.repeat(w)).join('─┼─'))
    return [this.line(header!, true), separator, ...body.map((row) => this.line(row, false))]
  }

  /** One row, each cell padded to its column's width; no trailing spaces. */
  private line(row: Row, header: boolean): string {
    const columns = Math.max(row.cells.length, this.aligns!.length)
    const parts: string[] = []
    for (let i = 0; i < columns; i++) {
      const cell = row.cells[i] ?? ''
      const text = header ? this.s.bold(cell) : cell
      parts.push(pad(text, row.widths[i] ?? 0, this.widths[i] ?? 0, this.aligns![i] ?? 'left'))
    }
    return parts.join(this.s.dim(' │ ')).trimEnd()
  }

  /** A `|` line that is not part of a table: its cells rendered, the pipes dimmed. */
  private plainRow(line: string): string {
    return line
      .split('|')
      .map((cell) => this.renderCell(cell))
      .join(this.s.dim('|'))
  }
}

function pad(text: string, width: number, column: number, align: Align): string {
  const space = Math.max(0, column - width)
  if (align === 'right') return ' '.repeat(space) + text
  if (align === 'center') return ' '.repeat(space >> 1) + text + ' '.repeat(space - (space >> 1))
  return text + ' '.repeat(space)
}

/** A row's cells: split on unescaped `|`, without the optional outer pipes. */
function cells(row: string): string[] {
  const result: string[] = []
  let start = 0
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '\\') i++
    else if (row[i] === '|') {
      result.push(row.slice(start, i))
      start = i + 1
    }
  }
  result.push(row.slice(start))
  if (result.length > 1 && result[0]!.trim() === '') result.shift()
  if (result.length > 1 && result[result.length - 1]!.trim() === '') result.pop()
  return result
}

/** The column alignments if `line` is a delimiter row (`| --- | :-: | --: |`), else undefined. */
function delimiterAligns(line: string): Align[] | undefined {
  if (!/^[|:\-\s]*-[|:\-\s]*$/.test(line)) return undefined
  const aligns: Align[] = []
  for (const cell of cells(line)) {
    const spec = /^(:?)-+(:?)$/.exec(cell.trim())
    if (!spec) return undefined
    aligns.push(spec[1] && spec[2] ? 'center' : spec[2] ? 'right' : 'left')
  }
  return aligns
}
