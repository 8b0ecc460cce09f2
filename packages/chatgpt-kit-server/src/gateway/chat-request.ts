/**
 * The body of `POST /v1/chat/completions`, checked (zod) and reduced to what the gateway uses.
 * What the web backend cannot do is refused with a 400 naming the field (tools, images, `n` > 1,
 * log probabilities, JSON modes); sampling knobs it has no use for are accepted and ignored
 * (the README lists them), as are fields this version does not know, so that newer SDKs work.
 */
import { z } from 'zod'

import { apiError, type ApiError } from './api-error.js'

/**
 * One message of a transcript, as text. `developer` messages count as `system`. `name` counts in
 * `usage` only (the web backend has no use for it).
 */
export type TranscriptMessage = { role: 'system' | 'user' | 'assistant'; content: string; name?: string }

/** A checked chat request. */
export type ChatRequest = {
  model: string
  messages: TranscriptMessage[]
  stream: boolean
  /** `stream_options.include_usage`: one more chunk with `usage` before `[DONE]`. */
  includeUsage: boolean
}

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() })

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPart)]).nullish(),
  name: z.string().optional()
})

const chatBody = z.looseObject({
  // Bounded: the slug goes into error messages, log lines and metric labels.
  model: z.string().min(1, 'model must name a model; see GET /v1/models').max(128, 'model must be a model slug of at most 128 characters'),
  messages: z.array(message).min(1, 'messages must hold at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.number().int().nullish(),
  tools: z.array(z.unknown()).nullish(),
  functions: z.array(z.unknown()).nullish(),
  tool_choice: z.unknown().optional(),
  function_call: z.unknown().optional(),
  response_format: z.looseObject({ type: z.string() }).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().nullish(),
  modalities: z.array(z.string()).nullish(),
  audio: z.unknown().optional()
})

/** Fields a caller may send that the web backend cannot honour: accepted, and ignored. */
export const IGNORED_FIELDS = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'seed',
  'user',
  'metadata',
  'store',
  'reasoning_effort',
  'service_tier',
  'parallel_tool_calls'
] as const

/** A request body (already parsed JSON) as a {@link ChatRequest}, or the 400 that says what is wrong. */
export function parseChatRequest(body: unknown): { ok: true; request: ChatRequest } | { ok: false; error: ApiError } {
  const parsed = chatBody.safeParse(body)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const param = paramOf(issue.path)
    const message = issue.code === 'invalid_type' || issue.code === 'invalid_value' ? `Invalid value for '${param}': ${issue.message}` : issue.message
    return { ok: false, error: apiError(400, message, { param, code: 'invalid_value' }) }
  }
  const data = parsed.data
  const unsupported = unsupportedField(data)
  if (unsupported) return { ok: false, error: unsupported }
  const messages: TranscriptMessage[] = []
  for (const [index, entry] of data.messages.entries()) {
    const checked = transcriptMessage(entry, index)
    if (!checked.ok) return checked
    messages.push(checked.message)
  }
  if (messages.at(-1)!.role !== 'user') {
    return {
      ok: false,
      error: apiError(400, 'The last message must be from the user: there is nothing to answer otherwise', {
        param: `messages[${messages.length - 1}].role`,
        code: 'invalid_value'
      })
    }
  }
  return {
    ok: true,
    request: { model: data.model, messages, stream: data.stream === true, includeUsage: data.stream_options?.include_usage === true }
  }
}

function unsupportedField(data: z.infer<typeof chatBody>): ApiError | undefined {
  const refuse = (param: string, why: string) => apiError(400, `'${param}' is not supported by this gateway: ${why}`, { param, code: 'unsupported_parameter' })
  if (data.n != null && data.n !== 1) return refuse('n', 'it answers with one choice')
  if (data.tools != null && data.tools.length > 0) return refuse('tools', 'the web backend has no function calling')
  if (data.functions != null && data.functions.length > 0) return refuse('functions', 'the web backend has no function calling')
  if (data.response_format != null && data.response_format.type !== 'text') {
    return refuse('response_format', "only { type: 'text' } is supported")
  }
  if (data.logprobs === true || data.top_logprobs != null) return refuse('logprobs', 'the web backend gives no log probabilities')
  if (data.modalities != null && data.modalities.some((modality) => modality !== 'text')) return refuse('modalities', 'only text is supported')
  if (data.audio != null) return refuse('audio', 'only text is supported')
  return undefined
}

function transcriptMessage(
  entry: z.infer<typeof message>,
  index: number
): { ok: true; message: TranscriptMessage } | { ok: false; error: ApiError } {
  const param = `messages[${index}]`
  if (entry.role === 'tool' || entry.role === 'function') {
    return { ok: false, error: apiError(400, `${param}: '${entry.role}' messages are not supported (the web backend has no function calling)`, { param: `${param}.role`, code: 'unsupported_parameter' }) }
  }
  const role = entry.role === 'developer' ? 'system' : entry.role
  if (entry.content == null) {
    return { ok: false, error: apiError(400, `${param}.content must be text (a string or text parts)`, { param: `${param}.content`, code: 'invalid_value' }) }
  }
  const named = entry.name === undefined ? {} : { name: entry.name }
  if (typeof entry.content === 'string') return { ok: true, message: { role, content: entry.content, ...named } }
  const texts: string[] = []
  for (const [partIndex, part] of entry.content.entries()) {
    if (part.type !== 'text' || typeof part.text !== 'string') {
      const where = `${param}.content[${partIndex}]`
      return { ok: false, error: apiError(400, `${where}: only text parts are supported, not '${String(part.type).slice(0, 40)}'`, { param: `${where}.type`, code: 'unsupported_parameter' }) }
    }
    texts.push(part.text)
  }
  // Text parts are one text, as OpenAI reads them.
  return { ok: true, message: { role, content: texts.join('\n'), ...named } }
}

function paramOf(path: readonly PropertyKey[]): string {
  let param = ''
  for (const key of path) param += typeof key === 'number' ? `[${key}]` : param === '' ? String(key) : `.${String(key)}`
  return param || 'body'
}
