/**
 * Inline markdown → plain text, for one line: code spans, emphasis, links, images, autolinks,
 * HTML tags, escapes and entities, after CommonMark's inline algorithm (delimiter list and
 * bracket stack), keeping only the text.
 *
 * Linear in the line's length: every forward scan that could be repeated (link destinations,
 * titles, HTML attributes) draws on one budget proportional to the line, and the others are
 * cached or bounded, so hostile input degrades to literal text instead of quadratic time.
 */
import {
  AMP,
  APOS,
  BACKSLASH,
  BACKTICK,
  BANG,
  COLON,
  DASH,
  DOT,
  EQUALS,
  GT,
  HASH,
  LBRACKET,
  LPAREN,
  LT,
  PLUS,
  QUESTION,
  QUOTE,
  RBRACKET,
  RPAREN,
  SLASH,
  SPACE,
  STAR,
  TAB,
  TILDE,
  UNDERSCORE,
  isAsciiAlphanumeric,
  isAsciiDigit,
  isAsciiLetter,
  isAsciiPunctuation,
  isPunctuation,
  isUnicodeWhitespace
} from './chars.js'
import { ENTITIES } from './entities.js'
import { normalizeLabel, type Definitions } from './link-definitions.js'

/** Characters that may start an inline construct; everything else is copied as is. */
const SPECIAL = new Uint8Array(128)
for (const ch of '\\`*_~[]!<&') SPECIAL[ch.charCodeAt(0)] = 1


/**
 * CommonMark's delimiter list: runs of `*`, `_` or `~~` that may open or close emphasis, as a
 * doubly linked list in one Int32Array (a line of a million `*a` would otherwise be a million
 * objects for the garbage collector). Fields of delimiter `k` start at `k * STRIDE`:
 */
const PART = 0 // index in `parts` where its remaining characters are printed
const CH = 1 // the character
const LENGTH = 2 // length of the whole run, for the "rule of 3"
const REMAINING = 3 // characters not used by a match; printed
const FLAGS = 4 // CAN_OPEN | CAN_CLOSE
const PREV = 5
const NEXT = 6
const STRIDE = 8 // slot 7 unused: a power of two keeps the index arithmetic cheap
const CAN_OPEN = 1
const CAN_CLOSE = 2
/**
 * The delimiter list's storage, shared by all scans (a scan runs start to end synchronously and
 * never nests): allocating it per line costs more than converting a short line. Kept only while
 * small, so one huge line does not pin its memory.
 */
const SHARED_SIZE = 256 * STRIDE
let shared = new Int32Array(SHARED_SIZE)
/** Scratch for processEmphasis (never re-entered): per closer kind (char × can open × length % 3). */
const OPENERS_BOTTOM = new Int32Array(18)

/** A `[` or `![` waiting for its `]`. */
interface Bracket {
  part: number
  /** Where its text starts in the source (after `[` or `![`). */
  start: number
  image: boolean
  /** Delimiters from this index on are inside the brackets. */
  bottom: number
}

/** Filled in by {@link inlineToText} for the streaming converter. */
export interface InlineReport {
  /**
   * Appending text that {@link isPlainAppend} accepts to this line would append exactly that text
   * to the result: nothing at the end is still open or was read up to the end of the line.
   */
  extendable: boolean
  /**
   * Nothing in the line is still open: no emphasis opener, bracket or code span waiting for its
   * closer, no construct that more text could complete, and the look-ahead budget never ran out.
   * For a line ending in a space or tab this means: whatever follows, converting the whole reads
   * this line's text first, then the rest converted on its own (see {@link inlineToText}'s
   * `budget`). The streaming converter uses it to stop re-reading the settled start of a long line.
   */
  settled: boolean
  /** Look-ahead budget the conversion used; what a continuation's `budget` must leave out. */
  budgetUsed: number
}

/** The look-ahead budget of a line of `length` characters: what keeps hostile lines linear. */
export function lineBudget(length: number): number {
  return 3 * length + 64
}

/**
 * Converts one line of inline markdown to plain text.
 *
 * @param source - the line, without its line ending
 * @param lineBreak - what `<br>` becomes (a newline in paragraphs, a space in table cells)
 * @param report - receives whether the line can be extended without converting it again
 * @param budget - look-ahead budget (see {@link lineBudget}); a line converted as the rest after
 *   a settled start passes what converting the whole line would have left, so the two agree
 * @param definitions - labels defined so far: a bare `[label]` naming one is a link
 */
export function inlineToText(
  source: string,
  lineBreak: string,
  report?: InlineReport,
  budget = lineBudget(source.length),
  definitions?: Definitions
): string {
  // Most lines of prose have nothing to strip; one pass to find out is cheaper than parsing.
  let i = 0
  const n = source.length
  while (i < n) {
    const c = source.charCodeAt(i)
    if (c < 128 && SPECIAL[c] === 1) break
    i++
  }
  if (i === n) {
    if (report) {
      report.extendable = true
      report.settled = true
      report.budgetUsed = 0
    }
    return source
  }
  const scanner = new InlineScanner(source, lineBreak, budget, definitions)
  const text = scanner.run(i)
  if (report) {
    // A special character last may still be completed (`*` + `a` flanks differently, `\` escapes).
    const last = source.charCodeAt(n - 1)
    report.extendable = !scanner.fragile && !(last < 128 && SPECIAL[last] === 1)
    report.settled = scanner.settled()
    report.budgetUsed = budget - scanner.budgetLeft
  }
  return text
}

/**
 * Text that can be appended to an extendable line (see {@link InlineReport}) without changing how
 * the line before it converts: no character that could open or close an inline construct, and
 * no `|` (which can make a line a table row).
 */
export function isPlainAppend(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 128 && (SPECIAL[c] === 1 || c === 124 /* | */ || c === 10 /* \n */)) return false
  }
  return true
}

/**
 * A styled run recorded while scanning, by index into the scanner's `parts` (see
 * `inline-spans.ts`, which turns them into character offsets of the text).
 */
export interface PartSpan {
  /** First part of the styled content. */
  from: number
  /** Part after the styled content. */
  to: number
  /** The part where the construct's opening marker printed (or would print, unmatched). */
  open: number
  style: 'strong' | 'em' | 'strike' | 'code' | 'link' | 'image'
  /** A link's destination, when the line itself names it. */
  href?: string
}

/**
 * One line's scan. Exported for `inline-spans.ts` only: {@link inlineToText} is the entry point
 * for text, and records nothing it does not need (the span bookkeeping below stays off).
 */
export class InlineScanner {
  /** The converted text, in pieces; `run` joins them. */
  readonly parts: string[] = []
  /**
   * When set (by `inline-spans.ts`), receives every styled run, and `undecided` tracks the first
   * part that more text on the line could still change. Off on the plain-text path.
   */
  spans: PartSpan[] | undefined
  /** First part a fragile or unclosed construct starts at (only while `spans` is set). */
  undecided = Number.MAX_SAFE_INTEGER
  /** Where the last `linkTail` found the destination: `[destinationFrom, destinationTo)`. */
  private destinationFrom = 0
  private destinationTo = 0
  /** The delimiter list (see STRIDE); `count` delimiters are stored. */
  private d = shared
  private count = 0
  private readonly brackets: Bracket[] = []
  /**
   * `[` below this stack index can no longer open a link (a link closed after them, and links do
   * not nest). One index instead of a flag on each: marking them all per link is quadratic.
   */
  private inactiveBelow = 0
  /** Last delimiter still in the list, -1 when empty. */
  private last = -1
  /** Characters the look-ahead scans may still read; keeps the line linear. */
  private budget: number
  /** A code span opener found no closer: a later run of its length would close it. */
  private unclosedCode = false
  /** Backtick runs by length, built on the first backtick: code span closers in O(1). */
  private runs: Map<number, number[]> | undefined
  private runCursor: Map<number, number> | undefined
  private findCache: Map<string, { from: number; at: number }> | undefined
  /**
   * A construct was tried and failed (a `]` not followed by a destination, a `<` or `&` that is
   * not a tag or entity): more text on the line, even plain, could make it succeed.
   */
  fragile = false

  constructor(
    private readonly src: string,
    private readonly lineBreak: string,
    budget: number,
    private readonly definitions: Definitions | undefined
  ) {
    this.budget = budget
  }

  get budgetLeft(): number {
    return this.budget
  }

  /** See {@link InlineReport.settled}; call after {@link InlineScanner.run}. */
  settled(): boolean {
    if (this.fragile || this.unclosedCode || this.budget < 0 || this.brackets.length > 0) return false
    // A `[` after the last `]` was read as text, but a `]` still to come would make it a bracket.
    if (this.src.indexOf('[', this.src.lastIndexOf(']') + 1) !== -1) return false
    const d = this.d
    for (let j = this.last; j !== -1; j = d[j * STRIDE + PREV]!) {
      if (d[j * STRIDE + REMAINING]! > 0 && (d[j * STRIDE + FLAGS]! & CAN_OPEN) !== 0) return false
    }
    return true
  }

  run(start: number): string {
    const s = this.src
    const n = s.length
    let textStart = 0
    let i = start
    // After the last `]` no `[` can become a link: plain text, like a `!` before no `[`. A line
    // still growing may get its `]` later: recording spans, every `[` is kept as a bracket.
    const lastClose = this.spans === undefined ? s.lastIndexOf(']') : n
    while (i < n) {
      const c = s.charCodeAt(i)
      if (
        c >= 128 ||
        SPECIAL[c] === 0 ||
        (c === LBRACKET && i > lastClose) ||
        (c === BANG && (s.charCodeAt(i + 1) !== LBRACKET || i > lastClose)) ||
        (c === RBRACKET && this.brackets.length === 0)
      ) {
        i++
        continue
      }
      if (textStart < i) this.parts.push(s.slice(textStart, i))
      if (this.spans !== undefined) this.lastSpecialPart = this.parts.length
      i = this.special(c, i)
      textStart = i
    }
    if (this.spans !== undefined && n > 0 && isSpecial(s.charCodeAt(n - 1))) {
      // A special character last may still be completed (`*` + `a` flanks differently, `\`
      // escapes, `!` + `[` opens an image): what it belongs to is not decided yet.
      if (textStart < n) {
        if (textStart < n - 1) this.parts.push(s.slice(textStart, n - 1))
        this.lastSpecialPart = this.parts.length
        this.parts.push(s.slice(n - 1))
        textStart = n
      }
      this.markUndecided(this.lastSpecialPart)
    }
    if (textStart < n) this.parts.push(s.slice(textStart))
    this.processEmphasis(0)
    const d = this.d
    for (let k = 0; k < this.count * STRIDE; k += STRIDE) {
      const remaining = d[k + REMAINING]!
      if (remaining > 0) this.parts[d[k + PART]!] = String.fromCharCode(d[k + CH]!).repeat(remaining)
    }
    return this.parts.join('')
  }

  /** Part index where the last construct handled by `special` began (spans only). */
  private lastSpecialPart = 0

  /** Notes that more text could change the line from `part` on (spans only). */
  private markUndecided(part: number): void {
    if (part < this.undecided) this.undecided = part
  }

  /** Handles the construct starting at `i`; pushes its text and returns where scanning resumes. */
  private special(c: number, i: number): number {
    const s = this.src
    switch (c) {
      case BACKSLASH: {
        if (i + 1 === s.length) return i + 1 // hard line break: the line ends here anyway
        if (isAsciiPunctuation(s.charCodeAt(i + 1))) {
          this.parts.push(s[i + 1]!)
          return i + 2
        }
        this.parts.push('\\')
        return i + 1
      }
      case BACKTICK:
        return this.codeSpan(i)
      case STAR:
      case UNDERSCORE:
      case TILDE:
        return this.delimiterRun(c, i)
      case BANG:
        if (s.charCodeAt(i + 1) === LBRACKET) {
          this.pushBracket('![', true, i + 2)
          return i + 2
        }
        this.parts.push('!')
        return i + 1
      case LBRACKET:
        this.pushBracket('[', false, i + 1)
        return i + 1
      case RBRACKET:
        return this.closeBracket(i)
      case LT:
        return this.angle(i)
      case AMP:
        return this.entity(i)
      default:
        this.parts.push(s[i]!)
        return i + 1
    }
  }

  private codeSpan(i: number): number {
    const s = this.src
    let end = i
    while (s.charCodeAt(end) === BACKTICK) end++
    const length = end - i
    const closer = this.codeCloser(i, length)
    if (closer === -1) {
      this.unclosedCode = true
      if (this.spans !== undefined) this.markUndecided(this.parts.length)
      this.parts.push(s.slice(i, end))
      return end
    }
    let content = s.slice(end, closer)
    // CommonMark strips one space each side so `` ` `` can show a lone backtick.
    if (
      content.length >= 2 &&
      content.charCodeAt(0) === SPACE &&
      content.charCodeAt(content.length - 1) === SPACE &&
      content.trim() !== ''
    ) {
      content = content.slice(1, -1)
    }
    const part = this.parts.length
    this.spans?.push({ from: part, to: part + 1, open: part, style: 'code' })
    this.parts.push(content)
    return closer + length
  }

  /** Start of the next backtick run of exactly `length` after `i`, or -1. */
  private codeCloser(i: number, length: number): number {
    if (this.runs === undefined) {
      // One pass over the line records every run, so a line of unmatched runs stays linear.
      const runs = new Map<number, number[]>()
      const s = this.src
      let p = s.indexOf('`')
      while (p !== -1) {
        let q = p + 1
        while (s.charCodeAt(q) === BACKTICK) q++
        const list = runs.get(q - p)
        if (list === undefined) runs.set(q - p, [p])
        else list.push(p)
        p = s.indexOf('`', q)
      }
      this.runs = runs
    }
    const list = this.runs.get(length)
    if (list === undefined) return -1
    // Openers are met left to right, so each length's cursor only moves forward.
    this.runCursor ??= new Map()
    let cursor = this.runCursor.get(length) ?? 0
    while (cursor < list.length && list[cursor]! <= i) cursor++
    this.runCursor.set(length, cursor)
    return cursor < list.length ? list[cursor]! : -1
  }

  private delimiterRun(c: number, i: number): number {
    const s = this.src
    let end = i + 1
    while (s.charCodeAt(end) === c) end++
    const length = end - i
    // Only `~~` strikes through: a lone `~` is "about" in chat text far more often.
    if (c === TILDE && length !== 2) {
      this.parts.push(s.slice(i, end))
      return end
    }
    const before = i === 0 ? SPACE : codePointBefore(s, i)
    const after = end === s.length ? SPACE : s.codePointAt(end)!
    const beforeSpace = isUnicodeWhitespace(before)
    const afterSpace = isUnicodeWhitespace(after)
    const beforePunct = isPunctuation(before)
    const afterPunct = isPunctuation(after)
    const leftFlanking = !afterSpace && (!afterPunct || beforeSpace || beforePunct)
    const rightFlanking = !beforeSpace && (!beforePunct || afterSpace || afterPunct)
    let canOpen = leftFlanking
    let canClose = rightFlanking
    if (c === UNDERSCORE) {
      // Intraword `_` is literal: snake_case stays snake_case.
      canOpen = leftFlanking && (!rightFlanking || beforePunct)
      canClose = rightFlanking && (!leftFlanking || afterPunct)
    }
    if (!canOpen && !canClose) {
      // `2 * 3`: can never match, so it is plain text.
      this.parts.push(s.slice(i, end))
      return end
    }
    const index = this.count++
    if (this.count * STRIDE > this.d.length) {
      const grown = new Int32Array(this.d.length * 2)
      grown.set(this.d)
      this.d = grown
      if (grown.length <= 64 * SHARED_SIZE) shared = grown
    }
    const d = this.d
    const k = index * STRIDE
    d[k + PART] = this.parts.length
    d[k + CH] = c
    d[k + LENGTH] = length
    d[k + REMAINING] = length
    d[k + FLAGS] = (canOpen ? CAN_OPEN : 0) | (canClose ? CAN_CLOSE : 0)
    d[k + PREV] = this.last
    d[k + NEXT] = -1
    if (this.last !== -1) d[this.last * STRIDE + NEXT] = index
    this.last = index
    this.parts.push('') // filled in at the end with what matching left of the run
    return end
  }

  private pushBracket(text: string, image: boolean, start: number): void {
    this.brackets.push({ part: this.parts.length, start, image, bottom: this.count })
    this.parts.push(text)
  }

  private closeBracket(i: number): number {
    const opener = this.brackets.pop()
    const depth = this.brackets.length
    const active = opener !== undefined && (opener.image || depth >= this.inactiveBelow)
    if (this.inactiveBelow > depth) this.inactiveBelow = depth
    if (opener === undefined || !active) {
      this.parts.push(']')
      return i + 1
    }
    const s = this.src
    let end = -1
    const next = s.charCodeAt(i + 1)
    if (next === LPAREN) end = this.linkTail(i + 1)
    // `[text][ref]` and `[text][]`: definitions may come later in the reply, so any reference
    // counts; a bare `[text]` stays literal because it is usually just brackets.
    else if (next === LBRACKET) end = this.linkLabel(i + 1)
    // A bare `[label]` is a link when a definition before it names that label.
    if (end === -1 && this.definitions?.has(normalizeLabel(s.slice(opener.start, i)))) {
      end = i + 1
      // A `(` still to come would make it an inline link, whose destination is not shown.
      if (end >= s.length) this.markFragile(opener.part)
    }
    if (end === -1) {
      // Only `(` or `[` right after `]` can make a link: `] ` stays text whatever follows.
      if (next === LPAREN || next === LBRACKET || i + 1 >= s.length) this.markFragile(opener.part)
      this.parts.push(']')
      return i + 1
    }
    this.parts[opener.part] = ''
    if (this.spans !== undefined) {
      const href = next === LPAREN ? unescapeDestination(s.slice(this.destinationFrom, this.destinationTo)) : undefined
      const style = opener.image ? 'image' : 'link'
      this.spans.push({ from: opener.part + 1, to: this.parts.length, open: opener.part, style, href })
    }
    this.processEmphasis(opener.bottom)
    this.dropDelimitersFrom(opener.bottom)
    // No links inside links: earlier `[` can no longer make one.
    if (!opener.image) this.inactiveBelow = depth
    return end
  }

  /** `(destination "title")` after `]`, `s[i]` being `(`; the index after `)` or -1. */
  private linkTail(i: number): number {
    const s = this.src
    const n = s.length
    let p = skipSpaces(s, i + 1)
    this.destinationFrom = this.destinationTo = p
    if (s.charCodeAt(p) === RPAREN) return p + 1
    const start = p
    if (s.charCodeAt(p) === LT) {
      p++
      for (;;) {
        if (p >= n || --this.budget < 0) return -1
        const c = s.charCodeAt(p)
        if (c === GT) break
        if (c === LT) return -1
        p += c === BACKSLASH ? 2 : 1
      }
      this.destinationFrom = start + 1
      this.destinationTo = p
      p++
    } else {
      let depth = 0
      while (p < n) {
        if (--this.budget < 0) return -1
        const c = s.charCodeAt(p)
        if (c <= SPACE) break
        if (c === BACKSLASH && isAsciiPunctuation(s.charCodeAt(p + 1))) {
          p += 2
          continue
        }
        if (c === LPAREN) {
          // CommonMark allows implementations to cap nesting; 32 is what cmark uses.
          if (++depth > 32) return -1
        } else if (c === RPAREN) {
          if (depth === 0) break
          depth--
        }
        p++
      }
      if (p === start || depth !== 0) return -1
      this.destinationFrom = start
      this.destinationTo = p
    }
    const afterDestination = p
    p = skipSpaces(s, p)
    const open = s.charCodeAt(p)
    if (p > afterDestination && (open === QUOTE || open === APOS || open === LPAREN)) {
      const close = open === LPAREN ? RPAREN : open
      p++
      for (;;) {
        if (p >= n || --this.budget < 0) return -1
        const c = s.charCodeAt(p)
        if (c === close) break
        if (open === LPAREN && c === LPAREN) return -1
        p += c === BACKSLASH ? 2 : 1
      }
      p = skipSpaces(s, p + 1)
    }
    return s.charCodeAt(p) === RPAREN ? p + 1 : -1
  }

  /** `[label]` after `]`, `s[i]` being `[`; the index after it or -1. Labels are ≤ 999 chars. */
  private linkLabel(i: number): number {
    const s = this.src
    const limit = Math.min(s.length, i + 1001)
    let p = i + 1
    while (p < limit) {
      const c = s.charCodeAt(p)
      if (c === RBRACKET) return p + 1
      if (c === LBRACKET) return -1
      p += c === BACKSLASH ? 2 : 1
    }
    return -1
  }

  /** `<`: an autolink (keeps its address), an HTML tag (dropped), or a literal `<`. */
  private angle(i: number): number {
    const s = this.src
    const autolink = this.autolinkEnd(i)
    if (autolink !== -1) {
      const address = s.slice(i + 1, autolink - 1)
      const part = this.parts.length
      this.spans?.push({ from: part, to: part + 1, open: part, style: 'link', href: address })
      this.parts.push(address)
      return autolink
    }
    const tag = this.htmlEnd(i)
    if (tag !== -1) {
      const name = s.slice(i + 1, i + 3).toLowerCase()
      const after = s.charCodeAt(i + 3)
      const isBreak = name === 'br' && !isAsciiAlphanumeric(after) && after !== DASH
      if (isBreak) this.parts.push(this.lineBreak)
      return tag
    }
    // `<` before a space (`a < b`) can never start a tag or autolink; anything else may, later.
    if (!cannotFollowAngle(s.charCodeAt(i + 1))) this.markFragile(this.parts.length)
    this.parts.push('<')
    return i + 1
  }

  private autolinkEnd(i: number): number {
    const s = this.src
    const n = s.length
    let p = i + 1
    if (isAsciiLetter(s.charCodeAt(p))) {
      // URI autolink: scheme of 2–32 chars, `:`, then no spaces, `<` or `>`.
      let q = p + 1
      while (q < n && q - p <= 32) {
        const c = s.charCodeAt(q)
        if (!(isAsciiAlphanumeric(c) || c === PLUS || c === DOT || c === DASH)) break
        q++
      }
      if (q - p >= 2 && q - p <= 32 && s.charCodeAt(q) === COLON) {
        // Stops at the next `<` at the latest, so these scans never overlap.
        for (let r = q + 1; r < n; r++) {
          const c = s.charCodeAt(r)
          if (c === GT) return r + 1
          if (c <= SPACE || c === LT) break
        }
      }
    }
    // Email autolink: local@domain, where neither part may hold `<`, `>` or spaces.
    let at = -1
    for (p = i + 1; p < n; p++) {
      const c = s.charCodeAt(p)
      if (c === GT) break
      if (c === 64 /* @ */) {
        if (at !== -1) return -1
        at = p
      } else if (at === -1 ? !isEmailLocal(c) : !(isAsciiAlphanumeric(c) || c === DASH || c === DOT)) {
        return -1
      }
    }
    if (at <= i + 1 || p >= n || p === at + 1) return -1
    return p + 1
  }

  /** End of a CommonMark raw HTML construct starting at `s[i] === '<'`, or -1. */
  private htmlEnd(i: number): number {
    const s = this.src
    const n = s.length
    const c = s.charCodeAt(i + 1)
    if (c === BANG) {
      if (s.startsWith('!--', i + 1)) return this.after('-->', i + 4)
      if (s.startsWith('![CDATA[', i + 1)) return this.after(']]>', i + 9)
      if (isAsciiLetter(s.charCodeAt(i + 2))) return this.after('>', i + 2)
      return -1
    }
    if (c === QUESTION) return this.after('?>', i + 2)
    let p = i + 1
    const closing = c === SLASH
    if (closing) p++
    if (!isAsciiLetter(s.charCodeAt(p))) return -1
    p++
    while (p < n && (isAsciiAlphanumeric(s.charCodeAt(p)) || s.charCodeAt(p) === DASH)) p++
    if (!closing) {
      // Attributes: each needs whitespace before it; values may be quoted.
      for (;;) {
        const q = skipWhitespace(s, p)
        const a = s.charCodeAt(q)
        if (q === p || !(isAsciiLetter(a) || a === UNDERSCORE || a === COLON)) break
        p = q + 1
        while (p < n && isAttributeNameChar(s.charCodeAt(p))) p++
        if (--this.budget < 0) return -1
        const e = skipWhitespace(s, p)
        if (s.charCodeAt(e) !== EQUALS) continue
        let v = skipWhitespace(s, e + 1)
        const quote = s.charCodeAt(v)
        if (quote === QUOTE || quote === APOS) {
          const close = this.find(quote === QUOTE ? '"' : "'", v + 1)
          if (close === -1) return -1
          p = close + 1
        } else {
          const valueStart = v
          while (v < n && isUnquotedValueChar(s.charCodeAt(v))) v++
          if (v === valueStart) return -1
          this.budget -= v - valueStart
          p = v
        }
      }
    }
    p = skipWhitespace(s, p)
    if (!closing && s.charCodeAt(p) === SLASH) p++
    return s.charCodeAt(p) === GT ? p + 1 : -1
  }

  /** Index just after the next `needle` at or after `from`, or -1. */
  private after(needle: string, from: number): number {
    const at = this.find(needle, from)
    return at === -1 ? -1 : at + needle.length
  }

  /** `indexOf`, remembered per needle: scans go left to right, so a repeated search is O(1). */
  private find(needle: string, from: number): number {
    this.findCache ??= new Map()
    const cached = this.findCache.get(needle)
    if (cached !== undefined && cached.from <= from && (cached.at === -1 || cached.at >= from)) {
      return cached.at
    }
    const at = this.src.indexOf(needle, from)
    this.findCache.set(needle, { from, at })
    return at
  }

  private entity(i: number): number {
    const s = this.src
    let p = i + 1
    let value: string | undefined
    if (s.charCodeAt(p) === HASH) {
      p++
      const hex = s.charCodeAt(p) === 120 /* x */ || s.charCodeAt(p) === 88 /* X */
      if (hex) p++
      const start = p
      while (p - start < (hex ? 6 : 7) && (hex ? isHexDigit(s.charCodeAt(p)) : isAsciiDigit(s.charCodeAt(p)))) p++
      if (p > start && s.charCodeAt(p) === 59 /* ; */) {
        const code = Number.parseInt(s.slice(start, p), hex ? 16 : 10)
        const valid = code !== 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        value = valid ? String.fromCodePoint(code) : '\ufffd'
      }
    } else {
      const start = p
      while (p - start < 32 && isAsciiAlphanumeric(s.charCodeAt(p))) p++
      if (s.charCodeAt(p) === 59 /* ; */) value = ENTITIES[s.slice(start, p)]
    }
    if (value === undefined) {
      // Only a reference cut off by the end of the line can still become one (`AT&T` cannot).
      if (p >= s.length) this.markFragile(this.parts.length)
      this.parts.push('&')
      return i + 1
    }
    this.parts.push(value)
    return p + 1
  }

  /**
   * CommonMark's "process emphasis" over the delimiters from `bottom` on: pairs closers with the
   * nearest compatible opener and uses up their characters, which are then not printed.
   */
  private processEmphasis(bottom: number): void {
    const d = this.d
    let current = -1
    for (let j = this.last; j !== -1 && j >= bottom; j = d[j * STRIDE + PREV]!) current = j
    // Per kind of closer, the index below which no opener can match it any more: this is what
    // keeps the search linear on lines full of unmatched delimiters.
    const openersBottom = OPENERS_BOTTOM.fill(bottom - 1)
    while (current !== -1) {
      const c = current * STRIDE
      const closerFlags = d[c + FLAGS]!
      if ((closerFlags & CAN_CLOSE) === 0) {
        current = d[c + NEXT]!
        continue
      }
      const ch = d[c + CH]!
      const closerLength = d[c + LENGTH]!
      const closerCanOpen = (closerFlags & CAN_OPEN) !== 0
      const key = (ch === STAR ? 0 : ch === UNDERSCORE ? 6 : 12) + (closerCanOpen ? 3 : 0) + (closerLength % 3)
      const floor = openersBottom[key]!
      let found = -1
      for (let j = d[c + PREV]!; j !== -1 && j > floor; j = d[j * STRIDE + PREV]!) {
        const o = j * STRIDE
        if (d[o + CH] !== ch || (d[o + FLAGS]! & CAN_OPEN) === 0) continue
        // "Rule of 3": `*foo**bar*` must not pair `*` with `**`.
        const openerLength = d[o + LENGTH]!
        const oddMatch =
          ((d[o + FLAGS]! & CAN_CLOSE) !== 0 || closerCanOpen) &&
          (openerLength + closerLength) % 3 === 0 &&
          !(openerLength % 3 === 0 && closerLength % 3 === 0)
        if (!oddMatch) {
          found = j
          break
        }
      }
      if (found === -1) {
        openersBottom[key] = d[c + PREV]!
        const next = d[c + NEXT]!
        if (!closerCanOpen) this.unlink(current)
        current = next
        continue
      }
      const o = found * STRIDE
      const used = d[c + REMAINING]! >= 2 && d[o + REMAINING]! >= 2 ? 2 : 1
      if (this.spans !== undefined) {
        const style = ch === TILDE ? 'strike' : used === 2 ? 'strong' : 'em'
        this.spans.push({ from: d[o + PART]! + 1, to: d[c + PART]!, open: d[o + PART]!, style })
      }
      d[o + REMAINING] -= used
      d[c + REMAINING] -= used
      // Delimiters between the pair can no longer match anything: they print as text.
      d[o + NEXT] = current
      d[c + PREV] = found
      if (d[o + REMAINING] === 0) this.unlink(found)
      if (d[c + REMAINING] === 0) {
        const next = d[c + NEXT]!
        this.unlink(current)
        current = next
      }
    }
  }

  /** A construct starting at `part` failed, but more text on the line could complete it. */
  private markFragile(part: number): void {
    this.fragile = true
    if (this.spans !== undefined) this.markUndecided(part)
  }

  /**
   * After `run`, with spans on: the first part more text could change. Besides what
   * `markUndecided` noted: delimiters that may still open, brackets still open, and every
   * emphasis whose closer lies at or past that point (a link closing later could take it).
   */
  firstUndecidedPart(): number {
    if (this.budget < 0) return 0 // a longer line has more budget: anything may change
    let first = this.undecided
    const d = this.d
    for (let j = this.last; j !== -1; j = d[j * STRIDE + PREV]!) {
      const k = j * STRIDE
      if (d[k + REMAINING]! > 0 && (d[k + FLAGS]! & CAN_OPEN) !== 0 && d[k + PART]! < first) first = d[k + PART]!
    }
    if (this.brackets.length > 0 && this.brackets[0]!.part < first) first = this.brackets[0]!.part
    let cut = first
    for (const span of this.spans ?? []) {
      // The part that closes it: an emphasis closer's own part; the last part of the others.
      const closing = span.style === 'em' || span.style === 'strong' || span.style === 'strike' ? span.to : span.to - 1
      if (closing >= first && span.open < cut) cut = span.open
    }
    return cut
  }

  private unlink(index: number): void {
    const d = this.d
    const prev = d[index * STRIDE + PREV]!
    const next = d[index * STRIDE + NEXT]!
    if (prev !== -1) d[prev * STRIDE + NEXT] = next
    if (next !== -1) d[next * STRIDE + PREV] = prev
    if (this.last === index) this.last = prev
  }

  /** Removes every delimiter from `bottom` on (those inside a finished link). */
  private dropDelimitersFrom(bottom: number): void {
    let j = this.last
    while (j !== -1 && j >= bottom) j = this.d[j * STRIDE + PREV]!
    this.last = j
    if (j !== -1) this.d[j * STRIDE + NEXT] = -1
  }
}

function isSpecial(c: number): boolean {
  return c < 128 && SPECIAL[c] === 1
}

/** A link destination as written, its backslash escapes removed. */
function unescapeDestination(raw: string): string {
  return raw.indexOf('\\') === -1 ? raw : raw.replace(/\\([!-/:-@[-`{-~])/g, '$1')
}

function codePointBefore(s: string, i: number): number {
  const low = s.charCodeAt(i - 1)
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = s.charCodeAt(i - 2)
    if (high >= 0xd800 && high <= 0xdbff) return s.codePointAt(i - 2)!
  }
  return low
}

function skipSpaces(s: string, p: number): number {
  while (s.charCodeAt(p) === SPACE || s.charCodeAt(p) === TAB) p++
  return p
}

function skipWhitespace(s: string, p: number): number {
  for (;;) {
    const c = s.charCodeAt(p)
    if (c !== SPACE && !(c >= TAB && c <= 13)) return p
    p++
  }
}

/** A character after which `<` is literal for good: whitespace and `<>()[],;:"@\\`. */
function cannotFollowAngle(c: number): boolean {
  return c <= SPACE || (c < 128 && ANGLE_STOPS[c] === 1)
}
const ANGLE_STOPS = new Uint8Array(128)
for (const ch of '<>()[],;:"@\\') ANGLE_STOPS[ch.charCodeAt(0)] = 1

function isHexDigit(c: number): boolean {
  return isAsciiDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

function isAttributeNameChar(c: number): boolean {
  return isAsciiAlphanumeric(c) || c === UNDERSCORE || c === DOT || c === COLON || c === DASH
}

function isUnquotedValueChar(c: number): boolean {
  return !(
    c <= SPACE ||
    c === QUOTE ||
    c === APOS ||
    c === EQUALS ||
    c === LT ||
    c === GT ||
    c === BACKTICK
  )
}

function isEmailLocal(c: number): boolean {
  return isAsciiAlphanumeric(c) || (c < 128 && ".!#$%&'*+/=?^_`{|}~-".includes(String.fromCharCode(c)))
}
