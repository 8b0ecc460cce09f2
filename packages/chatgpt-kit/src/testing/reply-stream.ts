import type { StreamRenderer } from './event-shapes.js'
import { DONE_FRAME } from './event-shapes.js'
import { GENERIC_FAILURE, type StreamFault } from './faults.js'
import type { ReplyWriter } from './reply-writer.js'
import type { ConversationMessage } from './types.js'

/** One response's worth of a reply, ready to stream. */
export interface ReplyRun {
  writer: ReplyWriter
  renderer: StreamRenderer
  /**
   * The stored assistant message; its text grows as events go out. Absent where nothing is
   * stored (the Chat Completions API keeps no conversations).
   */
  assistant?: ConversationMessage
  /** Text pieces, one per event. */
  chunks: string[]
  /** Why the message ends if the stream runs to its end. */
  finishReason: 'stop' | 'max_tokens'
  fault?: StreamFault
  /** More headers for the 200 answer. */
  headers?: Record<string, string>
}

/** How a run ended: how many chunks were rendered, and whether the message was marked finished. */
export interface RunOutcome {
  rendered: number
  finished: boolean
}

/**
 * Streams a reply: the shape's preamble, one event per chunk, the finish event, the trailer and
 * `[DONE]`; or, with a fault, the first `afterEvents` chunks and then the failure.
 *
 * The last chunk normally rides in the finish event (as v1's final patch carries the last
 * append), so a fault's chunk count and the normal path line up in every shape.
 */
export async function runReply(run: ReplyRun): Promise<RunOutcome> {
  const { writer, renderer, assistant, chunks, fault } = run
  const outcome: RunOutcome = { rendered: 0, finished: false }
  writer.start(run.headers)
  for (const frame of renderer.open()) {
    if (!(await writer.send(frame))) return outcome
  }

  const finishedCut = fault?.type === 'cut' && fault.finished === true
  const explicitStop = fault && fault.afterEvents !== undefined ? Math.min(fault.afterEvents, chunks.length) : undefined
  const progressEvents = !fault || (finishedCut && explicitStop === undefined)
    ? Math.max(chunks.length - 1, 0)
    : explicitStop ?? 0

  while (outcome.rendered < progressEvents) {
    // Counted before sending: the stored text already holds it even if the client is gone.
    const delta = chunks[outcome.rendered++]!
    appendText(assistant, delta)
    if (!(await writer.send(renderer.progress(delta)))) return outcome
  }

  if (fault && !finishedCut) {
    await breakStream(writer, renderer, fault)
    return outcome
  }

  // The finish event carries what is left, except after a cut at an explicit point.
  const carryRest = explicitStop === undefined
  const last = carryRest ? chunks.slice(outcome.rendered).join('') : ''
  appendText(assistant, last)
  if (carryRest) outcome.rendered = chunks.length
  markFinished(assistant, run.finishReason)
  outcome.finished = true
  if (!(await writer.send(renderer.finish(last)))) return outcome
  if (fault) {
    writer.end()
    return outcome
  }
  for (const frame of [...renderer.close(), DONE_FRAME]) {
    if (!(await writer.send(frame))) return outcome
  }
  writer.end()
  return outcome
}

async function breakStream(writer: ReplyWriter, renderer: StreamRenderer, fault: StreamFault): Promise<void> {
  switch (fault.type) {
    case 'stall':
      // Nothing more, ever: only the client leaving or close() ends this.
      await writer.closed
      return
    case 'reset':
      writer.destroy()
      return
    case 'cut':
      writer.end()
      return
    case 'stream-error':
      await writer.send(renderer.error(fault.error ?? GENERIC_FAILURE))
      writer.end()
      return
    case 'detail-event':
      await writer.send(renderer.detail(fault.detail ?? GENERIC_FAILURE))
      writer.end()
      return
  }
}

function appendText(message: ConversationMessage | undefined, delta: string): void {
  if (!message) return
  message.content.parts[0] = (message.content.parts[0] ?? '') + delta
}

function markFinished(message: ConversationMessage | undefined, reason: 'stop' | 'max_tokens'): void {
  if (!message) return
  message.status = 'finished_successfully'
  message.end_turn = reason === 'stop'
  message.update_time = Date.now() / 1000
  message.metadata = {
    ...message.metadata,
    // 100260 is `<|endoftext|>` in cl100k, what the real backend reported.
    finish_details: reason === 'stop' ? { type: 'stop', stop_tokens: [100260] } : { type: 'max_tokens' },
    is_complete: true
  }
}
