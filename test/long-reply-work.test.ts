/**
 * Long replies cost what they add (issue 8): counted as work, never timed. The v1 encoding builds
 * the reply by appending (`text += piece`), and reading any character of such a string makes V8
 * copy all of it; a pipeline that does so on every event allocates O(n²) bytes. Allocation is
 * counted as the garbage collections it causes, compared with a consumer that reads nothing, in
 * the same process and over the same backend.
 */
import { PerformanceObserver } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'

import { ReplyPrinter } from '../packages/chatgpt-kit-cli/src/reply-printer.js'
import { setup } from './helpers/backend.js'

/** ~200 KB of words: enough that copying the text on every event costs gigabytes. */
const REPLY = Array.from({ length: 40_000 }, (_, i) => (i % 12 === 11 ? 'word.\n' : 'word')).join(' ')

/** One line of ~100 KB, with markup every few words: re-reading the line on every event is O(n²). */
const LONG_LINE = Array.from({ length: 16_000 }, (_, i) =>
  i % 7 === 3 ? `**w_${i % 10}**` : i % 7 === 6 ? `\`w_${i % 10}\`` : `w_${i % 10}`
).join(' ')

async function collectionsDuring(run: () => Promise<unknown>): Promise<number> {
  let count = 0
  const observer = new PerformanceObserver((list) => {
    count += list.getEntries().length
  })
  observer.observe({ entryTypes: ['gc'] })
  await run()
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50))
  observer.disconnect()
  return count
}

describe('a long v1 reply allocates in proportion to its length', () => {
  const replies = { 'a 200 KB reply': REPLY, 'a 100 KB line': LONG_LINE }
  it.each([
    ['a 200 KB reply', true],
    ['a 200 KB reply', false],
    // Plain text of one very long line is not yet linear: a markup character makes the converter
    // rewrite the line's end, and what follows then reads the whole line (see the README).
    ['a 100 KB line', true]
  ] as const)('%s, markdown: %s — streamed deltas, onProgress and the result', async (name, markdown) => {
    const reply = replies[name]
    const { api: floor } = await setup({ reply: () => reply }, { markdown: true })
    const { api } = await setup({ reply: () => reply }, { markdown })
    // The floor: the same reply, read by the client with nobody looking at the text.
    const baseline = await collectionsDuring(() => floor.sendMessage('Hi'))
    let joined = ''
    let progress = 0
    const measured = await collectionsDuring(async () => {
      const stream = api.streamMessage('Hi', { onProgress: (text) => (progress = text.length) })
      for await (const update of stream) joined = update.replaced ? update.delta : joined + update.delta
      expect(joined).toBe((await stream.result).text)
    })
    expect(progress).toBeGreaterThan(reply.length * 0.8)
    // Copying the text on every event (40,000 events of a text up to 200 KB) costs thousands of
    // collections; a pipeline that reads only what each event adds stays near the floor.
    expect(measured).toBeLessThanOrEqual(3 * baseline + 40)
  })
})

describe('a long 2026 reply with citation markers allocates in proportion to its length', () => {
  // "cite" puts a citation after every sentence (every 12th word here) and splits one across
  // deltas: the markers must not turn the appended pieces into rewrites of the whole text.
  it.each([true, false])('markdown: %s — streamed deltas, onProgress and the result', async (markdown) => {
    const { api: floor } = await setup({ shape: '2026', reply: () => REPLY }, { markdown: true })
    const { api } = await setup({ shape: '2026', reply: () => REPLY }, { markdown })
    const baseline = await collectionsDuring(() => floor.sendMessage('cite it'))
    let joined = ''
    let progress = 0
    const measured = await collectionsDuring(async () => {
      const stream = api.streamMessage('cite it', { onProgress: (text) => (progress = text.length) })
      for await (const update of stream) joined = update.replaced ? update.delta : joined + update.delta
      expect(joined).toBe((await stream.result).text)
    })
    expect(joined).not.toMatch(/[\ue200-\ue206]/)
    expect(progress).toBeGreaterThan(REPLY.length * 0.8)
    expect(measured).toBeLessThanOrEqual(3 * baseline + 40)
  })
})

describe('the CLI printer on a long v1 reply allocates in proportion to its length', () => {
  it.each(['render', 'plain'] as const)('%s', async (mode) => {
    const { api } = await setup({ reply: () => REPLY }, { markdown: true })
    const baseline = await collectionsDuring(() => api.sendMessage('Hi'))
    let printed = 0
    const printer = new ReplyPrinter((piece) => (printed += piece.length), mode, { color: true, width: 80 })
    const measured = await collectionsDuring(async () => {
      const reply = await api.sendMessage('Hi', { onProgress: (text, appended) => printer.update(text, appended) })
      printer.finish(reply)
    })
    expect(printed).toBeGreaterThan(REPLY.length * 0.8)
    expect(measured).toBeLessThanOrEqual(3 * baseline + 40)
  })
})
