import { describe, expect, it } from 'vitest'
import { IncrementalMarkdownToText, markdownToText } from '../packages/chatgpt-kit/src/markdown.js'
import { mulberry32 as prng } from './helpers/prng.js'

/** One long line as a model writes it: snake_case words, **bold** or `code` every ~7 words. */
function longLine(length: number): string {
  const words: string[] = []
  let size = 0
  for (let i = 0; size < length; i++) {
    const word = `${String.fromCharCode(97 + (i % 26))}_word_${i % 13}`
    const styled = i % 7 === 3 ? `**${word}**` : i % 7 === 6 ? `\`${word}\`` : word
    words.push(styled)
    size += styled.length + 1
  }
  return words.join(' ').slice(0, length)
}

/** Feeds `text` in pieces of `size` characters; returns the converter and how many updates it took. */
function stream(text: string, size: number, check?: (converter: IncrementalMarkdownToText, prefix: string, event: number) => void) {
  const converter = new IncrementalMarkdownToText()
  let events = 0
  for (let at = size; at < text.length + size; at += size) {
    const prefix = text.slice(0, Math.min(at, text.length))
    converter.update(prefix)
    check?.(converter, prefix, events++)
  }
  return converter
}

describe('IncrementalMarkdownToText on a long unfinished line', () => {
  it('reads a 100,000-character line with markup about once, not once per update', () => {
    const line = longLine(100_000)
    const converter = stream(line, 5, (c, prefix, event) => {
      if (event % 1999 === 0) expect(c.text).toBe(markdownToText(prefix))
    })
    expect(converter.text).toBe(markdownToText(line))
    // Re-converting the line on every update reads ~line²/10 = 10⁹ characters.
    expect(converter.charactersScanned).toBeLessThanOrEqual(20 * line.length)
  })

  it('equals markdownToText on every prefix of random long lines (settled starts are exact)', () => {
    const random = prng(99)
    const markup = ['*', '**', '_', '__', '~~', '`', '``', '[', ']', '(', ')', '![', '<', '>', '&', ';', '\\', 'amp',
      'http://x', '<b>', '<!--', '-->', '"', '&amp;', 'AT&T', '[a](b)', '[a][b]', '<https://x.y>', '\u00a0', '&nbsp;',
      '**b**', '`c`', '_i_', '<br>', 'a<b', '&#', '[x]', '](', '<a href="x">']
    const plain = [' ', ' ', ' ', '  ', '\t', 'word', 'snake_case', 'x', '1', '.', ':', ',']
    let settledRounds = 0
    for (let round = 0; round < 80; round++) {
      // Mostly words with some markup, so that starts settle; every round mixes differently.
      const markupShare = 0.01 + (round % 8) * 0.015
      let line = round % 3 === 0 ? '1. ' : round % 3 === 1 ? '- ' : ''
      const length = 300 + Math.floor(random() * 900)
      while (line.length < length) {
        const pool = random() < markupShare ? markup : plain
        line += pool[Math.floor(random() * pool.length)]
      }
      const converter = new IncrementalMarkdownToText()
      let at = 0
      while (at < line.length) {
        at = Math.min(line.length, at + 1 + Math.floor(random() * 6))
        const prefix = line.slice(0, at)
        expect(converter.update(prefix), JSON.stringify(prefix)).toBe(markdownToText(prefix))
      }
      if (converter.charactersScanned < 20 * line.length) settledRounds++
    }
    // The settled path was taken in many rounds (without it a line costs ~length²/7); in the
    // others, a construct left open for good (a lone backtick, `<!--`) kept the line unsettled.
    expect(settledRounds).toBeGreaterThan(20)
  })

  it('still re-reads a line whose markup stays open, and stays exact', () => {
    // A `[` never closed could become a link with any later `](…)`: nothing after it settles.
    const line = `[${longLine(3_000)}`
    const converter = stream(line, 7, (c, prefix, event) => {
      if (event % 37 === 0) expect(c.text).toBe(markdownToText(prefix))
    })
    expect(converter.text).toBe(markdownToText(line))
    expect(converter.update(`${line}](https://x.com) done`)).toBe(markdownToText(`${line}](https://x.com) done`))
  })
})
