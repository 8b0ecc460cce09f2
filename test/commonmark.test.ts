/**
 * markdownToText against a suite nobody here wrote: the CommonMark spec examples (the
 * `commonmark-spec` package). Each example's plain text must read as its reference HTML does
 * in a browser (tags stripped, entities decoded, whitespace normalised; see helpers/commonmark-text).
 * Known differences are listed, with reasons, in commonmark-allowed-failures.json.
 */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

import { IncrementalMarkdownToText, markdownToText } from '../packages/chatgpt-kit/src/markdown.js'
import allowed from './commonmark-allowed-failures.json'
import { normalizeWhitespace, visibleText } from './helpers/commonmark-text.js'

type Example = { markdown: string; html: string; section: string; number: number }
const { tests } = createRequire(import.meta.url)('commonmark-spec') as { tests: Example[] }

/** The number of examples that pass; raise it when more do. */
const PASSING = 572

const allowedFailures = new Map<number, string>()
for (const [section, entry] of Object.entries(allowed)) {
  if (typeof entry === 'object') for (const number of entry.examples) allowedFailures.set(number, section)
}

// The spec writes tabs as → so they can be seen.
const examples = tests.map((t) => ({ ...t, markdown: t.markdown.replace(/→/g, '\t'), html: t.html.replace(/→/g, '\t') }))

describe('CommonMark spec examples, as plain text', () => {
  const results = examples.map((example) => ({
    example,
    ours: normalizeWhitespace(markdownToText(example.markdown)),
    expected: visibleText(example.html)
  }))

  it(`pass, but for the listed ones (${PASSING} of ${tests.length})`, () => {
    const unexpected = results.filter((r) => r.ours !== r.expected && !allowedFailures.has(r.example.number))
    const nowPassing = results.filter((r) => r.ours === r.expected && allowedFailures.has(r.example.number))
    expect(
      unexpected.map((r) => `${r.example.number} (${r.example.section}): ${JSON.stringify(r.ours)} ≠ ${JSON.stringify(r.expected)}`)
    ).toEqual([])
    expect(nowPassing.map((r) => `${r.example.number} passes now: remove it from the allow-list`)).toEqual([])
    expect(results.filter((r) => r.ours === r.expected).length).toBe(PASSING)
  })

  it('every listed example is in the section it is listed under', () => {
    for (const [number, section] of allowedFailures) {
      expect(examples.find((e) => e.number === number)?.section, `example ${number}`).toBe(section)
    }
  })

  it('streams to the same plain text, cut anywhere', () => {
    for (const { markdown } of examples) {
      const converter = new IncrementalMarkdownToText()
      for (let at = 1; at <= markdown.length; at += 3) converter.update(markdown.slice(0, at))
      expect(converter.update(markdown), JSON.stringify(markdown)).toBe(markdownToText(markdown))
    }
  })
})
