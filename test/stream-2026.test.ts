/**
 * The 2026 stream (PROTOCOL-2026.md §7), end to end over the test backend's `'2026'` shape: a
 * client shows exactly the user-visible text (no thoughts, no tool text, no citation markers,
 * even split across deltas and bytes), reports the title, model, finish and moderation, and
 * keeps the reasoning apart. What the reader costs is counted, never timed.
 */
import { describe, expect, it } from 'vitest'

import { markdownToText, type ConversationResponseEvent } from '../packages/chatgpt-kit/src/index.js'
import { BodyReader } from '../packages/chatgpt-kit/src/internal/body-reader.js'
import { ReplyReader } from '../packages/chatgpt-kit/src/internal/reply.js'
import { readReplyStream } from '../packages/chatgpt-kit/src/internal/reply-stream.js'
import { SSEDecoder } from '../packages/chatgpt-kit/src/internal/sse.js'
import { titleFrom } from '../packages/chatgpt-kit/src/testing/backend-api-endpoints.js'
import { reasoning2026 } from '../packages/chatgpt-kit/src/testing/event-shape-2026.js'
import type { TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup } from './helpers/backend.js'

const REPLY = 'Paris is the capital of **France**. It has the Louvre.\n\nAsk me more — café ☕ 😀!'
const reply = () => REPLY
const EVERYTHING = 'Please think, cite your sources and flag this.'
const MARKERS = /[\ue200-\ue206]/
/** Text that only the thoughts and tool messages hold: none of it may show. */
const HIDDEN = /Reading the request|Planning the answer|skipped_mainline|search_query|Search results|essay/

type Json = Record<string, any>

/** The raw SSE of one `next` message, as parsed events. */
async function rawStream(backend: TestBackend, token: string, prompt: string): Promise<{ event?: string; data: Json | string }[]> {
  const res = await fetch(`${backend.backendApiBaseUrl}/conversation`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      cookie: `cf_clearance=${backend.clearanceToken}`,
      'user-agent': backend.userAgent
    },
    body: JSON.stringify({
      action: 'next',
      messages: [{ id: crypto.randomUUID(), role: 'user', content: { content_type: 'text', parts: [prompt] } }],
      model: 'gpt-4o',
      parent_message_id: crypto.randomUUID()
    })
  })
  expect(res.status).toBe(200)
  const events: { event?: string; data: Json | string }[] = []
  const decoder = new SSEDecoder(({ event, data }) => {
    if (data === '') return
    events.push({ event, data: data === '[DONE]' ? data : JSON.parse(data) })
  })
  decoder.push(new Uint8Array(await res.arrayBuffer()))
  decoder.end()
  return events
}

describe("the '2026' stream, as the backend sends it", () => {
  it('replays the capture: encoding, resume token, documents by c, input_message, marker, title, metadata, complete, [DONE]', async () => {
    const { backend, api } = await setup({ shape: '2026', reply })
    const events = await rawStream(backend, await api.ensureAuth(), 'Hi there')
    const typed = events.flatMap((e) => (typeof e.data === 'object' && typeof e.data.type === 'string' ? [e.data.type] : []))
    expect(events[0]).toEqual({ event: 'delta_encoding', data: 'v1' })
    expect(typed).toEqual([
      'resume_conversation_token',
      'input_message',
      'message_marker',
      'title_generation',
      'message_marker',
      'title_generation',
      'conversation_detail_metadata',
      'server_ste_metadata',
      'message_stream_complete'
    ])
    expect(events.at(-1)!.data).toBe('[DONE]')
    const counters = events.flatMap((e) => (e.event === 'delta' && typeof e.data === 'object' && 'c' in e.data ? [e.data.c] : []))
    expect(counters).toEqual([0, 1, 2])
    // The user's document and the assistant's come as bare {v, c}: `p` and `o` stick from the `add` before.
    const starts = events.filter((e) => e.event === 'delta' && typeof e.data === 'object' && 'c' in e.data)
    expect(starts.map((e) => Object.keys(e.data as Json).sort())).toEqual([['c', 'o', 'p', 'v'], ['c', 'v'], ['c', 'v']])
  })

  it('carries thoughts, a search, citation markers (one split across deltas, one taken back by truncate) and a moderation flag on the wire', async () => {
    const { backend, api } = await setup({ shape: '2026', reply })
    const events = await rawStream(backend, await api.ensureAuth(), EVERYTHING)
    const wire = JSON.stringify(events)
    expect(wire).toContain('"content_type":"thoughts"')
    expect(wire).toContain('"recipient":"web.run"')
    expect(wire).toContain('"role":"tool"')
    expect(wire).toContain('"o":"truncate"')
    expect(wire).toContain('"flagged":true')
    const appended = events.flatMap((e) => {
      const data = e.data as Json
      if (e.event !== 'delta' || typeof data.v !== 'string') return []
      return [data.v as string]
    })
    const opensOnly = appended.findIndex((v) => v.includes('\ue200') && !v.includes('\ue201'))
    expect(opensOnly).toBeGreaterThanOrEqual(0)
    expect(appended[opensOnly + 1]).toMatch(/^[^\ue200]*\ue201/)
    // The stored message holds the text only.
    const conversationId = (events.find((e) => (e.data as Json).type === 'message_stream_complete')!.data as Json).conversation_id
    const stored = backend.conversations.get(conversationId)!
    expect(stored.mapping[stored.currentNode]!.message!.content.parts[0]).toBe(REPLY)
  })
})

describe("a client reading the '2026' stream", () => {
  it('gets the text, the model from the message (not server_ste_metadata), finish, and the new conversation title', async () => {
    const { backend, api } = await setup({ shape: '2026', reply, models: ['gpt-5-2'] }, { model: 'gpt-5-2' })
    const progress: string[] = []
    const result = await api.sendMessageDetailed('Tell me about Paris', { onProgress: (text) => progress.push(text) })
    expect(result).toMatchObject({ text: REPLY, model: 'gpt-5-2', finishReason: 'stop', title: titleFrom('Tell me about Paris') })
    expect(result.model).not.toBe('i-mini')
    expect(result.reasoning).toBeUndefined()
    expect(result.moderated).toBeUndefined()
    expect(progress.at(-1)).toBe(REPLY)
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.startsWith(progress[i - 1]!)).toBe(true)
    expect(backend.conversations.get(result.conversationId)!.title).toBe(result.title)

    // A later turn of the conversation streams no title.
    const next = await api.sendMessageDetailed('And Lyon?', { conversationId: result.conversationId, parentMessageId: result.messageId })
    expect(next.text).toBe(REPLY)
    expect(next.title).toBeUndefined()
  })

  it.each(['event', 'bytes', 3] as const)(
    'shows exactly the visible text: no thoughts, tool text or citation markers, even split (chunking %s)',
    async (chunking) => {
      const { api } = await setup({ shape: '2026', reply, chunking })
      const progress: string[] = []
      const events: ConversationResponseEvent[] = []
      const result = await api.sendMessageDetailed(EVERYTHING, {
        onProgress: (text) => progress.push(text),
        onConversationResponse: (event) => events.push(event)
      })
      expect(result.text).toBe(REPLY)
      expect(progress.at(-1)).toBe(REPLY)
      for (const text of progress) {
        expect(text).not.toMatch(MARKERS)
        expect(text).not.toMatch(HIDDEN)
        expect(REPLY.startsWith(text)).toBe(true)
      }
      // The reasoning is apart from the text, whole, and so is the moderation flag.
      expect(result.reasoning).toBe(reasoning2026(EVERYTHING))
      expect(result.moderated).toBe(true)
      expect(result.title).toBe(titleFrom(EVERYTHING))
      // The thoughts and tool messages did reach the client: it chose not to show them.
      const kinds = new Set(events.map((event) => event.message?.content?.content_type ?? event.message?.author?.role))
      expect([...kinds]).toEqual(expect.arrayContaining(['thoughts', 'code', 'text']))
    }
  )

  it('streams deltas that join to the visible text, and plain text without markers (markdown: false)', async () => {
    const { api } = await setup({ shape: '2026', reply, chunking: 'bytes' })
    let joined = ''
    const stream = api.streamMessage(EVERYTHING)
    for await (const update of stream) {
      expect(update.delta).not.toMatch(MARKERS)
      joined = update.replaced ? update.delta : joined + update.delta
    }
    expect(joined).toBe(REPLY)
    expect((await stream.result).reasoning).toBe(reasoning2026(EVERYTHING))

    const { api: plain } = await setup({ shape: '2026', reply }, { markdown: false })
    const result = await plain.sendMessageDetailed(EVERYTHING)
    expect(result.text).toBe(markdownToText(REPLY))
    expect(result.text).not.toMatch(MARKERS)
  })

  it('keeps the history free of markers, thoughts and tool messages', async () => {
    const { api } = await setup({ shape: '2026', reply })
    const result = await api.sendMessageDetailed(EVERYTHING)
    const history = await api.getConversationHistory(result.conversationId)
    expect(history.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', EVERYTHING],
      ['assistant', REPLY]
    ])
  })

  it('joins the reasoning of every round of an auto-continued reply', async () => {
    const { api } = await setup({ shape: '2026', reply, maxReplyTokens: 6 })
    const result = await api.sendMessageDetailed('think about it', { autoContinue: 10 })
    expect(result.text).toBe(REPLY)
    const rounds = result.reasoning!.split(reasoning2026('think about it')).length - 1
    expect(rounds).toBeGreaterThan(2)
    expect(result.reasoning).toBe(Array(rounds).fill(reasoning2026('think about it')).join('\n\n'))
  })
})

describe('the 2026 reader, on its own', () => {
  const encoder = new TextEncoder()
  const frame = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`
  const start = (status: string) =>
    frame(
      {
        p: '',
        o: 'add',
        v: { message: { id: 'a1', author: { role: 'assistant' }, content: { content_type: 'text', parts: [''] }, status, recipient: 'all', metadata: {} }, conversation_id: 'c1', error: null, error_code: null },
        c: 2
      },
      'delta'
    )
  const read = (sse: string) => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(sse))
        controller.close()
      }
    })
    return readReplyStream(new BodyReader(body, new AbortController().signal), {})
  }

  it('resolves a stream cut after message_stream_complete, and only then, when the message never said it finished', async () => {
    const text = frame({ p: '/message/content/parts/0', o: 'append', v: 'Hi' }, 'delta')
    const complete = frame({ type: 'message_stream_complete', conversation_id: 'c1' })
    expect(await read(frame('v1', 'delta_encoding') + start('in_progress') + text + complete)).toMatchObject({ text: 'Hi', streamComplete: true })
    const error = await rejectionOf(read(frame('v1', 'delta_encoding') + start('in_progress') + text))
    expect(error.code).toBe('stream_incomplete')
  })

  it('fails on a document whose error_code is set', async () => {
    const failing = frame({ p: '', o: 'add', v: { message: null, conversation_id: 'c1', error: null, error_code: 'conversation_too_large' }, c: 3 }, 'delta')
    const error = await rejectionOf(read(frame('v1', 'delta_encoding') + start('in_progress') + failing))
    expect(error.code).toBe('stream_error')
    expect(error.message).toContain('conversation_too_large')
  })

  it('hides an assistant text on a channel other than final', async () => {
    const analysis = frame(
      { p: '', o: 'add', v: { message: { id: 'x', author: { role: 'assistant' }, content: { content_type: 'text', parts: ['private'] }, recipient: 'all', channel: 'analysis', metadata: {} }, conversation_id: 'c1' }, c: 3 },
      'delta'
    )
    const state = await read(frame('v1', 'delta_encoding') + start('finished_successfully') + analysis + frame({ p: '/message/content/parts/0', o: 'append', v: 'more' }, 'delta') + 'data: [DONE]\n\n')
    expect(state.text).toBe('')
    expect(state.messageId).toBe('a1')
  })

  it('reads a long reply with citations at a cost linear in its text, and bounded per event', () => {
    const run = (words: number) => {
      const reader = new ReplyReader()
      const push = (data: unknown, event?: string) => reader.push({ event, data: JSON.stringify(data) })
      push('v1', 'delta_encoding')
      push({ p: '', o: 'add', v: { message: { id: 'a1', author: { role: 'assistant' }, content: { content_type: 'text', parts: [''] }, recipient: 'all', metadata: {} }, conversation_id: 'c1' }, c: 0 })
      push({ p: '/message/content/parts/0', o: 'append', v: '' })
      let maxWork = 0
      for (let i = 0; i < words; i++) {
        const before = reader.deltaWork
        // Every tenth word ends a sentence with a citation, split across this event and the next.
        push({ v: i % 10 === 9 ? 'word.\ue200cite\ue202turn0' : i % 10 === 0 && i > 0 ? `search${i}\ue201 word ` : 'word ' })
        maxWork = Math.max(maxWork, reader.deltaWork - before)
      }
      return { text: reader.state.text, read: reader.shownTextWork, maxWork }
    }
    const short = run(2_000)
    const long = run(20_000)
    expect(long.text).not.toMatch(MARKERS)
    expect(long.text.startsWith('word word word word word word word word word word. word ')).toBe(true)
    // Each character is read once: ten times the text, ten times the reading (O(n²) would be 100×).
    expect(long.read / short.read).toBeGreaterThan(9)
    expect(long.read / short.read).toBeLessThan(11)
    expect(long.maxWork).toBe(short.maxWork)
  })
})
