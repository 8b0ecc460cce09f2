import { describe, expect, it } from 'vitest'

import { ChatGPTMessageStream, type ChatGPTStreamUpdate } from '../packages/chatgpt-kit/src/index.js'
import { TextDeltas, type TextDelta } from '../packages/chatgpt-kit/src/internal/text-deltas.js'
import { mulberry32 as prng } from './helpers/prng.js'
import { setup } from './helpers/backend.js'

/** What an append-only consumer that honours `replaced` ends up with. */
function joinDeltas(deltas: Iterable<Pick<TextDelta, 'delta' | 'replaced'>>): string {
  let joined = ''
  for (const { delta, replaced } of deltas) joined = replaced ? delta : joined + delta
  return joined
}

function feed(deltas: TextDeltas, text: string, size: number): TextDelta[] {
  const out: TextDelta[] = []
  for (let at = size; at < text.length; at += size) out.push(deltas.take(text.slice(0, at)))
  out.push(deltas.take(text, true))
  return out
}

describe('TextDeltas', () => {
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 97}`).join(' ')

  it('costs what the text adds: 200k characters in 5-character pieces, with and without held-back lines', () => {
    const lines = words(40_000).replace(/(word9\d) /g, '$1\n')
    for (const text of [lines.slice(0, 200_000), words(40_000).slice(0, 200_000)]) {
      for (const holdBack of [false, true]) {
        const deltas = new TextDeltas(holdBack)
        const out = feed(deltas, text, 5)
        expect(out.map((d) => d.delta).join('')).toBe(text)
        expect(out.some((d) => d.replaced)).toBe(false)
        // Comparing or searching the whole text on every event would read ~n²/10 = 4·10⁹.
        expect(deltas.charactersScanned).toBeLessThanOrEqual(20 * text.length)
      }
    }
  })

  it('holds back the last two lines of plain text, and hands out the rest as it settles', () => {
    const deltas = new TextDeltas(true)
    expect(deltas.take('one\ntwo')).toEqual({ delta: '', replaced: false })
    expect(deltas.take('one\ntwo\nthree')).toEqual({ delta: 'one', replaced: false })
    expect(deltas.take('one\ntwo\nthree\n\n\nfour')).toEqual({ delta: '\ntwo\nthree', replaced: false })
    expect(deltas.take('one\ntwo\nthree\n\n\nfour!', true)).toEqual({ delta: '\n\n\nfour!', replaced: false })
  })

  it('says when the text was replaced, and hands out the new text from its start', () => {
    const deltas = new TextDeltas()
    expect(deltas.take('Let me look')).toEqual({ delta: 'Let me look', replaced: false })
    expect(deltas.take('Let me look that up')).toEqual({ delta: ' that up', replaced: false })
    expect(deltas.take('The')).toEqual({ delta: 'The', replaced: true })
    expect(deltas.take('The answer')).toEqual({ delta: ' answer', replaced: false })
    expect(deltas.take('The answer is 42', true)).toEqual({ delta: ' is 42', replaced: false })
  })

  it('catches a revision in the middle at the latest on the final text', () => {
    const text = words(2_000)
    const revised = `${text.slice(0, 5_000)}WORD${text.slice(5_004)}`
    const deltas = new TextDeltas()
    const out = [deltas.take(text.slice(0, 8_000))]
    // The middle changed, the ends did not: too costly to notice on every event…
    out.push(deltas.take(revised.slice(0, 9_000)))
    // …but the final text is compared in full.
    out.push(deltas.take(revised, true))
    expect(out.at(-1)!.replaced).toBe(true)
    expect(joinDeltas(out)).toBe(revised)
  })

  it('keeps the rule on random appends, rewrites and truncations', () => {
    const random = prng(11)
    for (let round = 0; round < 300; round++) {
      const deltas = new TextDeltas(round % 2 === 1)
      const out: TextDelta[] = []
      let text = ''
      for (let step = 0; step < 40; step++) {
        const roll = random()
        if (roll < 0.75) text += random() < 0.2 ? '\n' : words(1 + Math.floor(random() * 3)).slice(0, 1 + Math.floor(random() * 12))
        else if (roll < 0.85) text = text.slice(0, Math.floor(random() * text.length))
        else if (roll < 0.95 && text.length > 0) {
          const at = Math.floor(random() * text.length)
          text = `${text.slice(0, at)}#${text.slice(at + 1)}`
        } else text = words(1 + Math.floor(random() * 5))
        out.push(deltas.take(text))
      }
      out.push(deltas.take(text, true))
      expect(joinDeltas(out), `round ${round}`).toBe(text)
    }
  })
})

/** A v1 stream whose text is replaced half-way (what a server sends after a tool call or a revision). */
function rewritingStream(events: object[]): ReadableStream<Uint8Array> {
  const frames = [
    'event: delta_encoding\ndata: "v1"\n\n',
    ...events.map((op) => `event: delta\ndata: ${JSON.stringify(op)}\n\n`),
    'data: [DONE]\n\n'
  ]
  const encoder = new TextEncoder()
  return new ReadableStream({
    async pull(controller) {
      const frame = frames.shift()
      if (frame === undefined) return controller.close()
      // One event at a time, so the consumer sees the updates one by one.
      await new Promise((resolve) => setTimeout(resolve, 2))
      controller.enqueue(encoder.encode(frame))
    }
  })
}

const PARTS = '/message/content/parts/0'
const start = {
  p: '',
  o: 'add',
  v: {
    message: { id: 'm1', author: { role: 'assistant' }, content: { content_type: 'text', parts: [''] }, status: 'in_progress', recipient: 'all' },
    conversation_id: 'c1',
    error: null
  }
}
const finish = { p: '', o: 'patch', v: [{ p: '/message/status', o: 'replace', v: 'finished_successfully' }, { p: '/message/end_turn', o: 'replace', v: true }] }

/** A client of the test backend whose conversation stream is `events` instead. */
async function clientWithStream(events: object[], markdown = true) {
  const { api } = await setup({}, {
    markdown,
    fetch: async (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.endsWith('/backend-api/conversation') && init?.method === 'POST') {
        return new Response(rewritingStream(events), { headers: { 'content-type': 'text/event-stream' } })
      }
      return fetch(input, init)
    }
  })
  return api
}

async function collect(stream: ChatGPTMessageStream): Promise<ChatGPTStreamUpdate[]> {
  const updates: ChatGPTStreamUpdate[] = []
  for await (const update of stream) updates.push(update)
  return updates
}

describe('streamMessage when the server rewrites the text', () => {
  const replacing = [
    start,
    { p: PARTS, o: 'append', v: 'Let me **check**' },
    { v: ' that for you.\n\nSearching' },
    { p: PARTS, o: 'replace', v: 'The answer' },
    { p: PARTS, o: 'append', v: ' is **42**.\n\nAnything else?' },
    finish
  ]

  for (const markdown of [true, false]) {
    it(`marks the replacing update, and the deltas since it join to the result (markdown: ${markdown})`, async () => {
      const api = await clientWithStream(replacing, markdown)
      const stream = api.streamMessage('What is the answer?')
      const updates = await collect(stream)
      const { text } = await stream.result
      expect(text).toBe(markdown ? 'The answer is **42**.\n\nAnything else?' : 'The answer is 42.\n\nAnything else?')
      expect(updates.filter((u) => u.replaced)).toHaveLength(1)
      expect(joinDeltas(updates)).toBe(text)
      // Before the replacement, the deltas were the start of the old text.
      const before = updates.slice(0, updates.findIndex((u) => u.replaced))
      expect(before.length).toBeGreaterThan(0)
      expect(before.map((u) => u.delta).join('')).toMatch(/^Let me /)
    })
  }

  it('writes the replacing text after a blank line in toReadableStream()', async () => {
    const api = await clientWithStream(replacing)
    const body = await new Response(api.streamMessage('What is the answer?').toReadableStream()).text()
    expect(body).toBe('Let me **check** that for you.\n\nSearching\n\nThe answer is **42**.\n\nAnything else?')
  })

  it('catches a revision of earlier text that keeps its length and ends', async () => {
    const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ')
    const revised = long.replace('w150', 'W150')
    const api = await clientWithStream([start, { p: PARTS, o: 'append', v: long }, { p: PARTS, o: 'replace', v: revised }, { p: PARTS, o: 'append', v: ' end' }, finish])
    const stream = api.streamMessage('Hi')
    const updates = await collect(stream)
    expect((await stream.result).text).toBe(`${revised} end`)
    expect(updates.at(-1)!.replaced).toBe(true)
    expect(joinDeltas(updates)).toBe(`${revised} end`)
  })
})

describe('ChatGPTMessageStream merging updates for a slow consumer', () => {
  it('keeps the rule when a replacement is among the merged updates', async () => {
    const texts = ['a', 'ab', 'abc', 'X', 'XY', 'XYZ']
    const stream = new ChatGPTMessageStream(async (_signal, onUpdate) => {
      for (const text of texts) onUpdate(text, { messageId: 'm', conversationId: 'c' })
      return { text: 'XYZ!', messageId: 'm', conversationId: 'c', parentMessageId: 'p' }
    })
    // Nobody iterated while the updates came: they were merged into one.
    await stream.result
    const updates = await collect(stream)
    expect(joinDeltas(updates)).toBe('XYZ!')
    expect(updates[0]!.replaced).toBe(true)
  })
})
