/**
 * What `onConversationResponse` receives (issue 8): each event as of that event, never changed by
 * later ones, in every shape; and, with the v1 delta encoding, at a cost per event that does not
 * grow with the reply (counted in DeltaDocument work units, never timed).
 */
import { describe, expect, it } from 'vitest'

import type { ConversationResponseEvent } from '../packages/chatgpt-kit/src/index.js'
import { DeltaDocument, type DeltaOp } from '../packages/chatgpt-kit/src/internal/delta-patch.js'
import { ReplyReader } from '../packages/chatgpt-kit/src/internal/reply.js'
import type { StreamShape } from '../packages/chatgpt-kit/src/testing/index.js'
import { setup } from './helpers/backend.js'
import { TEXT_PATH, v1StartOp } from './helpers/v1-ops.js'

const startOp = (): DeltaOp => v1StartOp('c1', { model_slug: 'gpt-4o' })

const assistantText = (event: ConversationResponseEvent) => event.message?.content?.parts?.[0]

describe('onConversationResponse: each event as of that event', () => {
  it.each<StreamShape>(['2022', '2023', 'v1', '2026'])('events kept until the end still read as they were sent (%s shape)', async (shape) => {
    const reply = 'one two three four five six seven eight nine ten'
    const { api } = await setup({ shape, reply: () => reply })
    const events: ConversationResponseEvent[] = []
    const asSent: string[] = []
    const progress: string[] = []
    await api.sendMessage('Hi', {
      onProgress: (partial) => progress.push(partial),
      onConversationResponse: (event) => {
        events.push(event)
        asSent.push(JSON.stringify(event))
      }
    })
    expect(events.map((event) => JSON.stringify(event))).toEqual(asSent)

    // The assistant's texts, in order, are the progress texts: one per event, each as of then.
    const texts = events
      .filter((event) => (event.message?.author?.role ?? event.message?.role) === 'assistant')
      .map(assistantText)
      .filter((text, i, all) => text !== '' && text !== all[i - 1])
    expect(texts).toEqual(progress)
    expect(texts.at(-1)).toBe(reply)
    expect(new Set(texts).size).toBeGreaterThan(5)
  })

  it('v1: every step holds the document as of its event, through appends, merges, array edits and the final patch', () => {
    const reader = new ReplyReader()
    reader.push({ event: 'delta_encoding', data: '"v1"' })
    const ops: DeltaOp[] = [
      startOp(),
      { p: TEXT_PATH, o: 'append', v: 'Hel' },
      { v: 'lo' },
      { v: ' wörld' },
      { p: '/message/metadata', o: 'append', v: { parent_id: 'u1' } },
      { p: '/message/content/parts', o: 'append', v: ['second part'] },
      { p: '/message/content/parts/1', o: 'remove' },
      {
        p: '',
        o: 'patch',
        v: [
          { p: TEXT_PATH, o: 'append', v: '!' },
          { p: '/message/status', o: 'replace', v: 'finished_successfully' },
          { p: '/message/end_turn', o: 'replace', v: true },
          { p: '/message/metadata', o: 'append', v: { finish_details: { type: 'stop' } } }
        ]
      }
    ]
    const kept: ConversationResponseEvent[] = []
    const asOfThen: unknown[] = []
    for (const op of ops) {
      const step = reader.push({ event: 'delta', data: JSON.stringify(op) })
      expect(step.kind).toBe('event')
      if (step.kind !== 'event') continue
      kept.push(step.response)
      asOfThen.push(structuredClone(step.response))
      expect(assistantText(step.response)).toBe(reader.state.text)
    }
    expect(kept).toEqual(asOfThen)
    expect(kept.map(assistantText)).toEqual(['', 'Hel', 'Hello', 'Hello wörld', 'Hello wörld', 'Hello wörld', 'Hello wörld', 'Hello wörld!'])
    expect(kept.map((event) => event.message!.status)).toEqual([...Array(7).fill('in_progress'), 'finished_successfully'])
    expect(kept[5]!.message!.content.parts).toEqual(['Hello wörld', 'second part'])
    expect(kept[6]!.message!.content.parts).toEqual(['Hello wörld'])
    expect(kept[4]!.message!.metadata).toEqual({ model_slug: 'gpt-4o', parent_id: 'u1' })
    // Unchanged parts are shared, not copied: what makes an event cost O(its path).
    expect(kept[7]!.message!.author).toBe(kept[0]!.message!.author)
  })

  it('v1: a step read after the next push throws instead of showing a later state', () => {
    const reader = new ReplyReader()
    const first = reader.push({ event: 'delta', data: JSON.stringify(startOp()) })
    reader.push({ event: 'delta', data: JSON.stringify({ p: TEXT_PATH, o: 'append', v: 'x' }) })
    expect(first.kind).toBe('event')
    expect(() => (first as { response: unknown }).response).toThrow(/before|after the next push/)
  })
})

describe('the cost of v1 snapshots', () => {
  it('per-event work does not grow with the document: 20,000 appends, a snapshot after each', () => {
    const doc = new DeltaDocument()
    doc.apply(startOp())
    doc.apply({ p: TEXT_PATH, o: 'append', v: '' })
    const costs: number[] = []
    const snapshots: unknown[] = []
    for (let i = 0; i < 20_000; i++) {
      const before = doc.work
      doc.apply({ v: 'word ' })
      costs.push(doc.work - before)
      snapshots.push(doc.snapshot())
    }
    // The same small cost for the first event and the last (a deep copy would grow to ~100,000).
    expect(new Set(costs)).toEqual(new Set([costs[0]]))
    expect(costs[0]).toBeLessThan(30)
    const textOf = (snapshot: unknown) => (snapshot as { message: { content: { parts: string[] } } }).message.content.parts[0]
    expect(textOf(snapshots[0])).toBe('word ')
    expect(textOf(snapshots[9_999])!.length).toBe(10_000 * 5)
    expect(textOf(snapshots[19_999])!.length).toBe(20_000 * 5)
  })

  it('a ReplyReader whose every response is read costs the same per event as one whose are not', () => {
    const run = (read: boolean) => {
      const reader = new ReplyReader()
      reader.push({ event: 'delta', data: JSON.stringify(startOp()) })
      reader.push({ event: 'delta', data: JSON.stringify({ p: TEXT_PATH, o: 'append', v: 'a' }) })
      const costs: number[] = []
      for (let i = 0; i < 20_000; i++) {
        const before = reader.deltaWork
        const step = reader.push({ event: 'delta', data: '{"v":" b"}' })
        if (read && step.kind === 'event') void step.response
        costs.push(reader.deltaWork - before)
      }
      return { costs, text: reader.state.text }
    }
    const reading = run(true)
    const notReading = run(false)
    expect(reading.costs).toEqual(notReading.costs)
    expect(Math.max(...reading.costs)).toBe(Math.min(...reading.costs))
    expect(reading.text).toBe(notReading.text)
    expect(reading.text.length).toBe(1 + 20_000 * 2)
  })
})
