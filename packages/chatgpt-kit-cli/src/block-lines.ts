/**
 * Pure tests on one source line for the terminal renderer's block structure: each reads the line
 * as `markdownToText` reads it (see `src/internal/markdown/blocks.ts`), so the renderer shows the
 * same words. Each also works on a line still growing, as the renderer's streaming needs.
 */
import { parseDefinition } from 'chatgpt-kit/internal'

/**
 * Where an ATX heading's content ends: before trailing spaces and a closing `#` run (one that
 * follows a space, or is all there is: `# C#` keeps its `#`), as `markdownToText` reads it. Used on
 * a growing line too: what it cuts off could only ever be cut off or followed by more text, so each
 * update's content is a start of the next one's and nothing printed is taken back.
 */
export function headingEnd(line: string, contentStart: number): number {
  let end = trimEnd(line, contentStart, line.length)
  let hashes = end
  while (hashes > contentStart && line.charCodeAt(hashes - 1) === 35 /* # */) hashes--
  if (hashes < end && (hashes === contentStart || isSpaceOrTab(line.charCodeAt(hashes - 1)))) {
    end = trimEnd(line, contentStart, hashes)
  }
  return end
}

/** Three or more of one of `*`, `-`, `_`, with spaces or tabs between: a rule. */
export function isThematicBreak(rest: string): boolean {
  return isThematicBreakStart(rest) && rest.replace(/[ \t]/g, '').length >= 3
}

/** One of `*`, `-`, `_` repeated, with spaces or tabs between: a rule so far, or the start of one. */
export function isThematicBreakStart(rest: string): boolean {
  return /^([-*_])(?:[ \t]*\1)*[ \t]*$/.test(rest)
}

/**
 * The blockquote markers a line starts with: each `>` with up to three spaces before it and one
 * space or tab after it, at most `max` of them. Returns how many, and where what follows starts.
 */
export function quoteMarkers(line: string, max = Infinity): { depth: number; end: number } {
  let end = 0
  let depth = 0
  while (depth < max) {
    let p = end
    while (p < line.length && p - end < 4 && isSpaceOrTab(line.charCodeAt(p))) p++
    if (p - end >= 4 || line.charCodeAt(p) !== 62 /* > */) break
    end = p + 1
    if (isSpaceOrTab(line.charCodeAt(end))) end++
    depth++
  }
  return { depth, end }
}

/**
 * A whole line that is a link definition, `[label]: destination "title"`, which `markdownToText`
 * drops, or `undefined`; `mayTakeTitle` when the next line may be its title. (A definition whose
 * destination is on the next line is not recognised here.)
 */
export function definitionLine(line: string): { mayTakeTitle: boolean } | undefined {
  const definition = parseDefinition(line, 0)
  return definition === undefined || definition.needsDestination ? undefined : definition
}

/**
 * Whether a line still growing, which starts with `"`, `'` or `(`, may turn out a definition's
 * title: the title is not closed yet, or only spaces follow it.
 */
export function mayBeTitleLine(line: string): boolean {
  const open = line.charCodeAt(0)
  const close = open === 40 /* ( */ ? 41 : open
  for (let p = 1; p < line.length; p++) {
    const c = line.charCodeAt(p)
    if (c === 92 /* \ */) p++
    else if (c === close) return /^[ \t]*$/.test(line.slice(p + 1))
    else if (open === 40 && c === 40) return false
  }
  return true
}

/**
 * Whether a line still growing may turn out a link definition: its label has not failed yet (no
 * `[` in it, at most 999 characters, not blank, and `]` followed by `:`). Past the `:` anything may
 * follow, so such a line waits for its end; prose rarely starts `[x]:`.
 */
export function mayBeDefinition(line: string): boolean {
  let i = 1
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 93 /* ] */) break
    if (c === 91 /* [ */ || i > 999) return false
    if (c === 92 /* \ */) i++
  }
  if (i >= line.length) return true
  if (line.slice(1, i).trim() === '') return false
  return i + 1 === line.length || line.charCodeAt(i + 1) === 58 /* : */
}

/** The columns a line's leading spaces and tabs take (a tab goes to the next multiple of four). */
export function indentColumns(indent: string): number {
  let columns = 0
  for (let i = 0; i < indent.length; i++) columns = indent.charCodeAt(i) === 9 ? columns + 4 - (columns % 4) : columns + 1
  return columns
}

/**
 * Where a line is once `columns` columns of its indentation are passed (a multiple of four, so a
 * tab never straddles it).
 */
export function columnEnd(line: string, columns: number): number {
  let seen = 0
  let i = 0
  while (seen < columns && i < line.length) {
    seen = line.charCodeAt(i) === 9 ? seen + 4 - (seen % 4) : seen + 1
    i++
  }
  return i
}

/**
 * A list item's content column, or -1 if the line (from its marker, `columns` in) is no item:
 * after the marker's spaces, or one column after the marker when there are none or more than
 * four (the item then starts with indented code), as `markdownToText` reads it.
 */
export function listItemIndent(rest: string, columns: number): number {
  const item = /^([-*+]|\d{1,9}[.)])( *)(?=[^ ]|$)/.exec(rest)
  if (!item || (item[2] === '' && item[0].length < rest.length)) return -1
  const marker = columns + item[1].length
  const gap = item[2].length
  return item[0].length === rest.length || gap > 4 ? marker + 1 : marker + gap
}

function trimEnd(line: string, from: number, end: number): number {
  while (end > from && isSpaceOrTab(line.charCodeAt(end - 1))) end--
  return end
}

function isSpaceOrTab(c: number): boolean {
  return c === 32 || c === 9
}
