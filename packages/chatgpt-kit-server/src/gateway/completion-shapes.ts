/**
 * The Chat Completions answer shapes, exactly as the official SDK reads them: one object for a
 * whole answer; for a stream, chunks whose first delta carries `role: 'assistant'`, whose last
 * choice chunk carries `finish_reason`, and (when asked) one more with `choices: []` and `usage`.
 */

export type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number }

/** What every chunk and answer of one completion shares. */
export type CompletionHead = { id: string; created: number; model: string }

export type FinishReason = 'stop' | 'length' | 'content_filter'

/** The web backend's reason for ending a reply, as Chat Completions says it. */
export function finishReasonOf(webReason: string | undefined): FinishReason {
  // The web backend ends a cut-off reply with 'max_tokens' (the client may continue it).
  if (webReason === 'max_tokens' || webReason === 'length') return 'length'
  if (webReason === 'content_filter') return 'content_filter'
  return 'stop'
}

export function completion(head: CompletionHead, text: string, finishReason: FinishReason, usage: Usage) {
  return {
    id: head.id,
    object: 'chat.completion' as const,
    created: head.created,
    model: head.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: text, refusal: null },
        logprobs: null,
        finish_reason: finishReason
      }
    ],
    usage
  }
}

type ChunkDelta = { role?: 'assistant'; content?: string }

/** What every chunk of a stream starts with. */
function chunkHead(head: CompletionHead) {
  return { id: head.id, object: 'chat.completion.chunk' as const, created: head.created, model: head.model, system_fingerprint: null }
}

export function chunk(head: CompletionHead, delta: ChunkDelta, finishReason: FinishReason | null, includeUsage: boolean) {
  return {
    ...chunkHead(head),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
    ...(includeUsage ? { usage: null } : {})
  }
}

export function usageChunk(head: CompletionHead, usage: Usage) {
  return {
    ...chunkHead(head),
    choices: [],
    usage
  }
}

/** One server-sent event of JSON data. */
export function sseData(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`
}

export const SSE_DONE = 'data: [DONE]\n\n'
