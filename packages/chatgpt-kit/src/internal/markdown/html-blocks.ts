/**
 * HTML blocks (CommonMark §4.6): lines that start with HTML are HTML until the block's end
 * condition, with no markdown inside. Plain text keeps what a browser would show of them: the
 * text between the tags, entities decoded.
 */
import { decodeEntity } from './entities.js'

/** Kind 1–7 of the HTML block a line starts at `at`, or 0. */
export function htmlBlockStart(line: string, at: number, inParagraph: boolean): number {
  if (line.charCodeAt(at) !== 60 /* < */) return 0
  const rest = line.slice(at, at + 12).toLowerCase()
  if (/^<(script|pre|style|textarea)(\s|>|$)/.test(rest)) return 1
  if (rest.startsWith('<!--')) return 2
  if (rest.startsWith('<?')) return 3
  if (/^<![a-z]/.test(rest)) return 4
  if (rest.startsWith('<![cdata[')) return 5
  const tag = /^<\/?([a-z][a-z0-9-]*)(\s|\/?>|$)/i.exec(line.slice(at, at + 40))
  if (tag && BLOCK_TAGS.has(tag[1]!.toLowerCase())) return 6
  // Any other complete tag alone on its line, except that it cannot interrupt a paragraph.
  if (!inParagraph && COMPLETE_TAG_LINE.test(line.slice(at))) return 7
  return 0
}

/** Whether the block of `kind` ends with this line (kinds 6 and 7 end at a blank line instead). */
export function htmlBlockEnds(kind: number, line: string): boolean {
  switch (kind) {
    case 1:
      return /<\/(script|pre|style|textarea)>/i.test(line)
    case 2:
      return line.includes('-->')
    case 3:
      return line.includes('?>')
    case 4:
      return line.includes('>')
    case 5:
      return line.includes(']]>')
    default:
      return false
  }
}

/**
 * The visible text of one line of HTML. `open` is the end of a tag or comment left open by the
 * line before (`>`, `-->`, …), `''` if none; returns the text and what this line leaves open.
 */
export function visibleHtml(line: string, open: string): { text: string; open: string } {
  let text = ''
  let i = 0
  if (open !== '') {
    const end = line.indexOf(open)
    if (end === -1) return { text: '', open }
    i = end + open.length
  }
  for (;;) {
    const lt = line.indexOf('<', i)
    const chunk = lt === -1 ? line.slice(i) : line.slice(i, lt)
    text += chunk.includes('&') ? chunk.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z][a-zA-Z0-9]{0,31});/g, (whole, name: string) => decodeEntity(name) ?? whole) : chunk
    if (lt === -1) return { text, open: '' }
    const close = constructClose(line, lt)
    if (close === undefined) {
      text += '<'
      i = lt + 1
      continue
    }
    const end = line.indexOf(close, lt + 1)
    if (end === -1) return { text, open: close }
    i = end + close.length
  }
}

/** What ends the construct starting with `<` at `at`: `-->` for a comment, `>` for a tag, … */
function constructClose(line: string, at: number): string | undefined {
  if (line.startsWith('<!--', at)) return '-->'
  if (line.startsWith('<![CDATA[', at)) return ']]>'
  if (line.startsWith('<?', at)) return '?>'
  const next = line.charCodeAt(at + 1)
  const letter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  if (next === 33 /* ! */ && letter(line.charCodeAt(at + 2))) return '>'
  if (letter(next) || (next === 47 /* / */ && letter(line.charCodeAt(at + 2)))) return '>'
  return undefined
}

const ATTRIBUTE = String.raw`(?:\s+[a-zA-Z_:][a-zA-Z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>\x60]+|'[^']*'|"[^"]*"))?)`
const COMPLETE_TAG_LINE = new RegExp(String.raw`^(?:<[a-zA-Z][a-zA-Z0-9-]*${ATTRIBUTE}*\s*\/?>|<\/[a-zA-Z][a-zA-Z0-9-]*\s*>)[ \t]*$`)

const BLOCK_TAGS = new Set(
  (
    'address article aside base basefont blockquote body caption center col colgroup dd details dialog dir div dl dt ' +
    'fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html iframe legend li ' +
    'link main menu menuitem nav noframes ol optgroup option p param search section summary table tbody td tfoot th ' +
    'thead title tr track ul'
  ).split(' ')
)
