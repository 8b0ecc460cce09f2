/**
 * A Chat Completions stream, start to end: bytes → events → the reply's text (appended delta by
 * delta: work proportional to the new text), its finish reason, model and usage. `[DONE]`
 * resolves; an end without it resolves only if the choice had finished; an `error` event
 * rejects with what the API said.
 */
import { ChatGPTError } from '../../errors.js'
import type { BodyReader } from '../body-reader.js'
import { parseJson } from '../http-error.js'
import { SSEDecoder } from '../sse.js'
import { apiErrorBody, apiStreamError } from './api-error.js'

/** Token counts the API reported (with `stream_options.include_usage`). */
export type CompletionUsage = { promptTokens: number; completionTokens: number; totalTokens: number }

export type CompletionResult = {
  text: string
  /** `stop`, `length`, `content_filter`, … when the API said. */
  finishReason?: string
  model?: string
  usage?: CompletionUsage
}

/** A chunk's event is far smaller than a web reply's whole-text events: 1 MiB bounds it. */
const MAX_CHUNK_EVENT_CHARS = 1024 * 1024

/**
 * Reads a completion stream to its end.
 *
 * @param onDelta - Called with the whole text so far and what the chunk appended.
 * @throws the call's abort reason; ChatGPTError `stream_error` (or `context_length_exceeded`) for
 *   an error event, `stream_incomplete` / `network` for a stream that ended early (with
 *   `partialText`), `invalid_response` for a body that is not a stream.
 */
export async function readCompletionStream(body: BodyReader, onDelta: (text: string, appended: string) => void): Promise<CompletionResult> {
  const result: CompletionResult = { text: '' }
  let outcome: 'done' | ChatGPTError | undefined
  let sawEvent = false
  const decoder = new SSEDecoder((event) => {
    if (outcome) return
    if (event.data === '[DONE]') {
      outcome = 'done'
      return
    }
    const chunk = parseJson(event.data)
    if (chunk === undefined || typeof chunk !== 'object' || chunk === null) return
    sawEvent = true
    const error = apiErrorBody(chunk)
    if (error) {
      outcome = apiStreamError(error, result.text)
      return
    }
    const { model, usage, choices } = chunk as { model?: unknown; usage?: unknown; choices?: unknown }
    if (typeof model === 'string' && model) result.model = model
    if (usage) result.usage = usageOf(usage) ?? result.usage
    // One choice is asked for (n = 1): index 0.
    const choice: unknown = Array.isArray(choices) ? (choices.find((c) => (c as { index?: unknown } | null)?.index === 0) ?? choices[0]) : undefined
    if (!choice || typeof choice !== 'object') return
    const { delta, finish_reason: finishReason } = choice as { delta?: { content?: unknown } | null; finish_reason?: unknown }
    const content = delta?.content
    if (typeof finishReason === 'string') result.finishReason = finishReason
    if (typeof content === 'string' && content.length > 0) {
      result.text += content
      onDelta(result.text, content)
    }
  }, MAX_CHUNK_EVENT_CHARS)

  try {
    while (!outcome) {
      let chunk: Uint8Array | undefined
      try {
        chunk = await body.read()
      } catch (error) {
        if (!(error instanceof ChatGPTError) || error.code !== 'network') throw error
        if (result.finishReason !== undefined) return result
        throw new ChatGPTError('The OpenAI API connection was lost before the reply had finished', {
          code: 'network',
          partialText: result.text,
          originalError: error.originalError
        })
      }
      if (!chunk) {
        decoder.end()
        break
      }
      decoder.push(chunk)
    }
  } finally {
    body.cancel()
  }
  if (outcome instanceof ChatGPTError) throw outcome
  if (outcome === 'done' || result.finishReason !== undefined) return result
  if (!sawEvent) {
    throw new ChatGPTError('The OpenAI API answered with something that is not a completion stream', { code: 'invalid_response' })
  }
  throw new ChatGPTError('The OpenAI API stream ended before the reply had finished', { code: 'stream_incomplete', partialText: result.text })
}

function usageOf(value: unknown): CompletionUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total } = value as Record<string, unknown>
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined
  return { promptTokens: prompt, completionTokens: completion, totalTokens: typeof total === 'number' ? total : prompt + completion }
}
