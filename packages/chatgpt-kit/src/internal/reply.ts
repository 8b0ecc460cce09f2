/**
 * Events → reply state, for every shape the backend has sent: Dec-2022
 * (`message.role`), 2023+ (`message.author.role`, hidden system and user messages, message-less
 * events), the 2024 v1 delta encoding, and its 2026 form (PROTOCOL-2026.md §7: a document per
 * message counted by `c`, `truncate`, typed events, thoughts, tool messages and citation
 * markers). Everything above this module is shape-agnostic.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationResponseEvent, Message } from '../types.js'
import type { DeltaDocument } from './delta-patch.js'
import { DeltaStream, type StreamOp } from './delta-stream.js'
import { detailOf } from './http-error.js'
import { ReasoningLog, isThoughts } from './reasoning.js'
import { oneLine } from './redact.js'
import { ShownText } from './shown-text.js'
import type { SSEEvent } from './sse.js'
import { readTypedEvent } from './typed-events.js'
import { visibleRole } from './visible-role.js'

/** What a reply stream has established so far. */
export type ReplyState = {
  /**
   * The assistant's text so far (markdown, as the server sent it, without citation markers:
   * see citation-markers.ts).
   */
  text: string
  messageId?: string
  conversationId?: string
  /** The id of the message the reply answers (`metadata.parent_id`), when the server says. */
  parentMessageId?: string
  model?: string
  /** The assistant message said it was finished (`end_turn`, status or `finish_details`). */
  finished: boolean
  /** `'stop'`, `'max_tokens'`, … when the server said. */
  finishReason?: string
  /**
   * When the last event only appended to the text: what it appended (`text` is the previous
   * text + this). Lets consumers take the new part without reading `text`, which the v1 encoding
   * builds by appending: reading any character of it would copy all of it, on every event.
   */
  appended?: string
  /** The conversation's title, when the stream generated one (`title_generation`, 2026). */
  title?: string
  /** Whether a moderation result in the stream flagged or blocked the exchange; absent without one. */
  moderated?: boolean
  /**
   * The reasoning summaries of the reply's thoughts messages, apart from its text. Set by
   * {@link ReplyReader.settle}, once the stream has ended: the thoughts are read once, not on
   * every event.
   */
  reasoning?: string
  /** The server said the stream is complete (`message_stream_complete`): an end without `[DONE]` loses nothing. */
  streamComplete?: boolean
}

/** Where the v1 encoding keeps the reply's text. */
const TEXT_PATH = '/message/content/parts/0'

/**
 * Where a message comes from: the v1 document an event changed (whose edits say how its text
 * changed), or `undefined` for an event of the cumulative shapes, which carries its message whole.
 */
type Source = DeltaDocument | undefined

/** What one event meant. */
export type ReplyStep =
  /** Nothing a caller needs to see (a ping, the encoding marker, an unparseable line). */
  | { kind: 'none' }
  /**
   * An event; `textChanged` tells whether the reply text grew or changed. `response` is the event
   * as of now, never changed by later events. With the v1 encoding it is taken when read (a
   * snapshot makes the next op copy its path, which only a caller that keeps events should pay
   * for): read it before the next `push`, or it throws.
   */
  | { kind: 'event'; readonly response: ConversationResponseEvent; textChanged: boolean }
  /** `[DONE]` */
  | { kind: 'done' }
  /** An error reported inside the stream. */
  | { kind: 'error'; error: ChatGPTError }

/** The reply text may not grow past this many characters: a stream is hostile input. */
export const MAX_REPLY_CHARS = 16 * 1024 * 1024

/** The most characters of delta ops the message documents of one stream may be built from. */
export const MAX_DELTA_DOCUMENT_CHARS = 2 * MAX_REPLY_CHARS

/**
 * A v1 event. Its `response` is a snapshot of the delta document taken when read: a caller may
 * keep every event's object, and each must still read as of its event. (A class, not an object
 * literal with a getter, which V8 builds slowly, once per event.)
 */
class DeltaEventStep {
  readonly kind = 'event'
  constructor(
    private readonly delta: DeltaDocument,
    readonly textChanged: boolean,
    private readonly pushes: () => number,
    private readonly atPush: number
  ) {}

  get response(): ConversationResponseEvent {
    if (this.pushes() !== this.atPush) {
      throw new Error('ReplyStep.response of a v1 event read after the next push')
    }
    return this.delta.snapshot() as ConversationResponseEvent
  }
}

/** Reads a reply stream event by event into a {@link ReplyState}. */
export class ReplyReader {
  readonly state: ReplyState = { text: '', finished: false }
  private deltas: DeltaStream | undefined
  /** Counts pushes, so that a v1 step can tell when its moment has passed. */
  private pushes = 0
  /** The shown text of each v1 document that holds a visible assistant message, and of the cumulative shapes' events (`undefined`). */
  private readonly shown = new Map<DeltaDocument | undefined, ShownText>()
  /** Where the reply's text comes from now (see {@link ReplyReader.shown}). */
  private replySource: DeltaDocument | undefined
  private readonly reasoning = new ReasoningLog()

  /**
   * Work units the v1 delta documents have charged (see `MAX_WORK_PER_EVENT` in delta-patch.ts), so
   * that tests check what a stream costs by counting, not timing.
   */
  get deltaWork(): number {
    return this.deltas?.work ?? 0
  }

  /**
   * Characters of reply text the shown texts have read (see `ShownText.charactersRead`): linear in
   * the text for a stream that appends, whatever its citation markers.
   */
  get shownTextWork(): number {
    let read = 0
    for (const shown of this.shown.values()) read += shown.charactersRead
    return read
  }

  /** Interprets one event. */
  push({ event, data }: SSEEvent): ReplyStep {
    this.pushes++
    if (data === '[DONE]') return { kind: 'done' }
    if (event === 'delta_encoding') {
      this.deltas ??= newDeltaStream()
      return { kind: 'none' }
    }
    if (data === '' || event === 'ping') return { kind: 'none' }

    let parsed: unknown
    try {
      parsed = JSON.parse(data)
    } catch {
      // One garbled line must not cost the reply; if the reply never finishes, the caller
      // hears so when the stream ends.
      return { kind: 'none' }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { kind: 'none' }
    }
    const record = parsed as Record<string, unknown>
    // A delta op carries `v`, except a `remove`, which has none; no document event has an `o`.
    if ('v' in record || typeof record.o === 'string') return this.pushDelta(record as StreamOp, data.length)
    readTypedEvent(record, this.state)
    return this.pushDocument(record as ConversationResponseEvent, undefined)
  }

  /**
   * The state once the stream has ended (or been given up): fills in what is read only then
   * ({@link ReplyState.reasoning}).
   */
  settle(): ReplyState {
    const reasoning = this.reasoning.text()
    if (reasoning !== undefined) this.state.reasoning = reasoning
    return this.state
  }

  private pushDelta(op: StreamOp, size: number): ReplyStep {
    this.deltas ??= newDeltaStream()
    const applied = this.deltas.apply(op, size)
    if (applied.kind === 'too-large') {
      this.state.appended = undefined
      return {
        kind: 'error',
        error: new ChatGPTError('ChatGPT sent a reply document larger than this client accepts', {
          code: 'invalid_response',
          partialText: this.state.text
        })
      }
    }
    if (applied.kind === 'ignored') return { kind: 'none' }
    const { doc } = applied
    const document = doc.live
    if (typeof document !== 'object' || document === null) return { kind: 'none' }
    const step = this.pushDocument(document as ConversationResponseEvent, doc)
    if (step.kind !== 'event') return step
    return new DeltaEventStep(doc, step.textChanged, () => this.pushes, this.pushes)
  }

  private pushDocument(response: ConversationResponseEvent, doc: Source): ReplyStep {
    this.state.appended = undefined
    const failure = this.errorIn(response)
    if (failure) return { kind: 'error', error: failure }

    const state = this.state
    if (typeof response.conversation_id === 'string') state.conversationId = response.conversation_id

    const message = response.message
    let textChanged = false
    // A message without a string id cannot be answered later, so it cannot be the reply.
    if (!message || typeof message !== 'object' || typeof message.id !== 'string') {
      return { kind: 'event', response, textChanged }
    }
    if (visibleRole(message) === 'assistant') {
      const read = this.readReply(message, doc)
      if (read instanceof ChatGPTError) return { kind: 'error', error: read }
      textChanged = read
    } else if (isThoughts(message)) {
      // A document is read as it is when the stream ends; an event's message is the latest as sent.
      this.reasoning.note(message.id, doc ? () => (doc.live as ConversationResponseEvent | undefined)?.message : () => message)
    }
    return { kind: 'event', response, textChanged }
  }

  /**
   * Takes a visible assistant message as the reply.
   * @returns whether the reply text changed, or the error for a text too long
   */
  private readReply(message: Message, doc: Source): boolean | ChatGPTError {
    const state = this.state
    const part = message.content?.parts?.[0]
    if (typeof part === 'string' && part.length > MAX_REPLY_CHARS) {
      return new ChatGPTError(`ChatGPT sent a reply longer than ${MAX_REPLY_CHARS} characters`, {
        code: 'invalid_response',
        partialText: state.text
      })
    }
    const newMessage = message.id !== state.messageId
    if (newMessage) {
      // A new assistant message (e.g. after a tool call) replaces the previous one as the reply.
      state.messageId = message.id
      state.finished = false
      state.finishReason = undefined
    }
    let textChanged = false
    if (typeof part === 'string') {
      let shown = this.shown.get(doc)
      if (!shown) {
        shown = new ShownText()
        this.shown.set(doc, shown)
      }
      const watched = doc?.watched
      const changed = watched && !watched.clobbered ? shown.edit(watched.edits, part) : shown.set(part)
      if (doc === this.replySource) {
        textChanged = changed
        // A new message's text is a new text, even where it extends the last one.
        state.appended = newMessage ? undefined : shown.appended
      } else {
        // Another document's message is the reply now: its text replaces the one shown so far.
        this.replySource = doc
        textChanged = shown.text !== state.text
      }
      state.text = shown.text
    }
    const metadata = message.metadata
    if (metadata && typeof metadata === 'object') {
      if (typeof metadata.parent_id === 'string') state.parentMessageId = metadata.parent_id
      if (typeof metadata.model_slug === 'string') state.model = metadata.model_slug
      const finishType = metadata.finish_details?.type
      if (typeof finishType === 'string') state.finishReason = finishType
    }
    if (
      message.end_turn === true ||
      message.status === 'finished_successfully' ||
      (metadata && typeof metadata === 'object' && metadata.finish_details)
    ) {
      state.finished = true
      state.finishReason ??= 'stop'
    }
    return textChanged
  }

  /**
   * An error event (`error` or, 2026, `error_code` non-null) or a `{detail}` object inside a 200
   * stream.
   */
  private errorIn(response: ConversationResponseEvent): ChatGPTError | undefined {
    const code = response.error_code
    const hasCode = typeof code === 'string' && code !== ''
    if ((response.error === undefined || response.error === null) && !('detail' in response) && !hasCode) {
      return undefined
    }
    const detail = detailOf(response)
    if (!detail && !hasCode) return undefined
    const said = detail?.message ? oneLine(detail.message) : hasCode ? oneLine(code) : 'unknown error'
    return new ChatGPTError(`ChatGPT error while replying: ${said}`, {
      code: 'stream_error',
      partialText: this.state.text
    })
  }
}

function newDeltaStream(): DeltaStream {
  return new DeltaStream(MAX_DELTA_DOCUMENT_CHARS, TEXT_PATH)
}
