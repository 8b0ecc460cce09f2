/**
 * The "grew by this piece" hints (`appended`) must change nothing but the cost: the converter and
 * the deltas give exactly what they give without them.
 */
import { describe, expect, it } from 'vitest'

import { IncrementalMarkdownToText, markdownToText } from '../packages/chatgpt-kit/src/index.js'
import { ReplyPrinter } from '../packages/chatgpt-kit-cli/src/reply-printer.js'
import { TextDeltas } from '../packages/chatgpt-kit/src/internal/text-deltas.js'
import { mulberry32 } from './helpers/prng.js'

const PIECES = ['word ', '\u0007', '\r\n', '**bo', 'ld** ', '`co', 'de` ', '\n', '\n\n', '# ', '- item ', '| a | b |\n|---|---|\n', '[li', 'nk](u) ', '<br>', '```\n', 'x\\', ' ', '_', '~~']

function randomMarkdown(random: () => number, pieces: number): string[] {
  return Array.from({ length: pieces }, () => PIECES[Math.floor(random() * PIECES.length)]!)
}

describe('append hints', () => {
  it('IncrementalMarkdownToText: update(text, appended) equals markdownToText(text), and `appended` says how the result grew', () => {
    const random = mulberry32(8)
    for (let round = 0; round < 200; round++) {
      const toText = new IncrementalMarkdownToText()
      let text = ''
      let previous = ''
      for (const piece of randomMarkdown(random, 40)) {
        text += piece
        const result = toText.update(text, piece)
        expect(result).toBe(markdownToText(text))
        if (toText.appended !== undefined) expect(result).toBe(previous + toText.appended)
        previous = result
      }
    }
  })

  it('TextDeltas: deltas taken with hints are the deltas taken without them', () => {
    const random = mulberry32(9)
    for (const holdBack of [false, true]) {
      for (let round = 0; round < 200; round++) {
        const hinted = new TextDeltas(holdBack)
        const plain = new TextDeltas(holdBack)
        let text = ''
        for (const piece of randomMarkdown(random, 40)) {
          text += piece
          // Now and then a call without a hint, as after an event that was not a plain append.
          const hint = random() < 0.8 ? piece : undefined
          expect(hinted.take(text, false, hint)).toEqual(plain.take(text))
        }
        expect(hinted.take(text, true)).toEqual(plain.take(text, true))
      }
    }
  })
})

describe('append hints in the CLI printer', () => {
  it.each(['raw', 'render', 'plain'] as const)('%s: prints exactly what it prints without them', (mode) => {
    const random = mulberry32(10)
    for (let round = 0; round < 100; round++) {
      let hintedOut = ''
      let plainOut = ''
      const hinted = new ReplyPrinter((piece) => (hintedOut += piece), mode, { color: true, width: 60 })
      const plain = new ReplyPrinter((piece) => (plainOut += piece), mode, { color: true, width: 60 })
      let text = ''
      for (const piece of randomMarkdown(random, 40)) {
        text += piece
        const hint = random() < 0.8 ? piece : undefined
        hinted.update(text, hint)
        plain.update(text)
        expect(hintedOut).toBe(plainOut)
      }
      hinted.finish(text)
      plain.finish(text)
      expect(hintedOut).toBe(plainOut)
    }
  })
})
