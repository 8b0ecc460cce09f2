/**
 * The documents of a v1 stream (2026: one per `c`), the sticky path and op across them, the
 * bounds on their number and size, and the edits a document reports at a watched path.
 */
import { describe, expect, it } from 'vitest'

import { DeltaDocument } from '../packages/chatgpt-kit/src/internal/delta-patch.js'
import { DeltaStream, MAX_DOCUMENTS } from '../packages/chatgpt-kit/src/internal/delta-stream.js'
import { TEXT_PATH, v1StartOp } from './helpers/v1-ops.js'

const textOf = (doc: DeltaDocument) => (doc.live as { message: { content: { parts: string[] } } }).message.content.parts[0]

describe('DeltaStream', () => {
  it('keeps one document per c, with p and o sticky from one document to the next', () => {
    const stream = new DeltaStream(1e6, TEXT_PATH)
    const system = stream.apply({ ...v1StartOp(), c: 0 }, 10)
    // A bare {v, c}: an `add` at the root of document 1, as the 2026 capture sends the user's message.
    const user = stream.apply({ v: (v1StartOp().v as object), c: 1 }, 10)
    const appended = stream.apply({ p: TEXT_PATH, o: 'append', v: 'Hi' }, 10)
    const more = stream.apply({ v: ' there' }, 10)
    expect(system.kind === 'applied' && user.kind === 'applied' && appended.kind === 'applied' && more.kind === 'applied').toBe(true)
    if (system.kind !== 'applied' || user.kind !== 'applied' || more.kind !== 'applied') return
    expect(system.doc).not.toBe(user.doc)
    expect(more.doc).toBe(user.doc)
    expect(textOf(user.doc)).toBe('Hi there')
    expect(textOf(system.doc)).toBe('')
    // Back to document 0, by its counter; a counter that is not a whole number is no counter.
    stream.apply({ p: TEXT_PATH, o: 'append', v: 'sys', c: 0 }, 10)
    stream.apply({ v: '!', c: -1 }, 10)
    stream.apply({ v: '?', c: '1' }, 10)
    expect(textOf(system.doc)).toBe('sys!?')
    expect(textOf(user.doc)).toBe('Hi there')
  })

  it(`ignores events for documents past ${MAX_DOCUMENTS}`, () => {
    const stream = new DeltaStream(1e9)
    const kinds = Array.from({ length: MAX_DOCUMENTS + 5 }, (_, c) => stream.apply({ ...v1StartOp(), c }, 10).kind)
    expect(kinds.filter((kind) => kind === 'applied')).toHaveLength(MAX_DOCUMENTS)
    expect(kinds.slice(MAX_DOCUMENTS)).toEqual(Array(5).fill('ignored'))
    // The documents it has still take ops.
    expect(stream.apply({ ...v1StartOp(), c: 3 }, 10).kind).toBe('applied')
  })

  it('bounds the characters all documents are built from; an add at the root frees what its document held', () => {
    const stream = new DeltaStream(100)
    expect(stream.apply({ ...v1StartOp(), c: 0 }, 40).kind).toBe('applied')
    expect(stream.apply({ ...v1StartOp(), c: 1 }, 40).kind).toBe('applied')
    // Document 0 is replaced: its 40 characters no longer count.
    expect(stream.apply({ ...v1StartOp(), c: 0 }, 40).kind).toBe('applied')
    expect(stream.apply({ p: TEXT_PATH, o: 'append', v: 'x' }, 15).kind).toBe('applied')
    expect(stream.apply({ v: 'y', c: 1 }, 10).kind).toBe('too-large')
  })
})

describe('DeltaDocument: edits at a watched path', () => {
  const start = () => {
    const doc = new DeltaDocument(TEXT_PATH)
    doc.apply(v1StartOp())
    doc.apply({ p: TEXT_PATH, o: 'append', v: 'Hello' })
    return doc
  }

  it('reports appends and cuts of the string there, in order, patches included', () => {
    const doc = start()
    expect(doc.watched).toEqual({ edits: ['Hello'], clobbered: false })
    doc.apply({
      p: '',
      o: 'patch',
      v: [
        { p: TEXT_PATH, o: 'append', v: ' wonderful world' },
        { p: TEXT_PATH, o: 'truncate', v: 5 },
        { p: '/message/status', o: 'replace', v: 'finished_successfully' },
        { p: TEXT_PATH, o: 'append', v: ' there' }
      ]
    })
    expect(doc.watched).toEqual({ edits: [' wonderful world', 5, ' there'], clobbered: false })
    expect(textOf(doc)).toBe('Hello there')
    doc.apply({ p: '/message/metadata', o: 'append', v: { a: 1 } })
    expect(doc.watched).toEqual({ edits: [], clobbered: false })
  })

  it.each([
    ['a replace of the text', { p: TEXT_PATH, o: 'replace', v: 'Bye' }],
    ['an add at the root', v1StartOp()],
    ['a merge into an ancestor', { p: '/message/content', o: 'append', v: { parts: ['new'] } }],
    ['a write below the text', { p: `${TEXT_PATH}/x`, o: 'add', v: 1 }],
    ['a cut to a length that is no index', { p: TEXT_PATH, o: 'truncate', v: -2 }],
    // Conservative: `-` may name the text's own index (in an empty array).
    ["an add at an array's '-'", { p: '/message/content/parts/-', o: 'add', v: 'x' }]
  ])('says the text was clobbered by %s', (_what, op) => {
    const doc = start()
    doc.apply(op)
    expect(doc.watched.clobbered).toBe(true)
  })
})
