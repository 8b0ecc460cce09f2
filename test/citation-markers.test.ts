/**
 * Citation markers (`\ue200 … \ue201` and the stray `\ue201`–`\ue206`) never reach the shown text,
 * whichever way the raw text is cut into pieces; and the shown text follows appends and cuts of
 * the raw text as it would by filtering the whole raw text again.
 */
import { describe, expect, it } from 'vitest'

import { CitationFilter, MAX_CITATION_CHARS, withoutCitations } from '../packages/chatgpt-kit/src/internal/citation-markers.js'
import { ShownText, type TextEdit } from '../packages/chatgpt-kit/src/internal/shown-text.js'
import { mulberry32 } from './helpers/prng.js'

const cite = (n: number) => `\ue200cite\ue202turn0search${n}\ue201`

/** Cuts `text` at random points into pieces. */
function pieces(text: string, random: () => number): string[] {
  const out: string[] = []
  let from = 0
  while (from < text.length) {
    const size = 1 + Math.floor(random() * 6)
    out.push(text.slice(from, from + size))
    from += size
  }
  return out
}

const MARKERS = /[\ue200-\ue206]/

describe('citation markers', () => {
  it('drops a whole citation span and stray markers, and keeps the text around them', () => {
    expect(withoutCitations(`Paris is the capital.${cite(3)} It is big.`)).toBe('Paris is the capital. It is big.')
    expect(withoutCitations(`A${cite(0)}${cite(1)}B`)).toBe('AB')
    // `\ue203 … \ue204` marks what a citation supports: the text stays, the markers go.
    expect(withoutCitations('\ue203Supported claim\ue204\ue206 rest')).toBe('Supported claim rest')
    expect(withoutCitations('stray close\ue201 here')).toBe('stray close here')
    expect(withoutCitations('no markers at all')).toBe('no markers at all')
  })

  it('gives the same text however the raw text is cut, a citation split across pieces included', () => {
    const random = mulberry32(0xc17e)
    const raw = `One${cite(1)} two\ue203three\ue204${cite(22)}\n\nfour é 😀${cite(333)}\ue200 open ${'x'.repeat(10)}${cite(4)} end`
    const whole = withoutCitations(raw)
    expect(whole).not.toMatch(MARKERS)
    for (let round = 0; round < 200; round++) {
      const filter = new CitationFilter()
      let shown = ''
      for (const piece of pieces(raw, random)) {
        shown += filter.push(piece)
        expect(shown).not.toMatch(MARKERS)
      }
      expect(shown).toBe(whole)
    }
  })

  it('shows what an unclosed span held once it is too long to be a citation', () => {
    const long = 'y'.repeat(MAX_CITATION_CHARS + 10)
    expect(withoutCitations(`a\ue200${long}`)).toBe(`a${long}`)
    // Shorter, it is still held back: it may yet close.
    const filter = new CitationFilter()
    expect(filter.push('a\ue200short')).toBe('a')
    expect(filter.inSpan).toBe(true)
    expect(filter.push('\ue201b')).toBe('b')
    // A second `\ue200` before the close: the first span was none.
    expect(withoutCitations('a\ue200held\ue200cite\ue201b')).toBe('aheldb')
  })

  it('shows each unclosed span when the next one opens, whatever the pieces', () => {
    // Many opens, each followed by a run just short of the limit: held, then shown.
    const raw = `\ue200${'z'.repeat(MAX_CITATION_CHARS - 1)}`.repeat(200)
    const filter = new CitationFilter()
    let shown = ''
    for (const piece of raw.match(/[\s\S]{1,97}/g)!) shown += filter.push(piece)
    // Each span is shown when the next one opens, the last one is still held.
    expect(shown).toBe('z'.repeat((MAX_CITATION_CHARS - 1) * 199))
  })
})

describe('ShownText', () => {
  it('follows appends and cuts of the raw text as filtering the whole raw text would', () => {
    const random = mulberry32(0x5e7)
    const vocabulary = ['word ', 'é', '😀', '\n', cite(1), '\ue200', '\ue201', '\ue203', 'cite', '\ue202turn0']
    for (let round = 0; round < 300; round++) {
      const shown = new ShownText()
      let raw = ''
      shown.set(raw)
      for (let event = 0; event < 30; event++) {
        const edits: TextEdit[] = []
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
          if (random() < 0.15 && raw.length > 0) {
            const length = Math.floor(random() * (raw.length + 2))
            edits.push(length)
            raw = raw.slice(0, length)
          } else {
            const piece = vocabulary[Math.floor(random() * vocabulary.length)]!
            edits.push(piece)
            raw += piece
          }
        }
        const before = shown.text
        const changed = shown.edit(edits, raw)
        expect(shown.text, `round ${round}, event ${event}`).toBe(withoutCitations(raw))
        expect(changed).toBe(shown.text !== before)
        if (shown.appended !== undefined) expect(shown.text).toBe(before + shown.appended)
      }
    }
  })

  it('reads the raw text again when the edits do not add up to it', () => {
    const shown = new ShownText()
    shown.set('Hello')
    // Edits that do not say what happened (an op was refused, or a write elsewhere changed it).
    expect(shown.edit([' there'], `Help${cite(1)} world`)).toBe(true)
    expect(shown.text).toBe('Help world')
    expect(shown.appended).toBeUndefined()
    // When the text only grew, whatever the edits said, it is read from where it grew.
    const read = shown.charactersRead
    expect(shown.edit([], `Help${cite(1)} world, again`)).toBe(true)
    expect(shown.text).toBe('Help world, again')
    expect(shown.appended).toBe(', again')
    expect(shown.charactersRead - read).toBe(', again'.length)
  })

  it('reads a whole text that extends the last one (the cumulative shapes) from where it grew', () => {
    const shown = new ShownText()
    shown.set(`One${cite(1)}`)
    const read = shown.charactersRead
    expect(shown.set(`One${cite(1)} two`)).toBe(true)
    expect(shown.text).toBe('One two')
    expect(shown.appended).toBe(' two')
    expect(shown.charactersRead - read).toBe(4)
    expect(shown.set(`One${cite(1)} two`)).toBe(false)
  })

  it('reports an append as what it added to the shown text', () => {
    const shown = new ShownText()
    shown.set('')
    expect(shown.edit(['Hi', cite(2), ' there'], `Hi${cite(2)} there`)).toBe(true)
    expect(shown.appended).toBe('Hi there')
    expect(shown.edit([cite(3)], `Hi${cite(2)} there${cite(3)}`)).toBe(false)
    expect(shown.text).toBe('Hi there')
  })
})
