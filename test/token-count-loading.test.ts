/**
 * Token counting loads gpt-tokenizer's encodings lazily: nothing at import or for empty text, and
 * only the encoding a model needs on its first count. A file of its own, so that the process
 * starts cold.
 */
import { describe, expect, it } from 'vitest'

import { loadedEncodings, tokenCounterFor } from '../packages/chatgpt-kit/src/internal/token-count.js'

describe('loading', () => {
  it('loads no encoding at import or for empty text, and only the one a model needs on its first count', async () => {
    expect(loadedEncodings()).toEqual([])
    const o200k = await tokenCounterFor('gpt-4o')
    expect(loadedEncodings()).toEqual(['o200k_base'])
    expect(o200k.text('')).toBe(0)
    expect(o200k.text('hello world')).toBe(2)
    expect(loadedEncodings()).toEqual(['o200k_base'])
    const cl100k = await tokenCounterFor('gpt-4')
    expect(cl100k.chat([])).toBe(3)
    expect(cl100k.text('hello world')).toBe(2)
    expect(loadedEncodings()).toEqual(['cl100k_base', 'o200k_base'])
  })

  it('loads each encoding once, however many ask at the same time', async () => {
    const counters = await Promise.all(Array.from({ length: 20 }, () => tokenCounterFor('gpt-5')))
    expect(new Set(counters.map((counter) => counter.encoding))).toEqual(new Set(['o200k_base']))
    expect(loadedEncodings()).toEqual(['cl100k_base', 'o200k_base'])
  })
})
