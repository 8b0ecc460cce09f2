/**
 * Styled spans of a line's text (from the library's inline tokenizer, see `inline-spans.ts`) as
 * ANSI: bold, italic, strikethrough, code in cyan, links underlined with their address after them
 * (dimmed), images as a dimmed `[image: text]`.
 *
 * A range of the text can be painted on its own: each piece of text carries its full style, so
 * painting a line in several ranges shows on the terminal exactly what painting it at once does
 * (the renderer prints a growing line a piece at a time).
 */
import type { InlineSpan, InlineSpans } from 'chatgpt-kit/internal'
import type { ansi, Style } from './ansi.js'

/** A span boundary: where a style starts or stops, and what the renderer adds there. */
type Event = { at: number; rank: number; span: InlineSpan; open: boolean }

/** Opens sort between the closes of spans that started earlier and those of empty spans. */
const CLOSE = 0
const OPEN = 1
const CLOSE_EMPTY = 2

/**
 * Paints the text's characters `[from, to)` and the decorations that fall there; with `last`,
 * also the decorations at `to` (the range ends the line).
 *
 * @param s - the styles (`ansi`; never `noStyle`: without colour markup is shown as written)
 * @param lineStyle - the whole line's style (headings, quotes), applied outermost to every piece
 */
export function paintSpans(
  line: InlineSpans,
  from: number,
  to: number,
  last: boolean,
  s: typeof ansi,
  lineStyle?: Style
): string {
  const { text, spans } = line
  const outer = lineStyle ?? ((t: string) => t)
  const events: Event[] = []
  for (const span of spans) {
    if (span.from > to || (span.to < from && !(span.from === span.to && span.to === from))) continue
    events.push({ at: span.from, rank: OPEN, span, open: true })
    events.push({ at: span.to, rank: span.from === span.to ? CLOSE_EMPTY : CLOSE, span, open: false })
  }
  // Boundaries in text order; at one place, inner spans close first and outer ones open first.
  events.sort(
    (a, b) =>
      a.at - b.at || a.rank - b.rank || (a.open ? b.span.to - a.span.to : b.span.from - a.span.from)
  )
  const active = { strong: 0, em: 0, strike: 0, code: 0, link: 0, image: 0 }
  const piece = (text: string): string => {
    if (text === '') return ''
    let styled = text
    if (active.code > 0) styled = s.cyan(styled)
    if (active.link > 0) styled = s.underline(styled)
    if (active.strike > 0) styled = s.strike(styled)
    if (active.em > 0) styled = s.italic(styled)
    if (active.strong > 0) styled = s.bold(styled)
    if (active.image > 0) styled = s.dim(styled)
    return outer(styled)
  }
  const decoration = (text: string): string => outer(s.dim(text))
  let out = ''
  let at = from
  for (const event of events) {
    if (event.at > from) {
      const end = Math.min(event.at, to)
      if (end > at) out += piece(text.slice(at, end))
      at = Math.max(at, end)
    }
    const shown = event.at >= from && (event.at < to || (last && event.at === to))
    const { span } = event
    if (event.open) {
      if (shown && span.style === 'image') out += decoration('[image: ')
      active[span.style]++
    } else {
      active[span.style]--
      if (shown && span.style === 'image') out += decoration(']')
      if (shown && span.style === 'link' && span.href !== undefined && span.href !== text.slice(span.from, span.to)) {
        out += decoration(` (${span.href})`)
      }
    }
  }
  if (to > at) out += piece(text.slice(at, to))
  return out
}
