/**
 * The settled start of a long unfinished line, for the streaming converter: converted once and
 * then only appended to, so a line that grows by a few characters an event costs what was added,
 * not its whole length again on every event.
 *
 * A start is settled when it ends in a space or tab and nothing in it is still open (see
 * `InlineReport.settled`): converting the whole line then reads as the start's text followed by the
 * rest converted on its own, whatever the rest is. The start is checked by converting it alone,
 * and the check waits for the unsettled part to double after a failure, so a line whose markup
 * stays open (a `[` never closed) costs O(length) per event as before, but the checks stay linear.
 */
import { inlineToText, lineBudget, type InlineReport } from './inline.js'
import type { Definitions } from './link-definitions.js'

/** Unsettled characters a line may hold before the converter tries to settle more of it. */
const SETTLE_AFTER = 64

/** One unfinished line's settled start; owned by the streaming converter, one per reply. */
export interface SettledLine {
  /** Which content of which line it is (where the content starts, and its kind); -1 for none. */
  key: number
  /** Content characters settled. */
  at: number
  /** Their text without its trailing whitespace (nor leading whitespace, if that is trimmed). */
  core: string
  /** The whitespace that ended their text: owed if more text follows. */
  trail: string
  budgetUsed: number
  /** Unsettled length at the last failed check; the next waits until it has doubled. */
  failedSpan: number
  /** Characters converted since the converter last cleared it, for its cost counter. */
  scanned: number
  /** The last conversion of the line went through {@link convertGrowingLine}. */
  used: boolean
  /** The line holds no unescaped `|` in `[pipeFrom, pipeFreeUntil)`: not searched again. */
  pipeFrom: number
  pipeFreeUntil: number
}

export function newSettledLine(): SettledLine {
  return { key: -1, at: 0, core: '', trail: '', budgetUsed: 0, failedSpan: 0, scanned: 0, used: false, pipeFrom: -1, pipeFreeUntil: 0 }
}

/** Forgets the line (a new line started, or the input was replaced). */
export function resetSettledLine(line: SettledLine): void {
  line.key = -1
  line.at = 0
  line.core = ''
  line.trail = ''
  line.budgetUsed = 0
  line.failedSpan = 0
  line.pipeFrom = -1
  line.pipeFreeUntil = 0
}

/** The text of a line's content, trimmed as a line of text is written, and the whitespace after it. */
export interface GrownText {
  /** Trimmed at the end, and at the start when `trimStart`. */
  value: string
  trailing: string
}

const check: InlineReport = { extendable: false, settled: false, budgetUsed: 0 }

/**
 * Converts `content` (the inline part of the unfinished line) as `inlineToText` would, reading
 * only what follows its settled start, and settles more of it when it can.
 *
 * @param key - identifies the content (its start in the line and its kind); a new key starts over
 * @param report - receives the inline report of the whole content
 * @param trimStart - leading whitespace of the text is dropped (it is not after a list number)
 * @param definitions - link labels defined before the line
 */
export function convertGrowingLine(
  line: SettledLine,
  key: number,
  content: string,
  report: InlineReport,
  trimStart: boolean,
  definitions: Definitions
): GrownText {
  line.used = true
  if (line.key !== key) {
    resetSettledLine(line)
    line.key = key
  } else {
    settleMore(line, content, trimStart, definitions)
  }
  const rest = line.at === 0 ? content : content.slice(line.at)
  const text = inlineToText(rest, '\n', report, lineBudget(content.length) - line.budgetUsed, definitions)
  line.scanned += rest.length
  const visible = text.trimEnd()
  if (visible === '') return { value: line.core, trailing: line.trail + text }
  const value = line.core === '' && trimStart ? visible.trimStart() : line.core + line.trail + visible
  return { value, trailing: text.slice(visible.length) }
}

function settleMore(line: SettledLine, content: string, trimStart: boolean, definitions: Definitions): void {
  const unsettled = content.length - line.at
  if (unsettled < SETTLE_AFTER || unsettled < 2 * line.failedSpan) return
  let end = content.length
  while (end > line.at && !isSpaceOrTabCode(content.charCodeAt(end - 1))) end--
  if (end === line.at) {
    line.failedSpan = unsettled
    return
  }
  const start = content.slice(line.at, end)
  const text = inlineToText(start, '\n', check, lineBudget(content.length) - line.budgetUsed, definitions)
  line.scanned += start.length
  if (!check.settled) {
    line.failedSpan = unsettled
    return
  }
  line.at = end
  line.budgetUsed += check.budgetUsed
  line.failedSpan = 0
  const visible = text.trimEnd()
  if (visible === '') {
    line.trail += text
    return
  }
  line.core = line.core === '' && trimStart ? visible.trimStart() : line.core + line.trail + visible
  line.trail = text.slice(visible.length)
}

function isSpaceOrTabCode(c: number): boolean {
  return c === 32 || c === 9
}
