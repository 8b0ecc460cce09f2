/**
 * The `'2026'` event shape: the v1 delta encoding as the 2026-01 capture shows it
 * (PROTOCOL-2026.md §7.1, S10), replayed around the reply text. One document per message, counted
 * by `c` (the hidden system message, the user's, then the assistant's), typed events as bare
 * `data:` lines (`resume_conversation_token`, `input_message`, `message_marker`,
 * `title_generation`, `conversation_detail_metadata`, `server_ste_metadata`,
 * `message_stream_complete`), and a final patch that merges `finish_details` into the metadata.
 *
 * Words of the prompt add what 2026 turns carry besides the answer (see {@link features2026}):
 * reasoning (a thoughts message, before the answer), citations (a hidden orchestration cell, a
 * search call and its tool message before the answer; citation markers inside it, one of them
 * split across two deltas) and a moderation flag. None of it is part of the reply's text: the
 * stored message holds only the text, as a text client must show it.
 */
import { randomUUID } from 'node:crypto'
import type { ReplyView, StreamRenderer } from './event-shapes.js'
import { failureFrames, frame, hiddenSystemMessage } from './sse-frames.js'

/** What a prompt asks of a `'2026'` stream besides its text. */
export interface Features2026 {
  /** The word "think": a thoughts message (reasoning summaries) before the answer. */
  think: boolean
  /** The word "cite": a web search before the answer, and citation markers in it. */
  cite: boolean
  /** The word "flag": a `moderation` event that flags the exchange. */
  flag: boolean
}

/** The features a prompt asks for: whole words, in any case. */
export function features2026(prompt: string): Features2026 {
  return { think: /\bthink\b/i.test(prompt), cite: /\bcite\b/i.test(prompt), flag: /\bflag\b/i.test(prompt) }
}

/** A citation span as the web app's answers carry them (the app shows a pill; a text client drops it). */
export function citationMarker(n: number): string {
  return `\ue200cite\ue202turn0search${n}\ue201`
}

/**
 * The reasoning a `think` prompt's stream carries, as a client reports it: each thought's summary
 * and content, separated by blank lines.
 */
export function reasoning2026(prompt: string): string {
  return THOUGHTS(prompt)
    .flatMap(({ summary, content }) => [summary, content])
    .join('\n\n')
}

const THOUGHTS = (prompt: string) => [
  { summary: 'Reading the request', content: `The user wrote: ${JSON.stringify(clip(prompt))}.` },
  { summary: 'Planning the answer', content: 'A short answer in markdown will do.' }
]

const TEXT_PATH = '/message/content/parts/0'
/** The citation split across two deltas: its first half ends one append, its second starts the next. */
const SPLIT_CITATION = citationMarker(0)
const SPLIT_AT = SPLIT_CITATION.indexOf('search')

/** A renderer of the 2026 shape, fresh per stream. */
export function render2026(view: ReplyView): StreamRenderer {
  const features = features2026(view.prompt)
  const conversationId = view.conversationId
  const typed = (type: string, fields: Record<string, unknown>) => frame({ type, ...fields, conversation_id: conversationId })
  const document = (message: unknown) => ({ message, conversation_id: conversationId, error: null, error_code: null })

  // The sticky op after the last delta: a document that follows an `add` at the root is sent as a
  // bare `{v, c}`, as the capture sends the user's.
  let afterRootAdd = false
  let counter = 0
  const startDocument = (message: unknown): string => {
    const op = afterRootAdd ? { v: document(message), c: counter } : { p: '', o: 'add', v: document(message), c: counter }
    counter++
    afterRootAdd = true
    return frame(op, 'delta')
  }
  const delta = (op: Record<string, unknown>): string => {
    afterRootAdd = false
    return frame(op, 'delta')
  }

  let progressed = 0
  /** Marker characters sent beyond the stored text, which the wire's text holds besides it. */
  let markerChars = 0
  let splitOpen = false
  /**
   * A piece of text as the wire carries it (with `cite`): the split citation's second half first
   * when the previous piece opened it, then the text, then the first half of the split citation
   * (after the first piece, when more follow) or a whole one (after a sentence).
   */
  const cited = (text: string, last: boolean): string => {
    if (!features.cite) return text
    let out = text
    if (splitOpen) {
      out = SPLIT_CITATION.slice(SPLIT_AT) + out
      splitOpen = false
    }
    if (progressed === 0 && !last) {
      out += SPLIT_CITATION.slice(0, SPLIT_AT)
      splitOpen = true
    } else if (/[.!?]\s*$/.test(text)) {
      out += citationMarker(progressed + 1)
    }
    markerChars += out.length - text.length
    return out
  }

  return {
    open: () => {
      const frames = [
        frame('v1', 'delta_encoding'),
        typed('resume_conversation_token', { kind: 'conduit', token: `test-conduit-${randomUUID()}` }),
        startDocument(hiddenSystemMessage(view.assistant.create_time))
      ]
      if (view.user) {
        frames.push(startDocument(view.user))
        frames.push(
          typed('input_message', {
            input_message: { ...view.user, metadata: { ...view.user.metadata, useragent: { client_type: 'web', os: 'test' } } }
          })
        )
      }
      if (features.think) frames.push(...thinking())
      if (features.cite) frames.push(...searching())
      frames.push(startDocument(assistantMessage(view)))
      frames.push(typed('message_marker', { message_id: view.assistant.id, marker: 'user_visible_token', event: 'first' }))
      return frames
    },
    progress: (text) => {
      const piece = cited(text, false)
      const op = progressed === 0 ? { p: TEXT_PATH, o: 'append', v: piece } : { v: piece }
      progressed++
      const title = progressed === 2 && view.title !== undefined ? typed('title_generation', { title: view.title }) : ''
      return delta(op) + title
    },
    finish: (text) => {
      const ops: unknown[] = []
      const piece = cited(text, true)
      const rawLength = view.assistant.content.parts[0]!.length + markerChars
      if (piece !== '') ops.push({ p: TEXT_PATH, o: 'append', v: piece })
      if (features.cite) {
        // A citation sent and taken back (`truncate`), then another: the text does not change.
        ops.push(
          { p: TEXT_PATH, o: 'append', v: citationMarker(98) },
          { p: TEXT_PATH, o: 'truncate', v: rawLength },
          { p: TEXT_PATH, o: 'append', v: citationMarker(99) }
        )
      }
      const { finish_details, is_complete } = view.assistant.metadata
      ops.push(
        { p: '/message/status', o: 'replace', v: view.assistant.status },
        { p: '/message/end_turn', o: 'replace', v: view.assistant.end_turn },
        { p: '/message/metadata', o: 'append', v: { finish_details, is_complete } }
      )
      return delta({ p: '', o: 'patch', v: ops })
    },
    close: () => {
      const frames = [typed('message_marker', { message_id: view.assistant.id, marker: 'last_token', event: 'last' })]
      if (view.title !== undefined) frames.push(typed('title_generation', { title: view.title }))
      if (features.flag) {
        frames.push(
          typed('moderation', {
            message_id: view.assistant.id,
            moderation_response: { flagged: true, blocked: false, moderation_id: `modr-${randomUUID()}` }
          })
        )
      }
      frames.push(
        typed('conversation_detail_metadata', {
          banner_info: null,
          blocked_features: [],
          model_limits: [],
          limits_progress: [{ feature_name: 'deep_research', remaining: 5, reset_after: new Date(Date.now() + 86_400_000).toISOString() }],
          default_model_slug: 'auto'
        }),
        typed('server_ste_metadata', {
          metadata: {
            conduit_prewarmed: false,
            plan_type: 'free',
            user_agent: 'web_desktop',
            tool_invoked: features.cite,
            fast_convo: !features.think,
            warmup_state: 'cold',
            is_first_turn: view.title !== undefined,
            cluster_region: 'test',
            // The server's internal name; the public slug is the message's `model_slug`.
            model_slug: 'i-mini',
            did_prompt_contain_image: false,
            message_id: view.assistant.id,
            request_id: randomUUID(),
            resume_with_websockets: false,
            turn_use_case: 'text'
          }
        }),
        typed('message_stream_complete', {})
      )
      return frames
    },
    ...failureFrames(conversationId)
  }

  /** A thoughts message (reasoning summaries built by appends, one draft cut back by `truncate`), then its recap. */
  function thinking(): string[] {
    const [first, second] = THOUGHTS(view.prompt)
    const thought = (summary: string) => [{ summary, content: '', chunks: [], finished: false }]
    const thoughts = message('assistant', { content_type: 'thoughts', thoughts: [], source_analysis_msg_id: randomUUID() }, {
      status: 'in_progress',
      metadata: { reasoning_status: 'is_reasoning', model_slug: modelSlug(view), parent_id: view.user?.id }
    })
    const recap = message('assistant', { content_type: 'reasoning_recap', content: 'Thought for 2s' }, {})
    const draft = 'A long essay would be too much'
    return [
      startDocument(thoughts),
      delta({ p: '/message/content/thoughts', o: 'append', v: thought(first!.summary) }),
      delta({ p: '/message/content/thoughts/0/content', o: 'append', v: first!.content.slice(0, 10) }),
      delta({ v: first!.content.slice(10) }),
      delta({ p: '/message/content/thoughts', o: 'append', v: thought(second!.summary) }),
      delta({ p: '/message/content/thoughts/1/content', o: 'append', v: draft }),
      delta({ o: 'truncate', v: 2 }),
      delta({ o: 'append', v: second!.content.slice(2) }),
      delta({
        p: '',
        o: 'patch',
        v: [
          { p: '/message/content/thoughts/0/finished', o: 'replace', v: true },
          { p: '/message/content/thoughts/1/finished', o: 'replace', v: true },
          { p: '/message/status', o: 'replace', v: 'finished_successfully' },
          { p: '/message/metadata', o: 'append', v: { reasoning_status: 'reasoning_ended', finished_text: 'Thought for 2s' } }
        ]
      }),
      startDocument(recap)
    ]
  }

  /** What a web search adds before the answer: a hidden orchestration cell, the search call, and the tool's answer. */
  function searching(): string[] {
    const code = (text: string) => ({ content_type: 'code', language: 'unknown', response_format_name: null, text })
    const cell = message('assistant', code('{"skipped_mainline":true}'), {})
    const call = message('assistant', code(JSON.stringify({ search_query: [{ q: clip(view.prompt) }] })), { recipient: 'web.run' })
    const results = message('tool', { content_type: 'text', parts: [`Search results for ${JSON.stringify(clip(view.prompt))}: example.com`] }, {
      name: 'web.run',
      metadata: { search_result_groups: [{ domain: 'example.com', entries: [{ url: 'https://example.com/', title: 'Example' }] }] }
    })
    return [startDocument(cell), startDocument(call), startDocument(results)]
  }

  function message(
    role: 'assistant' | 'tool',
    content: Record<string, unknown>,
    opts: { status?: string; recipient?: string; name?: string; metadata?: Record<string, unknown> }
  ): Record<string, unknown> {
    return {
      id: randomUUID(),
      author: { role, name: opts.name ?? null, metadata: {} },
      create_time: view.assistant.create_time,
      update_time: null,
      content,
      status: opts.status ?? 'finished_successfully',
      end_turn: null,
      weight: 1,
      metadata: opts.metadata ?? {},
      recipient: opts.recipient ?? 'all',
      channel: null
    }
  }
}

/** The stored assistant message as the 2026 stream starts it (its fields, as of the capture). */
function assistantMessage(view: ReplyView): Record<string, unknown> {
  const { assistant } = view
  return {
    ...assistant,
    content: { ...assistant.content, parts: [...assistant.content.parts] },
    metadata: { ...assistant.metadata, default_model_slug: 'auto', citations: [], content_references: [] },
    channel: null
  }
}

function modelSlug(view: ReplyView): unknown {
  return view.assistant.metadata.model_slug
}

/** A prompt as the stream quotes it: one line, at most 200 characters. */
function clip(prompt: string): string {
  const line = prompt.replace(/\s+/g, ' ').trim()
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}
