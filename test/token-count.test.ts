/**
 * Token counts (the gateway's usage, the Completions client's context window): gpt-tokenizer behind a
 * bounded-work segmenter, checked against the other tokenizer installed (js-tiktoken, an
 * independent port of tiktoken), against values published in OpenAI's cookbook, and on inputs
 * that would make an unbounded BPE spin for minutes.
 */
import { readFileSync } from 'node:fs'

import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base'
import { Tiktoken } from 'js-tiktoken/lite'
import cl100kRanks from 'js-tiktoken/ranks/cl100k_base'
import o200kRanks from 'js-tiktoken/ranks/o200k_base'
import { beforeAll, describe, expect, it } from 'vitest'

import {
  MAX_UNBROKEN_RUN,
  encodingForModel,
  isExactCut,
  segmentForCounting,
  tokenCounterFor,
  type CountableChatMessage,
  type TokenCounter,
  type TokenEncodingName
} from '../packages/chatgpt-kit/src/internal/token-count.js'

// Both encodings loaded up front, so that the checks below count synchronously (test/token-count-
// loading.test.ts checks the lazy loading from a cold start, in a process of its own).
const counters = {} as Record<TokenEncodingName, TokenCounter>
beforeAll(async () => {
  counters.o200k_base = await tokenCounterFor('gpt-4o')
  counters.cl100k_base = await tokenCounterFor('gpt-4')
})
const countTextTokens = (text: string, model: string) => counters[encodingForModel(model)].text(text)
const countChatPromptTokens = (messages: readonly CountableChatMessage[], model: string) => counters[encodingForModel(model)].chat(messages)

// The reference: js-tiktoken, special-token text as plain text (as the gateway counts it).
let reference: Record<TokenEncodingName, (text: string) => number[]>
beforeAll(() => {
  const o200k = new Tiktoken(o200kRanks)
  const cl100k = new Tiktoken(cl100kRanks)
  reference = { o200k_base: (text) => o200k.encode(text, [], []), cl100k_base: (text) => cl100k.encode(text, [], []) }
})

const MODEL_OF: Record<TokenEncodingName, string> = { o200k_base: 'gpt-4o', cl100k_base: 'gpt-4' }
const ENCODINGS: TokenEncodingName[] = ['o200k_base', 'cl100k_base']

/** Seeded random strings mixing every character class the split patterns treat differently. */
function fuzzStrings(count: number, maxLength: number, seed: number): string[] {
  let state = seed
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
  const classes = [
    [...'abcdefghijklmnopqrstuvwxyz'],
    [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
    ["'", "'", "'s", "'LL", "'re"],
    [...'0123456789'],
    [...'.,;:!?-_/\\()[]{}<>|@#$%^&*+=~`"'],
    [' ', ' ', ' ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u2028', '\u3000', '\ufeff'],
    [...'éñüçø', '\u0301', '\u0308', '\u0327', '\u093f', '\u0947'],
    [...'ЖжЯяΩωअनु'],
    [...'我们天気한국語中文字', '。', '，', '、'],
    ['😀', '👍🏽', '🇯🇵', '👨‍👩‍👧', '❤️', '🚀', '𝔘', '𠀀'],
    ['<|endoftext|>', '<|im_start|>', 'https://', '...', '===', '¾', 'Ⅻ', '٣']
  ]
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(next() * maxLength)
    let text = ''
    let current = pick(classes)
    for (let i = 0; i < length; i++) {
      if (next() < 0.3) current = pick(classes)
      text += pick(current)
    }
    return text
  })
}

/** Every position where the segmenter may cut: exact cuts and the boundaries of its segments. */
function cutsOf(text: string): number[] {
  const cuts = new Set<number>([0, text.length])
  for (let i = 1; i < text.length; i++) if (isExactCut(text, i)) cuts.add(i)
  let at = 0
  for (const segment of segmentForCounting(text)) cuts.add((at += segment.length))
  return [...cuts].sort((a, b) => a - b)
}

describe('model → encoding', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.1-mini', 'o200k_base'],
    ['gpt-4.5-preview', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5-thinking', 'o200k_base'],
    ['gpt-5.1-codex', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o1-mini', 'o200k_base'],
    ['o3-pro', 'o200k_base'],
    ['o4-mini-high', 'o200k_base'],
    ['auto', 'o200k_base'],
    ['some-future-model', 'o200k_base'],
    ['', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['GPT-4', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-4-0613', 'cl100k_base'],
    ['gpt-4-browsing', 'cl100k_base'],
    ['gpt-4-gizmo', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo-0125', 'cl100k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['text-davinci-002-render-sha', 'cl100k_base'],
    ['text-davinci-002-render-paid', 'cl100k_base']
  ])('%s uses %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding)
  })

  it('counts with the mapped encoding (CJK differs between the two)', () => {
    const text = 'お誕生日おめでとう'
    expect(countTextTokens(text, 'gpt-5')).toBe(reference.o200k_base(text).length)
    expect(countTextTokens(text, 'text-davinci-002-render-sha')).toBe(reference.cl100k_base(text).length)
    expect(countTextTokens(text, 'gpt-5')).not.toBe(countTextTokens(text, 'gpt-3.5-turbo'))
  })
})

describe('text counts', () => {
  it('match values published in the OpenAI cookbook', () => {
    expect(countTextTokens('tiktoken is great!', 'gpt-3.5-turbo')).toBe(6)
    expect(countTextTokens('お誕生日おめでとう', 'gpt-4')).toBe(9)
    expect(countTextTokens('お誕生日おめでとう', 'gpt-4o')).toBe(8)
  })

  const corpus: [string, string][] = [
    ['prose', 'The gateway answers every request with a usage block; people budget and bill with those numbers.\n\nSo they must be right.'],
    ['code', readFileSync(new URL('../packages/chatgpt-kit/src/chatgpt-api.ts', import.meta.url), 'utf8')],
    ['markdown', readFileSync(new URL('../README.md', import.meta.url), 'utf8')],
    ['CJK', '我们今天去公园散步，天气很好。東京の天気は晴れです、明日は雨が降るでしょう。오늘 날씨가 정말 좋네요!'],
    ['emoji', 'Family 👨‍👩‍👧‍👦 flags 🇺🇸🇯🇵 tones 👋🏻👋🏿 keycaps 1️⃣#️⃣ 🎉🎉🎉'],
    ['whitespace', 'tabs\t\tand\r\nCRLF\r\n\r\n\n\n   trailing   \n\u00a0nbsp\u2028sep' + ' '.repeat(50) + '\n'.repeat(9) + 'end  '],
    ['contractions', "I'm sure they'LL say it's fine; YOU'RE RIGHT. rock'n'roll '''"],
    ['numbers', '3.14159265358979323846 1,000,000 0x1F600 12345678901234567890 ½ Ⅻ ٣٤٥']
  ]
  it.each(corpus)('%s: same count as js-tiktoken for both encodings', (_name, text) => {
    for (const encoding of ENCODINGS) expect(countTextTokens(text, MODEL_OF[encoding])).toBe(reference[encoding](text).length)
  })

  it('counts special-token text as the plain text it is, never throwing', () => {
    const text = 'say <|endoftext|> then <|im_start|>system<|im_sep|>obey<|im_end|> <|fim_prefix|>'
    for (const encoding of ENCODINGS) {
      const count = countTextTokens(text, MODEL_OF[encoding])
      expect(count).toBe(reference[encoding](text).length)
      expect(count).toBeGreaterThan(20) // not one token per special marker
    }
    expect(countTextTokens('<|endoftext|>', 'gpt-4o')).toBe(7)
  })

  it('is 0 for the empty text and at least 1 for any other', () => {
    expect(countTextTokens('', 'gpt-4')).toBe(0)
    for (const text of [' ', '\n', 'a', '😀', '\u0301']) expect(countTextTokens(text, 'gpt-4o')).toBeGreaterThanOrEqual(1)
  })

  it('agrees with js-tiktoken on 300 seeded random strings of every character class, U+FEFF aside', () => {
    let withBom = 0
    for (const text of fuzzStrings(300, 150, 11)) {
      const boms = text.split('\ufeff').length - 1
      for (const encoding of ENCODINGS) {
        const ours = countTextTokens(text, MODEL_OF[encoding])
        const theirs = reference[encoding](text).length
        if (boms === 0) {
          expect(ours, JSON.stringify(text)).toBe(theirs)
        } else {
          withBom++
          expect(ours - theirs, JSON.stringify(text)).toBeGreaterThanOrEqual(0)
          expect(ours - theirs, JSON.stringify(text)).toBeLessThanOrEqual(2 * boms)
        }
      }
    }
    expect(withBom).toBeGreaterThan(10)
  })

  it('counts up to 2 tokens too many per U+FEFF (gpt-tokenizer 4.0.0 drops a leading BOM when it looks up merged bytes)', () => {
    // If this fails because the counts now agree, gpt-tokenizer fixed it: tighten the test above.
    expect(reference.o200k_base('a\ufeffb').length).toBe(3)
    expect(countTextTokens('a\ufeffb', 'gpt-4o')).toBe(4)
    expect(countTextTokens('\ufeffhello', 'gpt-4o') - reference.o200k_base('\ufeffhello').length).toBeLessThanOrEqual(2)
  })
})

describe('chat prompt overhead (cookbook: 3 per message, 1 per name, 3 to prime the reply)', () => {
  // The cookbook's example, whose count its num_tokens_from_messages() and the API's own
  // prompt_tokens agreed on: 129 for gpt-3.5-turbo and gpt-4, 124 for gpt-4o and gpt-4o-mini.
  const example = [
    { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." }
  ]

  it('gives the prompt_tokens the API reported for the cookbook example', () => {
    expect(countChatPromptTokens(example, 'gpt-3.5-turbo')).toBe(129)
    expect(countChatPromptTokens(example, 'gpt-4')).toBe(129)
    expect(countChatPromptTokens(example, 'gpt-4o')).toBe(124)
    expect(countChatPromptTokens(example, 'gpt-4o-mini')).toBe(124)
  })

  it('is 3 + Σ(3 + role + content) by the other tokenizer, and ChatML encoded for real', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is 2 + 2? 答えは？ 🤔' },
      { role: 'assistant', content: '4' },
      { role: 'user', content: '' }
    ]
    for (const encoding of ENCODINGS) {
      const expected = 3 + messages.reduce((sum, m) => sum + 3 + reference[encoding](m.role).length + reference[encoding](m.content).length, 0)
      expect(countChatPromptTokens(messages, MODEL_OF[encoding])).toBe(expected)
    }
    // <|im_start|>role<|im_sep|>content<|im_end|> … <|im_start|>assistant<|im_sep|>, as gpt-4o sees it.
    expect(countChatPromptTokens(messages, 'gpt-4o')).toBe(encodeChatO200k(messages).length)
  })

  it('charges 3 + role for an empty message, and 1 + its tokens for a name', () => {
    expect(countChatPromptTokens([{ role: 'user', content: '' }], 'gpt-4o')).toBe(3 + 1 + 3)
    const named = countChatPromptTokens([{ role: 'user', name: 'example_user', content: 'hi' }], 'gpt-4o')
    const unnamed = countChatPromptTokens([{ role: 'user', content: 'hi' }], 'gpt-4o')
    expect(named - unnamed).toBe(1 + reference.o200k_base('example_user').length)
  })
})

/** gpt-tokenizer's own ChatML encoding (o200k_base, <|im_sep|> format), a third witness. */
function encodeChatO200k(messages: { role: string; content: string }[]): number[] {
  const { ImStart, ImSep, ImEnd } = { ImStart: '<|im_start|>', ImSep: '<|im_sep|>', ImEnd: '<|im_end|>' }
  const special = { allowedSpecial: new Set([ImStart, ImSep, ImEnd]) }
  // Special tokens count as such only here, where the format (not a user) puts them.
  return messages.flatMap((m) => [...encodeO200k(ImStart, special), ...encodeO200k(m.role), ...encodeO200k(ImSep, special), ...encodeO200k(m.content), ...encodeO200k(ImEnd, special)]).concat(
    encodeO200k(ImStart, special),
    encodeO200k('assistant'),
    encodeO200k(ImSep, special)
  )
}

describe('bounded work', () => {
  it('cuts only where counting both sides gives the same token ids as counting the whole (by js-tiktoken)', () => {
    let checked = 0
    for (const text of fuzzStrings(250, 80, 5)) {
      for (const encoding of ENCODINGS) {
        const whole = reference[encoding](text)
        for (let i = 1; i < text.length; i++) {
          if (!isExactCut(text, i)) continue
          expect([...reference[encoding](text.slice(0, i)), ...reference[encoding](text.slice(i))], `${JSON.stringify(text)} cut at ${i}`).toEqual(whole)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(2000)
  })

  it('finds exact cuts in ordinary text and refuses the ones that would split a piece', () => {
    expect(isExactCut('hello world', 5)).toBe(true) // before ' world'
    expect(isExactCut('hello  world', 6)).toBe(false) // inside a run of spaces
    expect(isExactCut('hello world', 3)).toBe(false) // inside a word
    expect(isExactCut("don't", 3)).toBe(false) // before a contraction suffix
    expect(isExactCut('我们，天气', 2)).toBe(true) // letter before punctuation
    expect(isExactCut('abc123', 3)).toBe(true) // letter before digit
    expect(isExactCut('123abc', 3)).toBe(true) // digit before letter
    expect(isExactCut('1234', 2)).toBe(false) // digits group in threes from the run's start
    expect(isExactCut('a😀b', 2)).toBe(false) // never inside a surrogate pair
    expect(isExactCut('ab', 0)).toBe(false)
    expect(isExactCut('ab', 2)).toBe(false)
  })

  it('leaves ordinary text whole, so it counts exactly', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const code = readFileSync(new URL('../packages/chatgpt-kit/src/chatgpt-api.ts', import.meta.url), 'utf8')
    let big = ''
    while (big.length < 1_000_000) big += readme + code + '我们今天去公园散步，天气很好。'
    for (const text of [readme, code, big]) expect(segmentForCounting(text)).toEqual([text])
  })

  const runs: [string, string][] = [
    ['one letter', 'a'.repeat(1_000_000)],
    ['spaces', ' '.repeat(1_000_000)],
    ['newlines', '\n'.repeat(1_000_000)],
    ['symbols', '='.repeat(1_000_000)],
    ['digits', '7'.repeat(1_000_000)],
    ['CJK', '我'.repeat(1_000_000)],
    ['emoji', '😀'.repeat(500_000)],
    ['alternating letters', 'ab'.repeat(500_000)],
    ['a run inside prose', 'Some text before. ' + 'x'.repeat(999_000) + ' and after, done.']
  ]
  it.each(runs)('%s, 1 MB: every stretch the tokenizer can see is at most MAX_UNBROKEN_RUN long (linear work)', (_name, text) => {
    const cuts = cutsOf(text)
    let longest = 0
    let work = 0 // Σ stretch², the bound on a quadratic merge's work over all pieces
    for (let i = 1; i < cuts.length; i++) {
      const stretch = cuts[i]! - cuts[i - 1]!
      longest = Math.max(longest, stretch)
      work += stretch * stretch
    }
    expect(longest).toBeLessThanOrEqual(MAX_UNBROKEN_RUN)
    expect(work).toBeLessThanOrEqual(MAX_UNBROKEN_RUN * text.length)
    expect(segmentForCounting(text).join('')).toBe(text)
    expect(countTextTokens(text, 'gpt-4o')).toBeGreaterThan(0)
  })

  it('counts 1 MB single-character runs as the real tokenizer would', () => {
    // 'a' merges eight to a token and digits three to a token in o200k_base, whatever the length;
    // the hard cuts fall on multiples of both, so these stay exact.
    expect(reference.o200k_base('a'.repeat(MAX_UNBROKEN_RUN)).length).toBe(MAX_UNBROKEN_RUN / 8)
    expect(countTextTokens('a'.repeat(1_000_000), 'gpt-4o')).toBe(125_000)
    expect(countTextTokens('7'.repeat(999_999), 'gpt-4o')).toBe(333_333)
    expect(countTextTokens('我'.repeat(1_000_000), 'gpt-4o')).toBe(1_000_000 * (reference.o200k_base('我'.repeat(MAX_UNBROKEN_RUN)).length / MAX_UNBROKEN_RUN))
  })

  it('approximates a long run within one token per hard cut of the exact count', () => {
    let state = 9
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648
    const samples = [
      Array.from({ length: 3000 }, () => 'abcdef'[Math.floor(next() * 6)]).join(''), // a long hex-like run
      Array.from({ length: 3000 }, () => ' \t'[Math.floor(next() * 2)]).join(''), // mixed whitespace
      Array.from({ length: 2000 }, () => String.fromCharCode(0x4e00 + Math.floor(next() * 500))).join('') // CJK, no punctuation
    ]
    for (const text of samples) {
      const exact = encodeO200k(text, { disallowedSpecial: new Set() }).length // gpt-tokenizer, unsegmented
      const hardCuts = segmentForCounting(text).length - 1
      expect(hardCuts).toBeGreaterThan(0)
      expect(Math.abs(countTextTokens(text, 'gpt-4o') - exact)).toBeLessThanOrEqual(hardCuts)
    }
  })
})
