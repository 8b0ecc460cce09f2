import { randomBytes } from 'node:crypto'
import { SERVER_ERROR } from './api-errors.js'
import type { StreamRenderer } from './event-shapes.js'

/** What every chunk and answer of one completion shares. */
export interface CompletionHead {
  /** `chatcmpl-…`. */
  id: string
  /** Unix seconds. */
  created: number
  model: string
  system_fingerprint: string
}

/** `usage` as the API reports it, details included (all zero: the backend has no cache or reasoning). */
export interface ApiUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number }
  completion_tokens_details: {
    reasoning_tokens: number
    audio_tokens: number
    accepted_prediction_tokens: number
    rejected_prediction_tokens: number
  }
}

export type ApiFinishReason = 'stop' | 'length'

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A new completion's head: an id shaped like OpenAI's (`chatcmpl-` and 29 letters or digits). */
export function completionHead(model: string): CompletionHead {
  const id = [...randomBytes(29)].map((byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('')
  return {
    id: `chatcmpl-${id}`,
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: `fp_${randomBytes(5).toString('hex')}`
  }
}

export function apiUsage(promptTokens: number, completionTokens: number): ApiUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 }
  }
}

/** A whole `chat.completion`, the answer to a request without `stream`. */
export function completionObject(head: CompletionHead, text: string, finishReason: ApiFinishReason, usage: ApiUsage) {
  return {
    id: head.id,
    object: 'chat.completion' as const,
    created: head.created,
    model: head.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: finishReason
      }
    ],
    usage,
    service_tier: 'default',
    system_fingerprint: head.system_fingerprint
  }
}

const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`

/**
 * The `chat.completion.chunk` stream as OpenAI sends it: a first chunk whose delta has
 * `role: 'assistant'` and empty content, one chunk per piece of text, a last choice chunk with an
 * empty delta and `finish_reason`; with `include_usage`, `usage: null` on each of those and then
 * one more chunk with `choices: []` and the usage. (`[DONE]` is added by the caller.)
 */
export function createCompletionRenderer(
  head: CompletionHead,
  opts: { finishReason: ApiFinishReason; includeUsage: boolean; usage: ApiUsage }
): StreamRenderer {
  const chunk = (choices: unknown[], usage?: ApiUsage) =>
    frame({
      id: head.id,
      object: 'chat.completion.chunk',
      created: head.created,
      model: head.model,
      service_tier: 'default',
      system_fingerprint: head.system_fingerprint,
      choices,
      ...(opts.includeUsage ? { usage: usage ?? null } : {})
    })
  const choice = (delta: Record<string, unknown>, finishReason: ApiFinishReason | null) =>
    chunk([{ index: 0, delta, logprobs: null, finish_reason: finishReason }])
  return {
    open: () => [choice({ role: 'assistant', content: '', refusal: null }, null)],
    progress: (delta) => choice({ content: delta }, null),
    // Two events in one frame: the last text, then the finish (as OpenAI never puts text and
    // finish_reason in the same chunk).
    finish: (delta) => (delta === '' ? '' : choice({ content: delta }, null)) + choice({}, opts.finishReason),
    close: () => (opts.includeUsage ? [chunk([], opts.usage)] : []),
    error: (error) => frame({ error: typeof error === 'string' ? serverError(error) : error }),
    detail: (detail) => frame({ detail })
  }
}

/** The `error` object of an in-stream failure given as a message. */
export function serverError(message: string = SERVER_ERROR) {
  return { message, type: 'server_error', param: null, code: null }
}
