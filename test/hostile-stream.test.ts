/**
 * Hostile v1 delta streams (issue 8): each event costs bounded work, whatever its path, patch or
 * value. The cost is counted (DeltaDocument.work, in the units of MAX_WORK_PER_EVENT), never timed.
 * An op over a limit is ignored (see delta-patch.ts for why): the reply goes on with the text.
 */
import { describe, expect, it } from 'vitest'

import {
  DeltaDocument,
  MAX_CONTAINER_ENTRIES,
  MAX_PATH_CHARS,
  MAX_PATH_DEPTH,
  MAX_WORK_PER_EVENT,
  type DeltaOp
} from '../packages/chatgpt-kit/src/internal/delta-patch.js'
import { ReplyReader } from '../packages/chatgpt-kit/src/internal/reply.js'
import { TEXT_PATH, v1StartOp } from './helpers/v1-ops.js'

const startOp = (): DeltaOp => v1StartOp()

const finishOp: DeltaOp = {
  p: '',
  o: 'patch',
  v: [
    { p: '/message/status', o: 'replace', v: 'finished_successfully' },
    { p: '/message/end_turn', o: 'replace', v: true }
  ]
}

/** A ReplyReader fed v1 events, each as the JSON text a server would send. */
function v1Reader() {
  const reader = new ReplyReader()
  reader.push({ event: 'delta_encoding', data: '"v1"' })
  const send = (op: DeltaOp | string) => reader.push({ event: 'delta', data: typeof op === 'string' ? op : JSON.stringify(op) })
  return { reader, send }
}

/** A document that has started a reply, and a function that returns the work one op costs. */
function startedDocument() {
  const doc = new DeltaDocument()
  doc.apply(startOp())
  doc.apply({ p: TEXT_PATH, o: 'append', v: 'Hi' })
  const cost = (op: DeltaOp) => {
    const before = doc.work
    doc.apply(op)
    return doc.work - before
  }
  const message = () => (doc.snapshot() as { message: Record<string, any> }).message
  return { doc, cost, message }
}

const deepPath = (depth: number) => '/a'.repeat(depth)

describe('a hostile v1 stream costs bounded work per event', () => {
  it('a path 100,000 segments deep, then 20,000 sticky appends: ignored, for ~1 unit each', () => {
    const { reader, send } = v1Reader()
    send(startOp())
    send({ p: TEXT_PATH, o: 'append', v: 'Hello' })
    const before = reader.deltaWork
    send(`{"p":"${deepPath(100_000)}","o":"add","v":{}}`)
    for (let i = 0; i < 20_000; i++) send('{"v":"x"}')
    const spent = reader.deltaWork - before
    // Before the fix each sticky append walked (and built) all 100,000 levels: 2·10^9 segments.
    expect(spent).toBeLessThanOrEqual(20_001 * 2)
    // The appends went nowhere: not to the deep path, and not to the previous (text) path.
    expect(reader.state.text).toBe('Hello')
    send({ p: TEXT_PATH, o: 'append', v: ' world' })
    send(finishOp)
    expect(reader.state).toMatchObject({ text: 'Hello world', finished: true })
  })

  it('a sticky op after a refused path is ignored, not applied to the path before it', () => {
    for (const refused of ['/__proto__/x', deepPath(MAX_PATH_DEPTH + 1), `/${'k'.repeat(MAX_PATH_CHARS)}`, 'no-slash']) {
      const { reader, send } = v1Reader()
      send(startOp())
      send({ p: TEXT_PATH, o: 'append', v: 'Hi' })
      send({ p: refused, o: 'append', v: '!' })
      send({ v: ' more' })
      expect(reader.state.text, refused.slice(0, 20)).toBe('Hi')
    }
  })

  it(`paths: up to ${MAX_PATH_DEPTH} segments and ${MAX_PATH_CHARS} characters apply, longer ones are ignored`, () => {
    const { cost, message } = startedDocument()
    expect(cost({ p: `/message/metadata${deepPath(MAX_PATH_DEPTH - 2)}`, o: 'add', v: 1 })).toBeGreaterThan(MAX_PATH_DEPTH)
    let node: any = message().metadata
    for (let i = 0; i < MAX_PATH_DEPTH - 2; i++) node = node.a
    expect(node).toBe(1)

    expect(cost({ p: `/message/metadata/b${deepPath(MAX_PATH_DEPTH - 2)}`, o: 'add', v: 1 })).toBe(1)
    expect(message().metadata.b).toBeUndefined()
    const longKey = 'k'.repeat(MAX_PATH_CHARS - '/message/metadata/'.length)
    cost({ p: `/message/metadata/${longKey}`, o: 'add', v: 1 })
    expect(message().metadata[longKey]).toBe(1)
    expect(cost({ p: `/message/metadata/${longKey}x`, o: 'add', v: 2 })).toBe(1)
    expect(message().metadata[`${longKey}x`]).toBeUndefined()
  })

  it('a patch of 10^6 ops is refused whole, before one of them runs', () => {
    const { cost, message } = startedDocument()
    const ops = Array.from({ length: 1_000_000 }, () => ({ p: TEXT_PATH, o: 'append', v: 'x' }))
    expect(cost({ p: '', o: 'patch', v: ops })).toBe(1)
    expect(message().content.parts[0]).toBe('Hi')
    // A patch the size a server sends applies.
    cost({ p: '', o: 'patch', v: ops.slice(0, 5) })
    expect(message().content.parts[0]).toBe('Hixxxxx')
  })

  it('a patch within the op count but over the work budget stops where the budget runs out', () => {
    const { doc, message } = startedDocument()
    const ops = Array.from({ length: 1000 }, () => ({ p: TEXT_PATH, o: 'append', v: 'x' }))
    const before = doc.work
    doc.apply({ p: '', o: 'patch', v: ops })
    expect(doc.work - before).toBeLessThanOrEqual(MAX_WORK_PER_EVENT)
    const applied = (message().content.parts[0] as string).length - 2
    expect(applied).toBeGreaterThan(0)
    expect(applied).toBeLessThan(1000)
    // The next event has a budget of its own.
    doc.apply({ p: TEXT_PATH, o: 'append', v: '!' })
    expect((message().content.parts[0] as string).endsWith('!')).toBe(true)
  })

  it('patches nested 100,000 deep cost at most one budget, and do not overflow the stack', () => {
    const { doc, message } = startedDocument()
    const nested = `${'{"p":"","o":"patch","v":['.repeat(100_000)}{"p":"${TEXT_PATH}","o":"append","v":"!"}${']}'.repeat(100_000)}`
    const before = doc.work
    expect(() => doc.apply(JSON.parse(nested))).not.toThrow()
    expect(doc.work - before).toBeLessThanOrEqual(MAX_WORK_PER_EVENT)
    expect(message().content.parts[0]).toBe('Hi')
    // A few levels, as a server might nest, apply.
    doc.apply(JSON.parse(`${'{"p":"","o":"patch","v":['.repeat(3)}{"p":"${TEXT_PATH}","o":"append","v":"!"}${']}'.repeat(3)}`))
    expect(message().content.parts[0]).toBe('Hi!')
  })

  it(`appends that would grow an array or object past ${MAX_CONTAINER_ENTRIES} entries are ignored, for O(1) work`, () => {
    const { cost, message } = startedDocument()
    const huge = Array.from({ length: 400_000 }, (_, i) => i)
    expect(cost({ p: '/message/content/parts', o: 'append', v: huge })).toBeLessThan(20)
    expect(message().content.parts).toEqual(['Hi'])
    const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))
    expect(cost({ p: '/message/metadata', o: 'append', v: many })).toBeLessThan(100_000)
    expect(message().metadata).toEqual({})
    // Within the cap they apply.
    cost({ p: '/message/content/parts', o: 'append', v: ['b', 'c'] })
    cost({ p: '/message/metadata', o: 'append', v: { model_slug: 'gpt-4o' } })
    expect(message().content.parts).toEqual(['Hi', 'b', 'c'])
    expect(message().metadata).toEqual({ model_slug: 'gpt-4o' })
  })

  it('an object the stream added over the cap is counted once; every later op through it costs O(1)', () => {
    const { doc, cost, message } = startedDocument()
    const big = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, { x: '' }]))
    doc.apply({ p: '/message/metadata', o: 'add', v: big })
    const costs = Array.from({ length: 1000 }, () => cost({ p: '/message/metadata/k1/x', o: 'append', v: 'y' }))
    expect(Math.max(...costs)).toBeLessThan(20)
    expect(message().metadata.k1.x).toBe('')
  })

  it('an index past the end of an array, or a key that is not an index, is ignored', () => {
    const { cost, message } = startedDocument()
    for (const p of ['/message/content/parts/1000000000', '/message/content/parts/length', '/message/content/parts/01', '/message/content/parts/5/x']) {
      expect(cost({ p, o: 'add', v: 'x' }), p).toBeLessThan(20)
    }
    expect(message().content.parts).toEqual(['Hi'])
    cost({ p: '/message/content/parts/-', o: 'add', v: 'next' })
    cost({ p: '/message/content/parts/1', o: 'replace', v: 'second' })
    expect(message().content.parts).toEqual(['Hi', 'second'])
  })

  it('the cost of a stream does not depend on whether snapshots are taken', () => {
    const ops: DeltaOp[] = [
      startOp(),
      { p: TEXT_PATH, o: 'append', v: 'a' },
      ...Array.from({ length: 50 }, (_, i) => ({ v: `w${i} ` })),
      { p: '/message/metadata', o: 'append', v: { a: 1, b: 2 } },
      { p: '/message/content/parts', o: 'append', v: ['x'] },
      { p: '/message/content/parts/1', o: 'remove' },
      finishOp
    ]
    const plain = new DeltaDocument()
    const snapshotting = new DeltaDocument()
    for (const op of ops) {
      plain.apply(structuredClone(op))
      snapshotting.apply(structuredClone(op))
      snapshotting.snapshot()
    }
    expect(snapshotting.work).toBe(plain.work)
    expect(snapshotting.snapshot()).toEqual(plain.snapshot())
  })
})
