/**
 * Events → reply state, for every shape the backend has sent: Dec-2022
 * (`message.role`), 2023+ (`message.author.role`, hidden system and user messages, message-less
 * events) and the 2024 v1 delta encoding. Everything above this module is shape-agnostic.
 */
import { ChatGPTError } from '../errors.js'
import type { ConversationResponseEvent } from '../types.js'
import { DeltaDocument, type DeltaOp } from './delta-patch.js'
import { detailOf } from './http-error.js'
import { oneLine } from './redact.js'
import type { SSEEvent } from './sse.js'
import { visibleRole } from './visible-role.js'

/** What a reply stream has established so far. */
export type ReplyState = {
  /** The assistant's text so far (markdown, as the server sent it). */
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
}

/** Where the v1 encoding keeps the reply's text. */
const TEXT_PATH = '/message/content/parts/0'

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

/** The most characters of delta ops one message document may be built from. */
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
  private delta: DeltaDocument | undefined
  private deltaChars = 0
  /** Counts pushes, so that a v1 step can tell when its moment has passed. */
  private pushes = 0

  /**
   * Work units the v1 delta document has charged (see `MAX_WORK_PER_EVENT` in delta-patch.ts), so
   * that tests check what a stream costs by counting, not timing.
   */
  get deltaWork(): number {
    return this.delta?.work ?? 0
  }

  /** Interprets one event. */
  push({ event, data }: SSEEvent): ReplyStep {
    this.pushes++
    if (data === '[DONE]') return { kind: 'done' }
    if (event === 'delta_encoding') {
      this.delta ??= new DeltaDocument()
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
    if ('v' in record || typeof record.o === 'string') return this.pushDelta(record as DeltaOp, data.length)
    return this.pushDocument(record as ConversationResponseEvent)
  }

  private pushDelta(op: DeltaOp, size: number): ReplyStep {
    this.delta ??= new DeltaDocument()
    // The document only grows by what the ops carry, until an `add` at the root replaces it;
    // counting their size bounds it, whichever path a hostile stream appends to.
    if (op.p === '' && op.o === 'add') this.deltaChars = 0
    this.deltaChars += size
    if (this.deltaChars > MAX_DELTA_DOCUMENT_CHARS) {
      return {
        kind: 'error',
        error: new ChatGPTError('ChatGPT sent a reply document larger than this client accepts', {
          code: 'invalid_response',
          partialText: this.state.text
        })
      }
    }
    const before = { length: this.state.text.length, messageId: this.state.messageId }
    this.delta.apply(op)
    const document = this.delta.live
    if (typeof document !== 'object' || document === null) return { kind: 'none' }
    const step = this.pushDocument(document as ConversationResponseEvent)
    this.state.appended = appendedText(this.state, before, this.delta.lastOp, op.v)
    if (step.kind !== 'event') return step
    return new DeltaEventStep(this.delta, step.textChanged, () => this.pushes, this.pushes)
  }

  private pushDocument(response: ConversationResponseEvent): ReplyStep {
    this.state.appended = undefined
    const failure = this.errorIn(response)
    if (failure) return { kind: 'error', error: failure }

    const state = this.state
    if (typeof response.conversation_id === 'string') state.conversationId = response.conversation_id

    const message = response.message
    let textChanged = false
    // A message without a string id cannot be answered later, so it cannot be the reply.
    if (message && typeof message === 'object' && typeof message.id === 'string' && visibleRole(message) === 'assistant') {
      const part = message.content?.parts?.[0]
      const text = typeof part === 'string' ? part : state.text
      if (text.length > MAX_REPLY_CHARS) {
        return {
          kind: 'error',
          error: new ChatGPTError(`ChatGPT sent a reply longer than ${MAX_REPLY_CHARS} characters`, {
            code: 'invalid_response',
            partialText: state.text
          })
        }
      }
      if (message.id !== state.messageId) {
        // A new assistant message (e.g. after a tool call) replaces the previous one as the reply.
        state.messageId = message.id
        state.finished = false
        state.finishReason = undefined
      }
      textChanged = text !== state.text
      state.text = text
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
    }
    return { kind: 'event', response, textChanged }
  }

  /** An error event (`error` non-null) or a `{detail}` object inside a 200 stream. */
  private errorIn(response: ConversationResponseEvent): ChatGPTError | undefined {
    if ((response.error === undefined || response.error === null) && !('detail' in response)) {
      return undefined
    }
    const detail = detailOf(response)
    if (!detail) return undefined
    const said = detail.message ? oneLine(detail.message) : 'unknown error'
    return new ChatGPTError(`ChatGPT error while replying: ${said}`, {
      code: 'stream_error',
      partialText: this.state.text
    })
  }
}

/** What a v1 op appended to the reply's text, when that is all it did (see `ReplyState.appended`). */
function appendedText(
  state: ReplyState,
  before: { length: number; messageId: string | undefined },
  { path, op }: { path: string; op: string },
  value: unknown
): string | undefined {
  if (op !== 'append' || path !== TEXT_PATH || typeof value !== 'string' || value === '') return undefined
  // Lengths are O(1) on any string; the checks make sure the op landed on the reply's own text.
  if (state.messageId !== before.messageId || state.text.length !== before.length + value.length) return undefined
  return value
}
