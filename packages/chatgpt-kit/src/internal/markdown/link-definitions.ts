/**
 * Link reference definitions (`[label]: destination "title"`): recognising them, so that they
 * print nothing, and the label form references are matched by.
 */
import { BACKSLASH, COLON, GT, LBRACKET, LPAREN, LT, RBRACKET, RPAREN, SPACE, isAsciiPunctuation, isSpaceOrTab } from './chars.js'

/** The labels defined so far, normalised ({@link normalizeLabel}). */
export type Definitions = ReadonlySet<string>

/** How references match labels: case-insensitive, inner whitespace collapsed, trimmed. */
export function normalizeLabel(label: string): string {
  return label.trim().replace(/[ \t\r\n]+/g, ' ').toLowerCase().toUpperCase()
}

/** What {@link parseDefinition} found at the start of a line. */
export interface DefinitionLine {
  label: string
  /** Only `[label]:` so far: the destination may be on the next line. */
  needsDestination: boolean
  /** A destination without a title: the next line may be the title. */
  mayTakeTitle: boolean
}

/**
 * A definition starting at `at` (the `[`) and ending with the line, or `undefined`. Labels, and
 * titles, on one line only.
 */
export function parseDefinition(line: string, at: number): DefinitionLine | undefined {
  let i = at + 1
  const limit = Math.min(line.length, at + 1001)
  while (i < limit) {
    const c = line.charCodeAt(i)
    if (c === RBRACKET) break
    if (c === LBRACKET) return undefined
    i += c === BACKSLASH ? 2 : 1
  }
  if (i >= limit || line.charCodeAt(i + 1) !== COLON) return undefined
  const label = line.slice(at + 1, i)
  if (label.trim() === '') return undefined
  const destination = skipSpaces(line, i + 2)
  if (destination >= line.length) return { label, needsDestination: true, mayTakeTitle: false }
  const afterDestination = destinationEnd(line, destination)
  if (afterDestination === -1) return undefined
  const title = skipSpaces(line, afterDestination)
  if (title >= line.length) return { label, needsDestination: false, mayTakeTitle: true }
  // A title must be set apart from the destination, and be all that follows it.
  if (title === afterDestination || titleEnd(line, title) !== line.length) return undefined
  return { label, needsDestination: false, mayTakeTitle: false }
}

/** A line that is a definition's destination (and title), the `[label]:` being the line before. */
export function isDestinationLine(line: string, at: number): { mayTakeTitle: boolean } | undefined {
  const end = destinationEnd(line, at)
  if (end === -1) return undefined
  const title = skipSpaces(line, end)
  if (title >= line.length) return { mayTakeTitle: true }
  if (title === end || titleEnd(line, title) !== line.length) return undefined
  return { mayTakeTitle: false }
}

/** A line that is only a title (`"…"`, `'…'` or `(…)`), for the definition on the line before. */
export function isTitleLine(line: string, at: number): boolean {
  return titleEnd(line, at) === line.length
}

function destinationEnd(line: string, at: number): number {
  if (line.charCodeAt(at) === LT) {
    for (let p = at + 1; p < line.length; p++) {
      const c = line.charCodeAt(p)
      if (c === GT) return p + 1
      if (c === LT) return -1
      if (c === BACKSLASH) p++
    }
    return -1
  }
  let depth = 0
  let p = at
  for (; p < line.length; p++) {
    const c = line.charCodeAt(p)
    if (c <= SPACE) break
    if (c === BACKSLASH && isAsciiPunctuation(line.charCodeAt(p + 1))) p++
    else if (c === LPAREN) depth++
    else if (c === RPAREN && --depth < 0) return -1
  }
  return p === at || depth !== 0 ? -1 : p
}

/** The end of a title and the spaces after it, or -1. */
function titleEnd(line: string, at: number): number {
  const open = line.charCodeAt(at)
  const close = open === LPAREN ? RPAREN : open
  if (open !== 34 /* " */ && open !== 39 /* ' */ && open !== LPAREN) return -1
  for (let p = at + 1; p < line.length; p++) {
    const c = line.charCodeAt(p)
    if (c === BACKSLASH) {
      p++
      continue
    }
    if (c === close) return skipSpaces(line, p + 1)
    if (open === LPAREN && c === LPAREN) return -1
  }
  return -1
}

function skipSpaces(line: string, p: number): number {
  while (p < line.length && isSpaceOrTab(line.charCodeAt(p))) p++
  return p
}
