/**
 * `inlineSpans`: the text is `inlineToText`'s, the spans are where the styles go, and what a
 * growing line reports as decided never changes as the line grows (the terminal renderer prints
 * it at once and cannot take it back).
 */
import { describe, expect, it } from 'vitest'

import { inlineToText } from '../packages/chatgpt-kit/src/internal/markdown/inline.js'
import { inlineSpans, type InlineSpan } from '../packages/chatgpt-kit/src/internal/markdown/inline-spans.js'
import { mulberry32 as prng } from './helpers/prng.js'

/** The spans' styles per character of `[0, end)`, and link/image destinations where they start. */
function styles(spans: InlineSpan[], end: number): string[] {
  const at: string[] = Array.from({ length: end }, () => '')
  const sorted = [...spans].sort((a, b) => a.from - b.from || b.to - a.to || a.style.localeCompare(b.style))
  for (const span of sorted) {
    for (let i = span.from; i < Math.min(span.to, end); i++) at[i] += span.style[0]
    // A span that starts before `end` but closes after it must not exist in a shorter line.
    if (span.from < end && span.href !== undefined) at[span.from] += `<${span.href}>`
  }
  return at
}

describe('inlineSpans', () => {
  it('styles what CommonMark styles', () => {
    const { text, spans } = inlineSpans('*a* **b** ~~c~~ `d` [e *f*](http://g "t") ![h](i) <http://j>')
    expect(text).toBe('a b c d e f h http://j')
    const shown = spans
      .map(({ from, to, style, href }) => `${style}:${text.slice(from, to)}${href ? `→${href}` : ''}`)
      .sort()
    expect(shown).toEqual(['code:d', 'em:a', 'em:f', 'image:h→i', 'link:e f→http://g', 'link:http://j→http://j', 'strike:c', 'strong:b'])
  })

  it('gives the text inlineToText gives', () => {
    for (const line of ['a **b *c** d*', '`a` `` b ` `` [x](<y z>) &amp; \\*', 'x <b>y</b> <br> z']) {
      expect(inlineSpans(line).text).toBe(inlineToText(line, '\n'))
    }
  })

  it('never takes back what it called decided, on every prefix of random inline-heavy lines', () => {
    const random = prng(8)
    const pieces = ['a', 'b ', ' ', '*', '**', '_', '~~', '`', '``', '[', ']', '](u)', '(', ')', '!', '<', '>', 'http://x', '&amp;', '&', '\\', ';', 'c_d']
    for (let round = 0; round < 400; round++) {
      let line = ''
      const length = 1 + Math.floor(random() * 14)
      for (let k = 0; k < length; k++) line += pieces[Math.floor(random() * pieces.length)]
      const whole = inlineSpans(line)
      for (let end = 0; end <= line.length; end++) {
        const prefix = inlineSpans(line.slice(0, end), { growing: true })
        const context = JSON.stringify(line.slice(0, end)) + ' of ' + JSON.stringify(line)
        expect(prefix.text.slice(0, prefix.decided), context).toBe(whole.text.slice(0, prefix.decided))
        expect(styles(prefix.spans, prefix.decided), context).toEqual(styles(whole.spans, prefix.decided))
      }
    }
  })
})
