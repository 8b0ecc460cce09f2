/**
 * Block structure, one line at a time: which lines are code, headings, list items, table rows,
 * and what plain text each one contributes. All memory between lines lives in a small flat
 * {@link BlockState}, so the streaming converter can copy it and try out an unfinished last line
 * without disturbing the finished ones.
 */
import {
  BACKSLASH,
  BACKTICK,
  COLON,
  CR,
  DASH,
  DOT,
  EQUALS,
  GT,
  HASH,
  LBRACKET,
  LT,
  PIPE,
  PLUS,
  RBRACKET,
  RPAREN,
  SPACE,
  STAR,
  TAB,
  TILDE,
  UNDERSCORE,
  isAsciiDigit,
  isSpaceOrTab
} from './chars.js'
import { inlineToText, type InlineReport } from './inline.js'
import { htmlBlockEnds, htmlBlockStart, visibleHtml } from './html-blocks.js'
import { isDestinationLine, isTitleLine, normalizeLabel, parseDefinition } from './link-definitions.js'
import { convertGrowingLine, type SettledLine } from './settled-line.js'

/** Everything a line needs to know about the lines before it. Flat, so `{ ...state }` copies it. */
export interface BlockState {
  /** Char code of the open code fence (`` ` `` or `~`), 0 outside fenced code. */
  fence: number
  fenceLength: number
  /** Column of the opening fence: code lines lose up to this much indentation. */
  fenceIndent: number
  /** Blockquote depth the fence was opened in; a line with fewer `>` ends the block. */
  fenceQuote: number
  indentedCode: boolean
  /** The previous line was paragraph text: enables setext underlines and lazy continuation. */
  paragraph: boolean
  afterBlank: boolean
  /** Content column of the current list item, -1 outside lists; indented lines there are not code. */
  listIndent: number
  /** Cells in the header of the current table, 0 outside tables. */
  tableColumns: number
  /** A line with a `|`, held back because the next line may turn it into a table header. */
  held: string | undefined
  /** Its cell count and text, each computed once however many times the tail is retried. */
  heldColumns: number
  heldText: string
  heldCache: { row: string | undefined }
  /**
   * Labels of the link definitions so far (finished lines only). Shared by the copies the
   * streaming converter tries an unfinished line on, which never add to it.
   */
  definitions: Set<string>
  /** A `[label]:` line, held because the next line may hold its destination. */
  heldDefinition: string | undefined
  heldLabel: string
  /** The line before was a definition without a title: this one may be its title. */
  definitionTitle: boolean
  /**
   * The paragraph line before ended in a `\` (a hard line break), left out of its text: written
   * after all if the paragraph ends there, since a break needs a line after it.
   */
  owedBackslash: boolean
  /** Kind (1–7) of the open HTML block, 0 outside one. */
  htmlBlock: number
  /** The end of a tag or comment an HTML line left open (`>`, `-->`), `''` if none. */
  htmlOpen: string
  /** Some text has been written, so separators are needed before more. */
  started: boolean
  /** Whitespace owed before the next text: written only if text follows, never at the end. */
  pending: string
}

/** The state before the first line. */
export function initialBlockState(): BlockState {
  return {
    fence: 0,
    fenceLength: 0,
    fenceIndent: 0,
    fenceQuote: 0,
    indentedCode: false,
    paragraph: false,
    afterBlank: true,
    listIndent: -1,
    tableColumns: 0,
    held: undefined,
    heldColumns: 0,
    heldText: '',
    heldCache: { row: undefined },
    definitions: new Set(),
    heldDefinition: undefined,
    heldLabel: '',
    definitionTitle: false,
    owedBackslash: false,
    htmlBlock: 0,
    htmlOpen: '',
    started: false,
    pending: ''
  }
}

/** What {@link convertLine} tells the streaming converter about an unfinished last line. */
export interface LineReport {
  /**
   * The line ended as one line of text, and appending text that `isPlainAppend` accepts would
   * append just that text (after {@link LineReport.trailing}) to the result: the streaming
   * converter may then skip converting the line again.
   */
  extendable: boolean
  /** Whitespace that ended the line's text: trimmed off, but owed if more text follows. */
  trailing: string
  /**
   * The unfinished line's settled start, kept between updates: a long line is then not read
   * again from its start on every update (see `settled-line.ts`). Reset it when the line changes.
   */
  settled?: SettledLine
}

/**
 * Converts one line (without its `\n`) and advances `state`; returns the text to append.
 *
 * @param last - the line is the unfinished end of the input: one or two backticks alone there
 *   are the start of a fence still arriving, so they are not shown.
 * @param report - for an unfinished last line: whether it can be extended without converting
 */
export function convertLine(state: BlockState, raw: string, last: boolean, report?: LineReport): string {
  const owed = state.owedBackslash
  state.owedBackslash = false
  continuedParagraph = false
  const out = convertLineBody(state, raw, last, report)
  // A paragraph's last line ending in `\` keeps it: only a line that follows makes it a break.
  return owed && !continuedParagraph ? `\\${out}` : out
}

/** Set by {@link convertLineBody} when the line went on the paragraph before it. */
let continuedParagraph = false

function convertLineBody(state: BlockState, raw: string, last: boolean, report?: LineReport): string {
  const line = raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw
  if (report) report.extendable = false
  let out = ''
  if (state.fence !== 0) {
    const inside = fencedLine(state, line, last)
    if (inside !== undefined) return inside
    out = breakBlock(state) // the blockquote holding the fence ended; the line is read normally
  }

  const lineStart = leading(line, 0)
  if (state.htmlBlock !== 0) {
    // Kinds 6 and 7 end at a blank line; the others at their end marker, blank lines included.
    if (lineStart.end !== line.length) return htmlLine(state, line)
    if (state.htmlBlock < 6) return ''
    state.htmlBlock = 0
    state.htmlOpen = ''
  }
  if (lineStart.end === line.length) return out + blankLine(state)

  if (state.indentedCode) {
    if (lineStart.columns >= 4) return code(state, removeIndent(line, 0, 4))
    state.indentedCode = false
    out += breakBlock(state)
  }

  // Containers: blockquote markers go; their text is read like any other line.
  let pos = 0
  let quoteDepth = 0
  if (lineStart.columns < 4) {
    const quote = stripQuotes(line, Number.MAX_SAFE_INTEGER)
    pos = quote.pos
    quoteDepth = quote.depth
  }
  const lead = leading(line, pos)
  const body = lead.end
  const indent = lead.columns
  if (body === line.length) return out + blankLine(state) // a bare `>` is a blank line in a quote
  const wasAfterBlank = state.afterBlank
  state.afterBlank = false

  if (state.heldDefinition !== undefined) {
    const destination = isDestinationLine(line, body)
    if (destination) {
      if (!last) state.definitions.add(normalizeLabel(state.heldLabel))
      state.heldDefinition = undefined
      state.definitionTitle = destination.mayTakeTitle
      return out
    }
    out += flushHeldDefinition(state)
  } else if (state.definitionTitle) {
    state.definitionTitle = false
    if (isTitleLine(line, body)) return out
  }

  if (state.held !== undefined) {
    const columns = delimiterRowColumns(line, body)
    if (columns === state.heldColumns) {
      // The held line was a table header after all; the delimiter row itself is not text.
      state.heldCache.row ??= tableRow(state.held)
      out += text(state, state.heldCache.row)
      state.tableColumns = columns
      state.held = undefined
      state.paragraph = false
      return out
    }
    out += flushHeld(state)
  }

  const settled = last ? report?.settled : undefined
  if (state.tableColumns > 0) {
    if (hasPipeFrom(line, body, settled)) return out + text(state, tableRow(line.slice(body)))
    state.tableColumns = 0
  }

  if (last && isPartialFence(line, body, 0)) return out

  if (indent < 4 && line.charCodeAt(body) === LT) {
    const kind = htmlBlockStart(line, body, state.paragraph)
    if (kind !== 0) {
      out += breakBlock(state)
      state.paragraph = false
      state.htmlBlock = kind
      return out + htmlLine(state, line.slice(body))
    }
  }

  const inList = state.listIndent >= 0
  const c = line.charCodeAt(body)
  const thematic = indent < 4 && (c === STAR || c === DASH || c === UNDERSCORE) && isThematicBreak(line, body)
  const item = thematic || (indent >= 4 && !inList) ? undefined : listMarker(line, body, indent)

  // After a blank line, a line indented less than the item's content is no longer in the list.
  if (inList && item === undefined && indent < state.listIndent && (wasAfterBlank || !state.paragraph)) {
    state.listIndent = -1
  }

  if (indent >= 4 && state.listIndent < 0 && !state.paragraph && quoteDepth === 0) {
    out += breakBlock(state)
    state.indentedCode = true
    return out + code(state, removeIndent(line, 0, 4))
  }

  const blockIndentOk = indent < 4 || state.listIndent >= 0
  if (blockIndentOk && openFence(state, line, body, indent, quoteDepth)) return out + breakBlock(state)

  if (blockIndentOk && c === HASH) {
    const heading = atxHeading(line, body)
    if (heading !== undefined) {
      state.paragraph = false
      // A heading is one line: a `\` at its end is not a line break, just a backslash.
      const headingText = inlineToText(heading, '\n', undefined, undefined, state.definitions)
      const value = endsWithHardBreak(heading) ? `${headingText}\\` : headingText
      return out + breakBlock(state) + text(state, value) + breakBlock(state)
    }
  }

  if (state.paragraph && indent < 4 && item === undefined && (c === EQUALS || c === DASH)) {
    if (isSetextUnderline(line, body, c)) {
      // The heading's text is already out as a paragraph line; only the underline goes.
      state.paragraph = false
      return out + breakBlock(state)
    }
  }

  if (thematic) {
    state.paragraph = false
    return out + breakBlock(state)
  }

  if (item !== undefined) {
    state.listIndent = item.contentIndent
    const contentStart = item.contentStart
    if (contentStart >= line.length) {
      // An empty item prints nothing (an ordered one its number) and cannot start a setext heading.
      state.paragraph = false
      return out + (item.number === undefined ? '' : text(state, item.number))
    }
    if (last && isPartialFence(line, contentStart, 0)) return out
    if (openFence(state, line, contentStart, item.contentIndent, quoteDepth)) {
      return out + breakBlock(state)
    }
    const heading = line.charCodeAt(contentStart) === HASH ? atxHeading(line, contentStart) : undefined
    if (settled && heading === undefined) {
      state.paragraph = true
      const number = item.number
      const grown = convertGrowingLine(settled, 2 * contentStart + 1, line.slice(contentStart), inlineReport, number === undefined, state.definitions)
      const value = number === undefined ? grown.value : grown.value === '' ? number : `${number} ${grown.value}`
      reportGrown(report!, raw, line, contentStart, value, grown.trailing)
      return out + trimmedText(state, value)
    }
    const content = inlineToText(heading ?? line.slice(contentStart), '\n', inlineReport, undefined, state.definitions)
    state.paragraph = heading === undefined
    const value = item.number === undefined ? content : `${item.number} ${content}`
    if (report && heading === undefined) reportText(report, raw, line, contentStart, value)
    return out + text(state, value)
  }

  if (!state.paragraph && indent < 4 && c === LBRACKET) {
    const definition = parseDefinition(line, body)
    if (definition?.needsDestination) {
      state.heldDefinition = line.slice(body)
      state.heldLabel = definition.label
      return out
    }
    if (definition) {
      // The line being tried (unfinished) is not a definition yet: it could still grow into text.
      if (!last) state.definitions.add(normalizeLabel(definition.label))
      state.definitionTitle = definition.mayTakeTitle
      return out
    }
  }

  const content = line.slice(body)
  continuedParagraph = state.paragraph
  state.paragraph = true
  state.owedBackslash = endsWithHardBreak(line)
  if (hasPipeFrom(line, body, settled)) {
    // Could be a table header: decided by the next line, shown as text until then.
    state.held = content
    state.heldColumns = cellCount(content)
    state.heldText = inlineToText(content, '\n', undefined, undefined, state.definitions)
    state.heldCache = { row: undefined }
    return out
  }
  if (settled && c !== LBRACKET) {
    const grown = convertGrowingLine(settled, 2 * body, content, inlineReport, true, state.definitions)
    reportGrown(report!, raw, line, body, grown.value, grown.trailing)
    return out + trimmedText(state, grown.value)
  }
  const value = inlineToText(content, '\n', inlineReport, undefined, state.definitions)
  if (report && c !== LBRACKET) reportText(report, raw, line, body, value)
  return out + text(state, value)
}

/** Scratch for the inline report (convertLine is never re-entered). */
const inlineReport: InlineReport = { extendable: false, settled: false, budgetUsed: 0 }

/**
 * Fills `report` for a line written as text. Besides the inline check, appending must not change
 * what kind of line it is: a line of only digits, spaces and marker characters could still become
 * a list item (`1` + `.`), a rule (`--` + `-`) or a setext underline; and `[x]:` + ` url` a link
 * definition, hence the caller's `[` check.
 */
function reportText(report: LineReport, raw: string, line: string, from: number, value: string): void {
  const visible = value.trimEnd()
  report.extendable = inlineReport.extendable && visible.trim() !== '' && hasWordCharacter(line, from)
  // The `\r` taken off the raw line is owed too if the line goes on (`a\rb` keeps it).
  report.trailing = value.slice(visible.length) + raw.slice(line.length)
}

/** {@link reportText} for text already trimmed, with the whitespace trimmed off its end. */
function reportGrown(report: LineReport, raw: string, line: string, from: number, value: string, trailing: string): void {
  report.extendable = inlineReport.extendable && value !== '' && hasWordCharacter(line, from)
  report.trailing = trailing + raw.slice(line.length)
}

function hasWordCharacter(line: string, from: number): boolean {
  for (let i = from; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (!(isAsciiDigit(c) || c < 128 && MARKER_OR_SPACE[c] === 1)) return true
  }
  return false
}

/** Characters that can make up a block marker, with spaces: lines of only these are undecided. */
const MARKER_OR_SPACE = new Uint8Array(128)
for (const ch of ' \t-=#.)+>*_~`:|[]') MARKER_OR_SPACE[ch.charCodeAt(0)] = 1

/** A line of an HTML block: the text a browser shows of it; the block may end with it. */
function htmlLine(state: BlockState, line: string): string {
  const visible = visibleHtml(line, state.htmlOpen)
  state.htmlOpen = visible.open
  const out = text(state, visible.text)
  if (state.htmlBlock >= 6 || !htmlBlockEnds(state.htmlBlock, line)) return out
  state.htmlBlock = 0
  state.htmlOpen = ''
  return out + breakBlock(state)
}

/** Ends the input: writes a line still held as a possible table header or definition. */
export function finishBlocks(state: BlockState): string {
  const owed = state.owedBackslash ? '\\' : ''
  state.owedBackslash = false
  return owed + flushHeld(state) + flushHeldDefinition(state)
}

/** The line ends in a `\` that is not itself escaped: a hard line break, if a line follows. */
function endsWithHardBreak(line: string): boolean {
  let slashes = 0
  while (line.charCodeAt(line.length - 1 - slashes) === BACKSLASH) slashes++
  return slashes % 2 === 1
}

/** A held `[label]:` line was not a definition after all: it is paragraph text. */
function flushHeldDefinition(state: BlockState): string {
  const held = state.heldDefinition
  if (held === undefined) return ''
  state.heldDefinition = undefined
  state.paragraph = true
  return text(state, inlineToText(held, '\n', undefined, undefined, state.definitions))
}

/** A line inside fenced code; `undefined` when the fence's blockquote ended instead. */
function fencedLine(state: BlockState, line: string, last: boolean): string | undefined {
  let pos = 0
  if (state.fenceQuote > 0) {
    const quote = stripQuotes(line, state.fenceQuote)
    if (quote.depth < state.fenceQuote) {
      state.fence = 0
      return undefined
    }
    pos = quote.pos
  }
  const lead = leading(line, pos)
  if (lead.columns <= state.fenceIndent + 3 && line.charCodeAt(lead.end) === state.fence) {
    let end = lead.end
    while (line.charCodeAt(end) === state.fence) end++
    if (end - lead.end >= state.fenceLength && isBlank(line, end)) {
      state.fence = 0
      return breakBlock(state)
    }
  }
  if (last && isPartialFence(line, lead.end, state.fence, state.fenceLength)) return ''
  return code(state, removeIndent(line, pos, state.fenceIndent))
}

/** Opens a fenced code block if the line has a fence at `at`. */
function openFence(
  state: BlockState,
  line: string,
  at: number,
  indent: number,
  quoteDepth: number
): boolean {
  const c = line.charCodeAt(at)
  if (c !== BACKTICK && c !== TILDE) return false
  let end = at + 1
  while (line.charCodeAt(end) === c) end++
  if (end - at < 3) return false
  // A backtick fence's info string cannot hold a backtick (that is inline code instead).
  if (c === BACKTICK && line.indexOf('`', end) !== -1) return false
  state.fence = c
  state.fenceLength = end - at
  state.fenceIndent = indent
  state.fenceQuote = quoteDepth
  state.paragraph = false
  return true
}

/**
 * The first characters of a fence line at the unfinished end of the input, not worth a flash of
 * raw markdown: one or two backticks or tildes alone, or inside fenced code a run of its fence
 * character shorter than the fence.
 */
function isPartialFence(line: string, at: number, fence: number, fenceLength = 3): boolean {
  const c = line.charCodeAt(at)
  if (c !== BACKTICK && c !== TILDE) return false
  if (fence !== 0 && c !== fence) return false
  let end = at + 1
  while (line.charCodeAt(end) === c) end++
  return end - at < fenceLength && isBlank(line, end)
}

function blankLine(state: BlockState): string {
  if (state.indentedCode) return code(state, '') // may be inside the block; trimmed if it ends
  const out = flushHeld(state) + flushHeldDefinition(state)
  state.definitionTitle = false
  state.paragraph = false
  state.afterBlank = true
  state.tableColumns = 0
  paragraphBreak(state)
  return out
}

/** A structural line (fence, heading, rule) or the end of a code block: separate like paragraphs. */
function breakBlock(state: BlockState): string {
  state.afterBlank = false
  paragraphBreak(state)
  return ''
}

function paragraphBreak(state: BlockState): void {
  if (state.started) state.pending = '\n\n'
}

/** Writes a line of text; whitespace around it is dropped, and an empty line writes nothing. */
function text(state: BlockState, value: string): string {
  return trimmedText(state, value.trim())
}

/**
 * {@link text} for a value already trimmed. Trimming reads the string, and for a long line's text
 * built by appending (a rope) any read copies all of it.
 */
function trimmedText(state: BlockState, trimmed: string): string {
  if (trimmed === '') return ''
  const out = state.started ? state.pending + trimmed : trimmed
  state.started = true
  state.pending = '\n'
  return out
}

/** Writes a line of code verbatim; its trailing whitespace waits until more text follows. */
function code(state: BlockState, value: string): string {
  let end = value.length
  while (end > 0 && isWhitespaceCode(value.charCodeAt(end - 1))) end--
  if (end === 0) {
    // Leading blank lines would be leading whitespace of the whole text.
    if (state.started) state.pending += `${value}\n`
    return ''
  }
  const out = state.started ? state.pending + value.slice(0, end) : value.slice(0, end)
  state.started = true
  state.pending = `${value.slice(end)}\n`
  return out
}

function flushHeld(state: BlockState): string {
  if (state.held === undefined) return ''
  state.held = undefined
  return text(state, state.heldText)
}

function isWhitespaceCode(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === 12 /* form feed */ || c === 11
}

function isBlank(line: string, from: number): boolean {
  for (let i = from; i < line.length; i++) if (!isSpaceOrTab(line.charCodeAt(i))) return false
  return true
}

/** Spaces and tabs from `pos`: where they end and how many columns they span (tab stops of 4). */
function leading(line: string, pos: number): { end: number; columns: number } {
  let columns = 0
  let i = pos
  for (;;) {
    const c = line.charCodeAt(i)
    if (c === SPACE) columns++
    else if (c === TAB) columns += 4 - (columns % 4)
    else break
    i++
  }
  return { end: i, columns }
}

/** The line from `pos` with up to `columns` columns of indentation removed (a split tab → spaces). */
function removeIndent(line: string, pos: number, columns: number): string {
  let removed = 0
  let i = pos
  while (removed < columns) {
    const c = line.charCodeAt(i)
    if (c === SPACE) removed++
    else if (c === TAB) removed += 4 - (removed % 4)
    else break
    i++
  }
  const rest = i === 0 ? line : line.slice(i)
  return removed > columns ? ' '.repeat(removed - columns) + rest : rest
}

/** Skips up to `max` blockquote markers (`>` and one optional space). */
function stripQuotes(line: string, max: number): { pos: number; depth: number } {
  let pos = 0
  let depth = 0
  while (depth < max) {
    const lead = leading(line, pos)
    if (lead.columns >= 4 || line.charCodeAt(lead.end) !== GT) break
    pos = lead.end + 1
    if (isSpaceOrTab(line.charCodeAt(pos))) pos++
    depth++
  }
  return { pos, depth }
}

/** Three or more `*`, `-` or `_` (the same one), spaces allowed, nothing else. */
function isThematicBreak(line: string, at: number): boolean {
  const c = line.charCodeAt(at)
  let count = 0
  for (let i = at; i < line.length; i++) {
    const d = line.charCodeAt(i)
    if (d === c) count++
    else if (!isSpaceOrTab(d)) return false
  }
  return count >= 3
}

function isSetextUnderline(line: string, at: number, c: number): boolean {
  let i = at
  while (line.charCodeAt(i) === c) i++
  return isBlank(line, i)
}

/** `# Heading #` → `Heading`, or `undefined` if the line is not an ATX heading. */
function atxHeading(line: string, at: number): string | undefined {
  let i = at
  while (line.charCodeAt(i) === HASH) i++
  const level = i - at
  if (level > 6 || (i < line.length && !isSpaceOrTab(line.charCodeAt(i)))) return undefined
  let end = line.length
  while (end > i && isSpaceOrTab(line.charCodeAt(end - 1))) end--
  // An optional closing run of `#`, which must follow a space (`# C#` keeps its `#`).
  let hashes = end
  while (hashes > i && line.charCodeAt(hashes - 1) === HASH) hashes--
  if (hashes < end && (hashes === i || isSpaceOrTab(line.charCodeAt(hashes - 1)))) end = hashes
  return line.slice(i, end)
}

interface ListItem {
  /** Where the item's text starts in the line. */
  contentStart: number
  /** Its column: continuation lines indented this far belong to the item. */
  contentIndent: number
  /** `1.` / `1)` for ordered items, kept in the text; `undefined` for bullets. */
  number: string | undefined
}

function listMarker(line: string, at: number, indent: number): ListItem | undefined {
  const c = line.charCodeAt(at)
  let end: number
  let number: string | undefined
  if (c === DASH || c === STAR || c === PLUS) {
    end = at + 1
  } else if (isAsciiDigit(c)) {
    end = at + 1
    while (end - at < 9 && isAsciiDigit(line.charCodeAt(end))) end++
    const d = line.charCodeAt(end)
    if (d !== DOT && d !== RPAREN) return undefined
    end++
    number = line.slice(at, end)
  } else {
    return undefined
  }
  if (end < line.length && !isSpaceOrTab(line.charCodeAt(end))) return undefined
  const gap = leading(line, end)
  const markerColumns = indent + (end - at)
  // More than four spaces after the marker: the item starts with indented code; we only care
  // that continuation lines line up one column after the marker.
  const contentIndent =
    gap.end === line.length || gap.columns > 4 ? markerColumns + 1 : markerColumns + gap.columns
  return { contentStart: gap.end, contentIndent, number }
}

/** {@link hasPipe}, not searching again the part of a growing line that had none. */
function hasPipeFrom(line: string, from: number, settled: SettledLine | undefined): boolean {
  if (settled === undefined) return hasPipe(line, from)
  const start = settled.pipeFrom === from ? Math.max(from, settled.pipeFreeUntil) : from
  if (hasPipe(line, start)) return true
  settled.pipeFrom = from
  settled.pipeFreeUntil = line.length
  return false
}

/** An unescaped `|` from `from` on. */
function hasPipe(line: string, from: number): boolean {
  let i = line.indexOf('|', from)
  while (i !== -1) {
    if (!isEscaped(line, i)) return true
    i = line.indexOf('|', i + 1)
  }
  return false
}

/** The `\` count before `i` is odd. */
function isEscaped(line: string, i: number): boolean {
  let slashes = 0
  while (i - slashes - 1 >= 0 && line.charCodeAt(i - slashes - 1) === BACKSLASH) slashes++
  return slashes % 2 === 1
}

/** A row's cells: split on unescaped `|`, without the optional outer pipes. */
function cells(row: string): string[] {
  const result: string[] = []
  let start = 0
  let i = row.indexOf('|')
  while (i !== -1) {
    if (!isEscaped(row, i)) {
      result.push(row.slice(start, i))
      start = i + 1
    }
    i = row.indexOf('|', i + 1)
  }
  result.push(row.slice(start))
  if (result.length > 1 && result[0]!.trim() === '') result.shift()
  if (result.length > 1 && result[result.length - 1]!.trim() === '') result.pop()
  return result
}

function cellCount(row: string): number {
  return cells(row).length
}

/** A table row as text: cells converted and separated by tabs. */
function tableRow(row: string): string {
  return cells(row)
    .map((cell) => inlineToText(cell.trim(), ' ').trim())
    .join('\t')
}

/** Number of cells if the line is a delimiter row (`| --- | :-: |`), else -1. */
function delimiterRowColumns(line: string, at: number): number {
  // Cheap rejection first: the line may only hold `|`, `-`, `:` and spaces.
  let dashes = 0
  for (let i = at; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === DASH) dashes++
    else if (c !== PIPE && c !== COLON && !isSpaceOrTab(c)) return -1
  }
  if (dashes === 0) return -1
  const row = cells(line.slice(at))
  for (const cell of row) {
    const t = cell.trim()
    let i = 0
    if (t.charCodeAt(i) === COLON) i++
    const dashStart = i
    while (t.charCodeAt(i) === DASH) i++
    if (i === dashStart) return -1
    if (t.charCodeAt(i) === COLON) i++
    if (i !== t.length) return -1
  }
  return row.length
}
