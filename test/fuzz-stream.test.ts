/**
 * Fuzzing the reply-stream parser (bytes → SSE events → reply state) with a seeded PRNG, so that
 * every failure reproduces: `FUZZ_SEED=<seed> npx vitest run test/fuzz-stream.test.ts`.
 *
 * Properties:
 * - a valid stream of each shape gives the same final state, ids and progress
 *   texts however its bytes are chunked (inside multi-byte characters, between CR and LF, …);
 * - a mutated stream (bytes flipped, inserted, deleted, truncated; events duplicated, dropped,
 *   swapped; garbage lines; random JSON; deeply nested JSON; hostile delta ops) always settles:
 *   it resolves to a state or rejects with a ChatGPTError whose `code` is documented — never
 *   another exception, never a hang — and releases the stream;
 * - an endless line is refused with `invalid_response` and the download stops (bounded memory);
 * - nothing reaches `Object.prototype`.
 */
import { readFileSync } from 'node:fs'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { CHATGPT_ERROR_CODES, ChatGPTError } from '../packages/chatgpt-kit/src/errors.js'
import type { ReplyState } from '../packages/chatgpt-kit/src/internal/reply.js'
import { BodyReader } from '../packages/chatgpt-kit/src/internal/body-reader.js'
import { readReplyStream } from '../packages/chatgpt-kit/src/internal/reply-stream.js'
import { MAX_EVENT_CHARS, SSEDecoder, type SSEEvent } from '../packages/chatgpt-kit/src/internal/sse.js'
import { mulberry32 } from './helpers/prng.js'

const MASTER_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eed_2024
const VALID_CASES_PER_SHAPE = 120
const MUTATED_CASES = 900
/** More cut points than this are thinned out at random (the suite must stay fast). */
const MAX_CUTS = 400
/** A case that has not settled by then has hung (the streams are finite and in memory). */
const SETTLE_LIMIT_MS = 2_000

// ---------------------------------------------------------------------------------------------
// Documented error codes: the codes of CHATGPT_ERROR_CODES that the doc comment of packages/chatgpt-kit/src/errors.ts
// also describes, read from the source so that this test follows the documentation.

const DOCUMENTED_CODES: ReadonlySet<string> = (() => {
  const source = readFileSync(new URL('../packages/chatgpt-kit/src/errors.ts', import.meta.url), 'utf8')
  return new Set(CHATGPT_ERROR_CODES.filter((code) => source.includes(` * - \`${code}\``)))
})()

// ---------------------------------------------------------------------------------------------
// Seeded randomness


class Rng {
  private readonly next: () => number
  constructor(readonly seed: number) {
    this.next = mulberry32(seed)
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }
  id(prefix: string): string {
    return `${prefix}-${this.int(2 ** 31).toString(16)}-${this.int(2 ** 31).toString(16)}`
  }
}

/** The seed of case `index` of a test, derived from the master seed. */
function caseSeed(salt: number, index: number): number {
  return (Math.imul(MASTER_SEED ^ salt, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0
}

const reproduce = (seed?: number) =>
  `(FUZZ_SEED=${MASTER_SEED}${seed === undefined ? '' : `, case seed ${seed}`}; rerun with FUZZ_SEED=${MASTER_SEED} to reproduce)`

// ---------------------------------------------------------------------------------------------
// Valid streams of the three shapes

/** Reply pieces: ASCII, 2-, 3- and 4-byte UTF-8, ZWJ sequences, JSON escapes, SSE look-alikes. */
const TOKENS = [
  'Hello', ' world', ' é', 'é', 'ü', ' 中文', '中', '文', ' 😀', '😀', '👩‍👧', ' naïve', ' café',
  ' "quoted"', ' back\\slash', '\n', '\n\n', '\r\n', ' ```js\nconst x = 1\n```', ' data: [DONE]',
  '\n\ndata: {"v":"x"}\n\n', ' \u2028\u2029', ' ½', ' Ω', '\t', ' ', ' **bold**', ' {"json":1}'
]

type Expected = {
  frames: string[]
  text: string
  messageId: string
  conversationId: string
  finishReason: string
  model?: string
  parentMessageId?: string
  progress: string[]
  /** What else the final state must hold (2026: title, moderation, reasoning). */
  extras?: Record<string, unknown>
}

type Style = { eol: string; pad: () => string }

/** One SSE frame: an optional `event:` line, one `data:` line, a blank line. */
function frame(style: Style, data: string, event?: string): string {
  const { eol, pad } = style
  return `${event === undefined ? '' : `event: ${event}${pad()}${eol}`}data: ${data}${pad()}${eol}${eol}`
}

function randomTokens(r: Rng): string[] {
  const count = r.range(1, 24)
  return Array.from({ length: count }, () => r.pick(TOKENS))
}

function prefixes(tokens: string[]): string[] {
  const out: string[] = []
  let text = ''
  for (const token of tokens) out.push((text += token))
  return out
}

/** Noise that any SSE stream may carry and the parser must skip. */
function noiseFrame(r: Rng, style: Style): string {
  const { eol } = style
  return r.pick([
    `: keep-alive${eol}${eol}`,
    `:${eol}`,
    `id: 42${eol}${eol}`,
    `retry: 1000${eol}${eol}`,
    `event: ping${eol}data: ${eol}${eol}`,
    `data:${eol}${eol}`,
    `${eol}`
  ])
}

function build2022(r: Rng, style: Style): Expected {
  const messageId = r.id('msg')
  const conversationId = r.id('conv')
  const tokens = randomTokens(r)
  const texts = prefixes(tokens)
  const frames: string[] = []
  texts.forEach((text, i) => {
    const event = {
      message: {
        id: messageId,
        role: 'assistant',
        user: null,
        create_time: null,
        update_time: null,
        content: { content_type: 'text', parts: [text] },
        end_turn: i === texts.length - 1 ? true : null,
        weight: 1,
        recipient: 'all',
        metadata: {}
      },
      conversation_id: conversationId,
      error: null
    }
    frames.push(frame(style, JSON.stringify(event)))
    // Servers repeat events; a repeat carries no new text and must not show as progress.
    if (r.chance(0.1)) frames.push(frame(style, JSON.stringify(event)))
    if (r.chance(0.1)) frames.push(noiseFrame(r, style))
  })
  frames.push(frame(style, '[DONE]'))
  return { frames, text: texts.at(-1)!, messageId, conversationId, finishReason: 'stop', progress: texts }
}

function message2023(
  id: string,
  role: string,
  text: string,
  extra: { status?: string; end_turn?: boolean | null; metadata?: Record<string, unknown> } = {}
) {
  return {
    id,
    author: { role, name: null, metadata: {} },
    create_time: 1_700_000_000.5,
    update_time: null,
    content: { content_type: 'text', parts: [text] },
    status: extra.status ?? 'in_progress',
    end_turn: extra.end_turn ?? null,
    weight: role === 'system' ? 0 : 1,
    metadata: extra.metadata ?? {},
    recipient: 'all'
  }
}

/** The hidden system message and the user echo that 2023+ streams start with. */
function preamble(r: Rng, style: Style, conversationId: string, userId: string): string[] {
  const system = message2023(r.id('sys'), 'system', '', {
    status: 'finished_successfully',
    end_turn: true,
    metadata: { is_visually_hidden_from_conversation: true }
  })
  const user = message2023(userId, 'user', 'Say something é 中文 😀', { status: 'finished_successfully' })
  return [
    frame(style, JSON.stringify({ message: system, conversation_id: conversationId, error: null })),
    frame(style, JSON.stringify({ message: user, conversation_id: conversationId, error: null })),
    `event: ping${style.eol}data: ${style.eol}${style.eol}`
  ]
}

function build2023(r: Rng, style: Style): Expected {
  const messageId = r.id('msg')
  const conversationId = r.id('conv')
  const userId = r.id('user')
  const model = r.pick(['gpt-4o', 'text-davinci-002-render-sha', 'auto'])
  const finishReason = r.pick(['stop', 'max_tokens'])
  const tokens = randomTokens(r)
  const texts = prefixes(tokens)
  const metadata = { message_type: 'next', model_slug: model, parent_id: userId }
  const frames = preamble(r, style, conversationId, userId)
  texts.forEach((text, i) => {
    const last = i === texts.length - 1
    const message = message2023(messageId, 'assistant', text, {
      status: last ? 'finished_successfully' : 'in_progress',
      end_turn: last ? finishReason === 'stop' : null,
      metadata: last
        ? { ...metadata, finish_details: { type: finishReason, stop_tokens: [100260] }, is_complete: true }
        : metadata
    })
    frames.push(frame(style, JSON.stringify({ message, conversation_id: conversationId, error: null })))
    if (r.chance(0.1)) frames.push(noiseFrame(r, style))
  })
  const moderation = {
    conversation_id: conversationId,
    message_id: messageId,
    is_completion: true,
    moderation_response: { flagged: false, blocked: false, moderation_id: r.id('modr') }
  }
  frames.push(frame(style, JSON.stringify(moderation)))
  frames.push(frame(style, JSON.stringify({ type: 'moderation', ...moderation })))
  frames.push(frame(style, '[DONE]'))
  return {
    frames,
    text: texts.at(-1)!,
    messageId,
    conversationId,
    finishReason,
    model,
    parentMessageId: userId,
    progress: texts,
    // Both moderation events said neither flagged nor blocked.
    extras: { moderated: false }
  }
}

function buildV1(r: Rng, style: Style): Expected {
  const messageId = r.id('msg')
  const conversationId = r.id('conv')
  const userId = r.id('user')
  const tokens = randomTokens(r)
  const texts = prefixes(tokens)
  const delta = (op: unknown) => frame(style, JSON.stringify(op), 'delta')
  const frames = [frame(style, '"v1"', 'delta_encoding'), ...preamble(r, style, conversationId, userId)]
  const start = message2023(messageId, 'assistant', '', {
    metadata: { message_type: 'next', model_slug: 'gpt-4o', parent_id: userId }
  })
  frames.push(delta({ p: '', o: 'add', v: { message: start, conversation_id: conversationId, error: null }, c: 0 }))
  // All tokens but the last arrive as appends (sticky p and o); the last rides in the final patch.
  const body = tokens.slice(0, -1)
  body.forEach((token, i) => {
    if (i === 0 || r.chance(0.05)) {
      frames.push(delta({ p: '/message/content/parts/0', o: 'append', v: token }))
    } else if (r.chance(0.05)) {
      frames.push(delta({ o: 'append', v: token }))
    } else if (r.chance(0.05)) {
      frames.push(delta({ p: '/message/content/parts/0', v: token }))
    } else {
      frames.push(delta({ v: token }))
    }
    if (r.chance(0.1)) frames.push(noiseFrame(r, style))
  })
  frames.push(
    delta({
      p: '',
      o: 'patch',
      v: [
        { p: '/message/content/parts/0', o: 'append', v: tokens.at(-1) },
        { p: '/message/status', o: 'replace', v: 'finished_successfully' },
        { p: '/message/end_turn', o: 'replace', v: true },
        { p: '/message/metadata', o: 'append', v: { finish_details: { type: 'stop' }, is_complete: true } }
      ]
    })
  )
  frames.push(frame(style, JSON.stringify({ type: 'message_stream_complete', conversation_id: conversationId })))
  frames.push(frame(style, '[DONE]'))
  return {
    frames,
    text: texts.at(-1)!,
    messageId,
    conversationId,
    finishReason: 'stop',
    model: 'gpt-4o',
    parentMessageId: userId,
    progress: texts
  }
}

/** A citation span as 2026 answers carry them: never part of the text. */
const citation = (r: Rng) => `\ue200cite\ue202turn${r.int(4)}search${r.int(40)}${r.chance(0.3) ? `\ue202turn0news${r.int(9)}` : ''}\ue201`

/**
 * The 2026 shape (PROTOCOL-2026.md §7.1): typed events, one document per message counted by `c`
 * (sticky `p`/`o` across them), thoughts and tool messages before the answer, citation markers
 * cut anywhere across the answer's deltas, a citation taken back by `truncate`. The expected
 * text and progress are worked out from what was built, not by the client's filter.
 */
function build2026(r: Rng, style: Style): Expected {
  const messageId = r.id('msg')
  const conversationId = r.id('conv')
  const userId = r.id('user')
  const model = r.pick(['gpt-5-2', 'gpt-5', 'auto'])
  const finishReason = r.pick(['stop', 'max_tokens'])
  const delta = (op: unknown) => frame(style, JSON.stringify(op), 'delta')
  const typed = (type: string, fields: Record<string, unknown> = {}) =>
    frame(style, JSON.stringify({ type, ...fields, conversation_id: conversationId }))
  const doc = (message: unknown) => ({ message, conversation_id: conversationId, error: null, error_code: null })
  let counter = 0
  let afterRootAdd = false
  const start = (message: unknown) => {
    const op = afterRootAdd && r.chance(0.8) ? { v: doc(message), c: counter++ } : { p: '', o: 'add', v: doc(message), c: counter++ }
    afterRootAdd = true
    return delta(op)
  }
  const op = (value: Record<string, unknown>) => {
    afterRootAdd = false
    return delta(value)
  }

  const frames = [
    frame(style, '"v1"', 'delta_encoding'),
    typed('resume_conversation_token', { kind: 'conduit', token: 'jwt' }),
    start(message2023(r.id('sys'), 'system', '', { status: 'finished_successfully', metadata: { is_visually_hidden_from_conversation: true } })),
    start(message2023(userId, 'user', 'Say something é 中文 😀', { status: 'finished_successfully' })),
    typed('input_message', { input_message: message2023(userId, 'user', 'Say something é 中文 😀') })
  ]
  const reasoningPieces: string[] = []
  if (r.chance(0.5)) {
    const thoughts = { ...message2023(r.id('thoughts'), 'assistant', ''), content: { content_type: 'thoughts', thoughts: [] } }
    frames.push(start(thoughts))
    for (let t = 0; t < r.range(1, 3); t++) {
      const summary = `Step ${t} ${r.pick(TOKENS)}`.trim()
      const content = randomTokens(r).join('').trim() || 'x'
      frames.push(op({ p: '/message/content/thoughts', o: 'append', v: [{ summary, content: '', finished: false }] }))
      frames.push(op({ p: `/message/content/thoughts/${t}/content`, o: 'append', v: content.slice(0, 3) }))
      if (content.length > 3) frames.push(op({ v: content.slice(3) }))
      reasoningPieces.push(summary, content)
    }
    frames.push(op({ p: '/message/status', o: 'replace', v: 'finished_successfully' }))
  }
  if (r.chance(0.5)) {
    const code = { ...message2023(r.id('code'), 'assistant', ''), content: { content_type: 'code', text: '{"skipped_mainline":true}' } }
    const call = { ...message2023(r.id('call'), 'assistant', 'search me'), recipient: 'web.run' }
    const tool = message2023(r.id('tool'), 'tool', 'Tool output that is not the reply')
    const analysis = { ...message2023(r.id('analysis'), 'assistant', 'An analysis channel'), channel: 'analysis' }
    frames.push(start(code), start(call), start(tool), start(analysis))
  }
  frames.push(start({ ...message2023(messageId, 'assistant', '', { metadata: { message_type: 'next', model_slug: model, parent_id: userId } }), channel: r.pick([null, 'final']) }))
  frames.push(typed('message_marker', { message_id: messageId, marker: 'user_visible_token', event: 'first' }))

  // The answer as segments of raw text: the tokens, and citation spans between them.
  const tokens = randomTokens(r)
  const segments: { raw: string; visible: boolean }[] = []
  for (const token of tokens) {
    if (r.chance(0.3)) segments.push({ raw: citation(r), visible: false })
    segments.push({ raw: token, visible: true })
  }
  if (r.chance(0.3)) segments.push({ raw: citation(r), visible: false })
  const raw = segments.map((segment) => segment.raw).join('')
  /** The text shown once the raw text up to `end` has arrived: a span not yet closed shows nothing. */
  const shownAt = (end: number) => {
    let shown = ''
    let at = 0
    for (const { raw: piece, visible } of segments) {
      if (visible) shown += piece.slice(0, Math.max(0, end - at))
      at += piece.length
    }
    return shown
  }
  const outsideSpans = (end: number) => {
    let at = 0
    for (const { raw: piece, visible } of segments) {
      if (end > at && end < at + piece.length) return visible
      at += piece.length
    }
    return true
  }
  // Cut points anywhere (inside spans too), but never inside a surrogate pair.
  const cuts: number[] = []
  for (let at = r.range(1, 8); at < raw.length; at += r.range(1, 8)) {
    if (!(raw.charCodeAt(at) >= 0xdc00 && raw.charCodeAt(at) <= 0xdfff)) cuts.push(at)
  }
  const progress: string[] = []
  let from = 0
  let title: string | undefined
  for (const [i, cut] of cuts.entries()) {
    const piece = raw.slice(from, cut)
    frames.push(op(i === 0 || r.chance(0.05) ? { p: '/message/content/parts/0', o: 'append', v: piece } : { v: piece }))
    const shown = shownAt(cut)
    if (shown !== (progress.at(-1) ?? '')) progress.push(shown)
    if (outsideSpans(cut) && r.chance(0.1)) {
      // A citation sent and taken back: the shown text does not change.
      frames.push(op({ p: '/message/content/parts/0', o: 'append', v: citation(r) }))
      frames.push(op({ p: '/message/content/parts/0', o: 'truncate', v: cut }))
      frames.push(op({ p: '/message/content/parts/0', o: 'append', v: '' }))
    }
    if (r.chance(0.05)) frames.push(typed('title_generation', { title: (title = `Title ${i}`) }))
    if (r.chance(0.1)) frames.push(noiseFrame(r, style))
    from = cut
  }
  const last = raw.slice(from)
  frames.push(
    op({
      p: '',
      o: 'patch',
      v: [
        ...(last === '' ? [] : [{ p: '/message/content/parts/0', o: 'append', v: last }]),
        { p: '/message/status', o: 'replace', v: 'finished_successfully' },
        { p: '/message/end_turn', o: 'replace', v: finishReason === 'stop' },
        { p: '/message/metadata', o: 'append', v: { finish_details: { type: finishReason, stop_tokens: [200002] }, is_complete: true } }
      ]
    })
  )
  const text = shownAt(raw.length)
  if (text !== (progress.at(-1) ?? '')) progress.push(text)
  const flagged = r.chance(0.2)
  if (r.chance(0.5)) frames.push(typed('title_generation', { title: (title = 'The final title') }))
  if (flagged) frames.push(typed('moderation', { moderation_response: { flagged: true, blocked: false, moderation_id: 'm' } }))
  frames.push(typed('server_ste_metadata', { metadata: { model_slug: 'i-mini', message_id: messageId } }))
  frames.push(typed('message_stream_complete'))
  frames.push(frame(style, '[DONE]'))
  return {
    frames,
    text,
    messageId,
    conversationId,
    finishReason,
    model,
    parentMessageId: userId,
    progress,
    extras: {
      ...(title === undefined ? {} : { title }),
      ...(flagged ? { moderated: true } : {}),
      ...(reasoningPieces.length === 0 ? {} : { reasoning: reasoningPieces.join('\n\n') })
    }
  }
}

const BUILDERS = { '2022': build2022, '2023': build2023, v1: buildV1, '2026': build2026 } as const
type Shape = keyof typeof BUILDERS

function randomStyle(r: Rng): Style {
  const eol = r.pick(['\n', '\n', '\n', '\r\n', '\r'])
  const padded = r.chance(0.3)
  return { eol, pad: () => (padded && r.chance(0.3) ? r.pick([' ', '  ', '\t']) : '') }
}

const encoder = new TextEncoder()

function toBytes(frames: string[], bom: boolean): Uint8Array {
  const bytes = encoder.encode(frames.join(''))
  if (!bom) return bytes
  const withBom = new Uint8Array(bytes.length + 3)
  withBom.set([0xef, 0xbb, 0xbf])
  withBom.set(bytes, 3)
  return withBom
}

// ---------------------------------------------------------------------------------------------
// Chunking

/** Splits `bytes` at the given sorted cut points. */
function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = []
  let from = 0
  for (const cut of cuts) {
    if (cut <= from || cut >= bytes.length) continue
    chunks.push(bytes.subarray(from, cut))
    from = cut
  }
  chunks.push(bytes.subarray(from))
  return chunks
}

function randomChunks(r: Rng, bytes: Uint8Array): { chunks: Uint8Array[]; how: string } {
  const how = r.pick(['bytes', 'small', 'few', 'utf8-interior', 'cr-lf', 'mixed'] as const)
  const cuts: number[] = []
  switch (how) {
    case 'bytes':
      for (let i = 1; i < bytes.length; i++) cuts.push(i)
      break
    case 'small': {
      const max = r.range(2, 64)
      for (let i = r.range(1, max); i < bytes.length; i += r.range(1, max)) cuts.push(i)
      break
    }
    case 'few':
      for (let n = r.range(1, 6); n > 0; n--) cuts.push(r.int(bytes.length))
      break
    case 'utf8-interior':
      // Every position inside a multi-byte character (before a continuation byte).
      for (let i = 1; i < bytes.length; i++) if ((bytes[i]! & 0xc0) === 0x80 && r.chance(0.7)) cuts.push(i)
      break
    case 'cr-lf':
      for (let i = 1; i < bytes.length; i++) if (bytes[i - 1] === 13 || r.chance(0.02)) cuts.push(i)
      break
    case 'mixed':
      for (let i = 1; i < bytes.length; i++) {
        if ((bytes[i]! & 0xc0) === 0x80 ? r.chance(0.5) : r.chance(0.05)) cuts.push(i)
      }
      break
  }
  // Thinned at random, so that a large stream is still cut everywhere a small one is, less densely.
  const keep = MAX_CUTS / cuts.length
  const kept = keep < 1 ? cuts.filter(() => r.chance(keep)) : cuts
  kept.sort((a, b) => a - b)
  return { chunks: cutAt(bytes, kept), how }
}

// ---------------------------------------------------------------------------------------------
// Running one stream

type Outcome =
  | { kind: 'resolved'; state: ReplyState; progress: string[]; responses: number; locked: boolean }
  | { kind: 'rejected'; error: unknown; progress: string[]; responses: number; locked: boolean }
  | { kind: 'hung' }

/**
 * A body that hands out one chunk per read, optionally failing after `errorAfter` chunks the
 * way a reset connection does.
 */
function bodyOf(chunks: Uint8Array[], errorAfter?: number): ReadableStream<Uint8Array> {
  let index = 0
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (errorAfter !== undefined && index >= errorAfter) {
          controller.error(new TypeError('terminated'))
          return
        }
        if (index >= chunks.length) {
          controller.close()
          return
        }
        // A copy: the reader may keep bytes of a split character between chunks.
        controller.enqueue(chunks[index++]!.slice())
      }
    },
    { highWaterMark: 0 }
  )
}

async function run(body: ReadableStream<Uint8Array>): Promise<Outcome> {
  const progress: string[] = []
  let responses = 0
  const settled = readReplyStream(new BodyReader(body, new AbortController().signal), {
    onText: (text) => progress.push(text),
    onConversationResponse: () => responses++
  }).then(
    (state) => ({ kind: 'resolved' as const, state: { ...state }, progress, responses, locked: body.locked }),
    (error: unknown) => ({ kind: 'rejected' as const, error, progress, responses, locked: body.locked })
  )
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hung' }), SETTLE_LIMIT_MS)
  })
  try {
    return await Promise.race([settled, hung])
  } finally {
    clearTimeout(timer)
  }
}

/** What is wrong with an outcome of a hostile stream, or `undefined` when it is acceptable. */
function badOutcome(outcome: Outcome): string | undefined {
  if (outcome.kind === 'hung') return `did not settle within ${SETTLE_LIMIT_MS} ms`
  if (outcome.locked) return 'left the body locked'
  if (outcome.kind === 'resolved') {
    const { state } = outcome
    if (typeof state.text !== 'string') return `resolved with a non-string text: ${typeof state.text}`
    if (typeof state.finished !== 'boolean') return 'resolved without a boolean `finished`'
    // `messageId` is left out: see the known bug below.
    for (const key of ['conversationId', 'parentMessageId', 'model', 'finishReason'] as const) {
      if (state[key] !== undefined && typeof state[key] !== 'string') return `resolved with a non-string ${key}`
    }
    return undefined
  }
  const { error } = outcome
  if (!(error instanceof ChatGPTError)) {
    const name = (error as Error)?.constructor?.name ?? typeof error
    return `rejected with ${name}: ${String((error as Error)?.message ?? error).slice(0, 200)}`
  }
  if (!DOCUMENTED_CODES.has(error.code)) return `rejected with undocumented code ${JSON.stringify(error.code)}`
  if (typeof error.message !== 'string' || error.message.length > 1000) return 'rejected with an unusable message'
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Hostile input

const KEYS = [
  'message', 'conversation_id', 'error', 'detail', 'v', 'p', 'o', 'c', 'content', 'parts',
  'content_type', 'author', 'role', 'id', 'end_turn', 'status', 'metadata', 'finish_details', 'type',
  'recipient', 'is_completion', '__proto__', 'constructor', 'prototype', 'length', 'toString', 'x'
]
const STRINGS = [
  '', 'assistant', 'user', 'system', 'tool', 'text', 'code', 'all', 'browser', 'finished_successfully',
  'in_progress', 'stop', 'max_tokens', '[DONE]', 'v1', 'delta', '/message/content/parts/0', 'append',
  'patch', 'replace', 'é中😀', '\u0000\u001b[31m', 'a'.repeat(300)
]
const PATHS = [
  '', '/message', '/message/content/parts/0', '/message/content/parts', '/message/content/parts/-',
  '/message/content/parts/1', '/message/metadata', '/message/metadata/finish_details', '/message/status',
  '/message/end_turn', '/message/author/role', '/message/id', '/message/recipient', '/error', '/detail',
  '/conversation_id', '/message/content', '/message/content/parts/0/x', '/message/content/parts/length',
  '/message/content/parts/length/x', '/message/content/parts/0/length', '/__proto__', '/__proto__/polluted',
  '/constructor/prototype/polluted', '/message/__proto__/polluted', '/message/constructor/prototype/polluted',
  '/message/content/parts/__proto__/polluted', '/prototype/polluted', '/a~1b/c~0d', '/~', '/~2', 'no-slash',
  '//', '/message//content'
]
const OPS = ['add', 'replace', 'append', 'truncate', 'remove', 'patch', 'move', 'copy', 'test', '', 'APPEND']

function randomScalarJson(r: Rng): string {
  switch (r.int(6)) {
    case 0:
      return 'null'
    case 1:
      return r.pick(['true', 'false'])
    case 2:
      return r.pick(['0', '-1', '1', '1e308', '-0', '1.5', '9007199254740993', '1e-7', '4294967296', String(r.int(1e6))])
    case 3:
      return JSON.stringify(r.pick(STRINGS))
    case 4:
      // Escapes that decode to a lone surrogate, NUL and a line separator.
      return r.pick(['"\\ud800"', '"\\udc00x"', '"\\u0000"', '"\\u2028"', '"\\ud83d\\ude00"'])
    default:
      return r.pick(['[]', '{}', '""'])
  }
}

/** A random JSON text; keys such as `__proto__` become own properties, as JSON.parse makes them. */
function randomJson(r: Rng, depth: number): string {
  if (depth <= 0 || r.chance(0.35)) return randomScalarJson(r)
  if (r.chance(0.6)) {
    const entries = Array.from(
      { length: r.int(6) },
      () => `${JSON.stringify(r.chance(0.9) ? r.pick(KEYS) : r.pick(STRINGS))}:${randomJson(r, depth - 1)}`
    )
    return `{${entries.join(',')}}`
  }
  return `[${Array.from({ length: r.int(5) }, () => randomJson(r, depth - 1)).join(',')}]`
}

function randomDeltaOp(r: Rng): string {
  const fields: string[] = []
  if (r.chance(0.7)) fields.push(`"p":${r.chance(0.9) ? JSON.stringify(r.pick(PATHS)) : randomScalarJson(r)}`)
  if (r.chance(0.7)) fields.push(`"o":${r.chance(0.9) ? JSON.stringify(r.pick(OPS)) : randomScalarJson(r)}`)
  const patch = () =>
    `[${Array.from({ length: r.range(0, 4) }, () => (r.chance(0.8) ? randomDeltaOp(r) : randomJson(r, 2))).join(',')}]`
  fields.push(`"v":${r.chance(0.2) ? patch() : randomJson(r, 3)}`)
  if (r.chance(0.2)) fields.push(`"c":${r.pick(['0', '1', '2', '7', '-1', '1e9', '"1"', '2.5', 'null'])}`)
  return `{${fields.join(',')}}`
}

function deepJson(r: Rng, depth = r.pick([500, 2_000, 10_000])): string {
  const array = () => '['.repeat(depth) + ']'.repeat(depth)
  const object = () => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
  const deep = r.chance(0.5) ? array() : object()
  return r.pick([
    deep,
    `{"message":{"id":"m","author":{"role":"assistant"},"content":{"content_type":"text","parts":[${deep}]}},"conversation_id":"c","error":null}`,
    `{"message":${deep},"conversation_id":"c","error":null}`,
    `{"detail":${deep}}`,
    `{"error":${deep}}`,
    `{"p":"/message/metadata","o":"append","v":${deep}}`,
    `{"p":"","o":"add","v":${deep}}`,
    `{"p":"/message/content/parts","o":"append","v":${deep}}`,
    `{"p":"","o":"patch","v":[{"p":"/message/metadata/x","o":"add","v":${deep}}]}`
  ])
}

/** Delta ops that try to reach Object.prototype (or Array.prototype) through a path or a merge. */
function protoOp(r: Rng): string {
  return r.pick([
    '{"p":"/__proto__/polluted","o":"add","v":"yes"}',
    '{"p":"/__proto__","o":"append","v":{"polluted":"yes"}}',
    '{"p":"/constructor/prototype/polluted","o":"add","v":"yes"}',
    '{"p":"/message/__proto__/polluted","o":"replace","v":"yes"}',
    '{"p":"/message/content/parts/__proto__/polluted","o":"add","v":"yes"}',
    '{"p":"/message/content/parts/constructor/prototype/polluted","o":"add","v":"yes"}',
    '{"p":"","o":"patch","v":[{"p":"/__proto__/polluted","o":"add","v":"yes"},{"p":"/constructor/prototype/polluted","o":"append","v":"yes"}]}',
    '{"p":"/message","o":"append","v":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}}',
    '{"p":"/message/metadata","o":"append","v":{"__proto__":{"polluted":"yes"}}}',
    '{"p":"","o":"append","v":{"__proto__":{"polluted":"yes"}}}',
    '{"p":"/__pr~0oto__/polluted","o":"add","v":"yes"}',
    '{"p":"/~1__proto__/polluted","o":"add","v":"yes"}',
    '{"v":{"__proto__":{"polluted":"yes"}}}',
    '{"message":{"__proto__":{"polluted":"yes"},"id":"m","author":{"role":"assistant"},"content":{"parts":["x"]}},"__proto__":{"polluted":"yes"}}'
  ])
}

/** Operations on an array's own `length`, and appends of huge arrays: hostile array edits. */
function arrayOp(r: Rng): string {
  // Past the ~120k arguments a spread (`push(...v)`) can take; rarely, as it is slow to build.
  const huge = () => (r.chance(0.3) ? `[${'0,'.repeat(200_000)}0]` : '[0,1,[2]]')
  return r.pick([
    '{"p":"/message/content/parts/length","o":"replace","v":-1}',
    '{"p":"/message/content/parts/length","o":"add","v":"abc"}',
    '{"p":"/message/content/parts/length","o":"replace","v":1e10}',
    '{"p":"/message/content/parts/length","o":"remove","v":null}',
    '{"p":"/message/content/parts/length/x","o":"add","v":1}',
    '{"p":"","o":"patch","v":[{"p":"/message/content/parts/length","o":"replace","v":-5}]}',
    `{"p":"/message/content/parts","o":"append","v":${huge()}}`,
    `{"p":"","o":"patch","v":[{"p":"/message/content/parts","o":"append","v":${huge()}}]}`
  ])
}

function garbageLine(r: Rng, eol: string): string {
  const printable = () =>
    Array.from({ length: r.range(0, 40) }, () => String.fromCharCode(r.range(32, 126))).join('')
  return r.pick([
    () => `${printable()}${eol}`,
    () => `: ${printable()}${eol}`,
    () => `retry: ${printable()}${eol}`,
    () => `id: a\u0000b${eol}`,
    () => `event:${eol}`,
    () => `event: ${r.pick(['delta', 'delta_encoding', 'ping', 'error', printable()])}${eol}`,
    () => `data${eol}`,
    () => `dat a: x${eol}`,
    () => `data: ${printable()}${eol}`,
    () => `data: [DONE] x${eol}${eol}`,
    () => `data: "v1"${eol}${eol}`,
    () => `\r`,
    () => `${eol}${eol}${eol}`,
    () => `data: é中😀${'\u0000'.repeat(r.range(0, 3))}${eol}`,
    () => `${'x'.repeat(r.range(1000, 100_000))}${eol}`
  ])()
}

const named = (data: string, event?: string, eol = '\n') =>
  `${event === undefined ? '' : `event: ${event}${eol}`}data: ${data}${eol}${eol}`

type Mutation = (r: Rng, frames: string[], style: Style) => string
/** Frame-level mutations: they edit the list of frames in place and say what they did. */
const FRAME_MUTATIONS: Record<string, Mutation> = {
  duplicate(r, frames) {
    const i = r.int(frames.length)
    frames.splice(i, 0, ...Array.from({ length: r.range(1, 3) }, () => frames[i]!))
    return `duplicate frame ${i}`
  },
  drop(r, frames) {
    const i = r.int(frames.length)
    frames.splice(i, 1)
    return `drop frame ${i}`
  },
  swap(r, frames) {
    const i = r.int(Math.max(1, frames.length - 1))
    if (i + 1 < frames.length) [frames[i], frames[i + 1]] = [frames[i + 1]!, frames[i]!]
    return `swap frames ${i}, ${i + 1}`
  },
  garbage(r, frames, style) {
    const i = r.int(frames.length + 1)
    frames.splice(i, 0, garbageLine(r, style.eol))
    return `garbage line before frame ${i}`
  },
  randomData(r, frames, style) {
    const i = r.int(frames.length + 1)
    frames.splice(i, 0, named(randomJson(r, 4), r.pick([undefined, 'delta', 'ping', 'delta_encoding']), style.eol))
    return `random JSON data before frame ${i}`
  },
  randomDelta(r, frames, style) {
    const i = r.int(frames.length + 1)
    const n = r.range(1, 4)
    for (let k = 0; k < n; k++) frames.splice(i, 0, named(randomDeltaOp(r), r.chance(0.8) ? 'delta' : undefined, style.eol))
    return `${n} random delta ops before frame ${i}`
  },
  deep(r, frames, style) {
    const i = r.int(frames.length + 1)
    frames.splice(i, 0, named(deepJson(r), r.chance(0.5) ? 'delta' : undefined, style.eol))
    return `deeply nested JSON before frame ${i}`
  },
  proto(r, frames, style) {
    const i = r.int(frames.length + 1)
    frames.splice(i, 0, named(protoOp(r), r.chance(0.8) ? 'delta' : undefined, style.eol))
    return `__proto__ op before frame ${i}`
  },
  arrayEdit(r, frames, style) {
    // After the opening frames, so that `/message/content/parts` is an array.
    const i = r.range(Math.min(frames.length, 5), frames.length)
    frames.splice(i, 0, named(arrayOp(r), 'delta', style.eol))
    return `hostile array op before frame ${i}`
  },
  errorEvent(r, frames, style) {
    const i = r.int(frames.length + 1)
    const error = r.pick(['"Something went wrong"', '{"message":"boom","code":"x"}', '{}', '1', 'true', '"\\u0000\\u001b"'])
    frames.splice(i, 0, named(r.chance(0.5) ? `{"message":null,"conversation_id":"c","error":${error}}` : `{"detail":${error}}`, undefined, style.eol))
    return `error event before frame ${i}`
  },
  earlyDone(r, frames, style) {
    const i = r.int(frames.length + 1)
    frames.splice(i, 0, named('[DONE]', undefined, style.eol))
    return `[DONE] before frame ${i}`
  }
}

/** Byte-level mutations. */
const BYTE_MUTATIONS: Record<string, (r: Rng, bytes: Uint8Array) => [Uint8Array, string]> = {
  flip(r, bytes) {
    const out = bytes.slice()
    const n = r.range(1, 8)
    for (let k = 0; k < n && out.length; k++) out[r.int(out.length)] ^= 1 << r.int(8)
    return [out, `flip ${n} bits`]
  },
  insert(r, bytes) {
    const at = r.int(bytes.length + 1)
    const extra = Uint8Array.from({ length: r.range(1, 16) }, () =>
      r.pick([r.int(256), 0x0a, 0x0d, 0x3a, 0x7b, 0x22, 0xc3, 0xe4, 0xf0, 0x80, 0xff])
    )
    const out = new Uint8Array(bytes.length + extra.length)
    out.set(bytes.subarray(0, at))
    out.set(extra, at)
    out.set(bytes.subarray(at), at + extra.length)
    return [out, `insert ${extra.length} bytes at ${at}`]
  },
  delete(r, bytes) {
    const at = r.int(bytes.length + 1)
    const n = r.range(1, 32)
    const out = new Uint8Array(Math.max(0, bytes.length - n))
    out.set(bytes.subarray(0, at).subarray(0, out.length))
    if (at < out.length) out.set(bytes.subarray(at + n), at)
    return [out, `delete ${n} bytes at ${at}`]
  },
  truncate(r, bytes) {
    const at = r.int(bytes.length + 1)
    return [bytes.subarray(0, at), `truncate at ${at}`]
  }
}

// ---------------------------------------------------------------------------------------------

let prototypeBefore: { object: string[]; array: string[]; fn: string[] }

const prototypeKeys = () => ({
  object: Object.getOwnPropertyNames(Object.prototype).sort(),
  array: Object.getOwnPropertyNames(Array.prototype).sort(),
  fn: Object.getOwnPropertyNames(Function.prototype).sort()
})

beforeAll(() => {
  prototypeBefore = prototypeKeys()
  expect(DOCUMENTED_CODES.size, 'could not read the documented error codes from packages/chatgpt-kit/src/errors.ts').toBeGreaterThanOrEqual(15)
})

afterAll(() => {
  // Also checked in its own test below; this catches pollution by any test of this file.
  expect(prototypeKeys()).toEqual(prototypeBefore)
})

describe(`fuzz: reply stream parser (FUZZ_SEED=${MASTER_SEED})`, () => {
  it.each(Object.keys(BUILDERS) as Shape[])(
    'a valid %s stream reads the same however its bytes are chunked',
    async (shape) => {
      const failures: string[] = []
      const seen = new Set<string>()
      for (let i = 0; i < VALID_CASES_PER_SHAPE; i++) {
        const seed = caseSeed(shape.charCodeAt(0) + shape.length, i)
        const r = new Rng(seed)
        const style = randomStyle(r)
        const expected = BUILDERS[shape](r, style)
        const bytes = toBytes(expected.frames, r.chance(0.1))
        const whole = await run(bodyOf([bytes]))
        const { chunks, how } = randomChunks(r, bytes)
        seen.add(how)
        const split = await run(bodyOf(chunks))
        const where = `${shape} case ${i}, eol ${JSON.stringify(style.eol)}, ${chunks.length} chunks (${how}) ${reproduce(seed)}`

        if (whole.kind !== 'resolved' || split.kind !== 'resolved') {
          const bad = whole.kind !== 'resolved' ? whole : split
          failures.push(`${where}: did not resolve: ${bad.kind === 'rejected' ? String(bad.error) : bad.kind}`)
          continue
        }
        const summary = (o: typeof whole) => ({ state: o.state, progress: o.progress, responses: o.responses })
        try {
          expect(summary(split)).toEqual(summary(whole))
          expect(whole.state).toMatchObject({
            text: expected.text,
            messageId: expected.messageId,
            conversationId: expected.conversationId,
            finished: true,
            finishReason: expected.finishReason,
            ...(expected.model ? { model: expected.model } : {}),
            ...(expected.parentMessageId ? { parentMessageId: expected.parentMessageId } : {}),
            ...expected.extras
          })
          for (const key of ['title', 'moderated', 'reasoning'] as const) {
            if (!expected.extras || !(key in expected.extras)) expect(whole.state[key]).toBeUndefined()
          }
          expect(whole.progress).toEqual(expected.progress)
          expect(whole.locked).toBe(false)
        } catch (error) {
          failures.push(`${where}: ${(error as Error).message.slice(0, 1500)}`)
        }
      }
      expect(failures, `${failures.length} failing cases ${reproduce()}:\n${failures.slice(0, 5).join('\n')}`).toEqual([])
      expect(seen.size).toBeGreaterThanOrEqual(4)
    }
  )

  it('a mutated stream resolves or rejects with a documented ChatGPTError, and always settles', async () => {
    const failures: string[] = []
    const outcomes = new Map<string, number>()
    const frameKinds = Object.keys(FRAME_MUTATIONS)
    const byteKinds = Object.keys(BYTE_MUTATIONS)
    for (let i = 0; i < MUTATED_CASES; i++) {
      const seed = caseSeed(0xbad, i)
      const r = new Rng(seed)
      const shape = r.pick(Object.keys(BUILDERS) as Shape[])
      const style = randomStyle(r)
      const { frames } = BUILDERS[shape](r, style)
      const applied: string[] = []
      for (let n = r.range(1, 3); n > 0; n--) {
        const kind = r.pick(frameKinds)
        applied.push(FRAME_MUTATIONS[kind]!(r, frames, style))
      }
      let bytes = toBytes(frames, false)
      if (r.chance(0.5)) {
        for (let n = r.range(1, 3); n > 0; n--) {
          const [mutated, what] = BYTE_MUTATIONS[r.pick(byteKinds)]!(r, bytes)
          bytes = mutated
          applied.push(what)
        }
      }
      const { chunks, how } = randomChunks(r, bytes)
      const errorAfter = r.chance(0.1) ? r.int(chunks.length + 1) : undefined
      if (errorAfter !== undefined) applied.push(`connection error after ${errorAfter} chunks`)

      const outcome = await run(bodyOf(chunks, errorAfter))
      const bad = badOutcome(outcome)
      const label =
        outcome.kind === 'resolved' ? 'resolved' : outcome.kind === 'rejected' ? `rejected ${(outcome.error as ChatGPTError).code}` : 'hung'
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1)
      if (bad) failures.push(`${shape} case ${i} [${applied.join('; ')}], ${chunks.length} chunks (${how}): ${bad} ${reproduce(seed)}`)
    }
    expect(failures, `${failures.length} of ${MUTATED_CASES} cases failed ${reproduce()}:\n${failures.slice(0, 8).join('\n')}`).toEqual([])
    // The mutations must reach every way a stream can settle, or they test little.
    const summary = JSON.stringify(Object.fromEntries(outcomes))
    for (const label of ['resolved', 'rejected stream_incomplete', 'rejected stream_error', 'rejected network']) {
      expect(outcomes.get(label) ?? 0, `no case ${label}: ${summary} ${reproduce()}`).toBeGreaterThan(0)
    }
  })

  it('hostile delta ops on arrays (their length, huge appends) do not escape as a raw exception', async () => {
    const preamble = [named('"v1"', 'delta_encoding'), named('{"p":"","o":"add","v":{"message":{"id":"m","author":{"role":"assistant"},"content":{"content_type":"text","parts":["hi"]},"status":"in_progress"},"conversation_id":"c","error":null},"c":0}', 'delta')]
    const ops = [
      '{"p":"/message/content/parts/length","o":"replace","v":-1}',
      '{"p":"/message/content/parts/length","o":"remove"}',
      '{"p":"/message/content/parts/length/x","o":"add","v":1}',
      `{"p":"/message/content/parts","o":"append","v":[${'0,'.repeat(400_000)}0]}`
    ]
    for (const op of ops) {
      const outcome = await run(bodyOf([toBytes([...preamble, named(op, 'delta'), named('[DONE]')], false)]))
      expect(badOutcome(outcome), `${op.slice(0, 80)}`).toBeUndefined()
    }
  })

  it('very deeply nested JSON (10^5 levels) is read or refused like any other event', async () => {
    const r = new Rng(caseSeed(0xdee9, 0))
    const { frames } = buildV1(r, { eol: '\n', pad: () => '' })
    for (const deep of [
      `{"p":"/message/metadata","o":"append","v":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
      `{"message":{"id":"m","author":{"role":"assistant"},"content":{"parts":[${'['.repeat(200_000)}${']'.repeat(200_000)}]}},"error":null}`
    ]) {
      const outcome = await run(bodyOf(cutAt(toBytes([...frames.slice(0, 6), named(deep, 'delta'), ...frames.slice(6)], false), [100, 5000, 70_000])))
      expect(badOutcome(outcome), deep.slice(0, 40)).toBeUndefined()
    }
  })

  // ReplyReader must not take a non-string `message.id`: a ChatGPTConversation would send it as
  // the next parent.
  it('a resolved state has a string messageId or none', async () => {
    const event = '{"message":{"id":{"x":1},"role":"assistant","content":{"parts":["hi"]},"end_turn":true},"conversation_id":"c","error":null}'
    const outcome = await run(bodyOf([encoder.encode(named(event) + named('[DONE]'))]))
    expect(outcome.kind).toBe('resolved')
    expect((outcome as { state: ReplyState }).state.messageId).toBeUndefined()
  })

  it('an endless line is refused with invalid_response, and the download stops', async () => {
    const CHUNK = 64 * 1024
    const TOTAL = 20 * 1024 * 1024
    for (const [what, chunk, bytesPerChar] of [
      ['one 20 MB data line', encoder.encode('x'.repeat(CHUNK)), 1],
      // 21 bytes a line, of which 15 characters are buffered (14 of value and a newline).
      ['20 MB of data lines in one event', encoder.encode('data: xxxxxxxxxxxxxx\n'.repeat(CHUNK / 21)), 21 / 15],
      ['20 MB of 2-byte characters', encoder.encode('é'.repeat(CHUNK / 2)), 2]
    ] as const) {
      let pulls = 0
      let cancelled = false
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (pulls === 0) controller.enqueue(encoder.encode('data: '))
            else if (pulls * CHUNK > TOTAL) controller.close()
            else controller.enqueue(chunk)
            pulls++
          },
          cancel() {
            cancelled = true
          }
        },
        { highWaterMark: 0 }
      )
      const outcome = await run(body)
      expect(outcome.kind, what).toBe('rejected')
      const error = (outcome as { error: unknown }).error
      expect(error, what).toBeInstanceOf(ChatGPTError)
      expect((error as ChatGPTError).code, what).toBe('invalid_response')
      // It stopped once the buffer was full, far short of the 20 MB on offer, and cancelled.
      expect(pulls * chunk.length, what).toBeLessThanOrEqual(MAX_EVENT_CHARS * bytesPerChar + 2 * CHUNK)
      expect(pulls * chunk.length, what).toBeLessThan(TOTAL)
      expect(cancelled, what).toBe(true)
    }
  })

  it('the SSE decoder yields the same events however the bytes are chunked', () => {
    const failures: string[] = []
    for (let i = 0; i < 200; i++) {
      const seed = caseSeed(0x55e, i)
      const r = new Rng(seed)
      const shape = r.pick(Object.keys(BUILDERS) as Shape[])
      const style = randomStyle(r)
      const { frames } = BUILDERS[shape](r, style)
      // Noise between frames too: it must be skipped the same way at any chunking.
      for (let k = r.int(4); k > 0; k--) frames.splice(r.int(frames.length + 1), 0, garbageLine(r, style.eol))
      const bytes = toBytes(frames, r.chance(0.2))
      const decode = (chunks: Uint8Array[]) => {
        const events: SSEEvent[] = []
        const decoder = new SSEDecoder((event) => events.push(event))
        for (const chunk of chunks) decoder.push(chunk)
        decoder.end()
        return events
      }
      const { chunks, how } = randomChunks(r, bytes)
      try {
        expect(decode(chunks)).toEqual(decode([bytes]))
      } catch (error) {
        failures.push(`${shape} case ${i} (${how}, eol ${JSON.stringify(style.eol)}): ${(error as Error).message.slice(0, 800)} ${reproduce(seed)}`)
      }
    }
    expect(failures, failures.slice(0, 3).join('\n')).toEqual([])
  })

  it('no stream reached Object.prototype or Array.prototype', () => {
    expect(prototypeKeys()).toEqual(prototypeBefore)
    const probe = {} as Record<string, unknown>
    expect(probe.polluted).toBeUndefined()
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined()
  })
})
