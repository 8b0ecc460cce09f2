import { apiProblem, type ApiProblem } from './api-errors.js'
import { isObject } from './http-io.js'

/** The roles the API accepts in `messages`. */
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const
type Role = (typeof ROLES)[number]

/** One message of a checked request, its content reduced to text. */
export interface ApiMessage {
  role: Role
  /** The text, text parts joined with `\n`; other parts (images, audio) are left out. */
  content: string
  name?: string
}

/** A `POST /v1/chat/completions` body that passed the checks that need no model or window. */
export interface CompletionsRequest {
  model: string
  messages: ApiMessage[]
  stream: boolean
  /** `stream_options.include_usage`. */
  includeUsage: boolean
  /** `max_completion_tokens` or `max_tokens` (the smaller when both are set). */
  maxTokens?: { value: number; param: 'max_tokens' | 'max_completion_tokens' }
  /** Whether the body set the older `max_tokens`, which reasoning models refuse. */
  setsMaxTokens: boolean
  temperature?: number
  topP?: number
}

/**
 * Validates a Chat Completions body with the API's own checks and words (`Missing required
 * parameter: 'messages'.`, `Invalid 'messages': empty array. …`), so a client's mapping of 400s
 * can be tested. Fields it does not act on (`tools`, `stop`, `seed`, …) are accepted and ignored,
 * as newer SDKs send fields older servers do not know.
 */
export function parseCompletionsRequest(body: unknown): CompletionsRequest | ApiProblem {
  if (!isObject(body)) return invalidType('body', 'an object', body)
  const { model, messages, stream, stream_options, n } = body
  if (model === undefined || model === null) return apiProblem(400, 'you must provide a model parameter')
  if (typeof model !== 'string') return invalidType('model', 'a string', model)

  const parsedMessages = parseMessages(messages)
  if (!Array.isArray(parsedMessages)) return parsedMessages

  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return invalidType('stream', 'a boolean', stream)
  let includeUsage = false
  if (stream_options !== undefined && stream_options !== null) {
    if (stream !== true) {
      return apiProblem(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", { param: 'stream_options' })
    }
    if (!isObject(stream_options)) return invalidType('stream_options', 'an object', stream_options)
    const { include_usage } = stream_options
    if (include_usage !== undefined && include_usage !== null && typeof include_usage !== 'boolean') {
      return invalidType('stream_options.include_usage', 'a boolean', include_usage)
    }
    includeUsage = include_usage === true
  }
  if (n !== undefined && n !== null) {
    const checked = positiveInteger('n', n)
    if (typeof checked !== 'number') return checked
    if (checked > 1) {
      return apiProblem(400, "'n' above 1 is not supported by the test backend: it answers with one choice.", {
        param: 'n',
        code: 'unsupported_value'
      })
    }
  }

  const request: CompletionsRequest = {
    model,
    messages: parsedMessages,
    stream: stream === true,
    includeUsage,
    setsMaxTokens: body.max_tokens !== undefined && body.max_tokens !== null
  }
  for (const param of ['max_tokens', 'max_completion_tokens'] as const) {
    const value = body[param]
    if (value === undefined || value === null) continue
    const checked = positiveInteger(param, value)
    if (typeof checked !== 'number') return checked
    if (!request.maxTokens || checked < request.maxTokens.value) request.maxTokens = { value: checked, param }
  }
  for (const [param, key] of [['temperature', 'temperature'], ['top_p', 'topP']] as const) {
    const value = body[param]
    if (value === undefined || value === null) continue
    if (typeof value !== 'number' || !Number.isFinite(value)) return invalidType(param, 'a number', value)
    request[key] = value
  }
  return request
}

function parseMessages(messages: unknown): ApiMessage[] | ApiProblem {
  if (messages === undefined || messages === null) return missing('messages')
  if (!Array.isArray(messages)) return invalidType('messages', 'an array of objects', messages)
  if (messages.length === 0) {
    return apiProblem(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", {
      param: 'messages',
      code: 'empty_array'
    })
  }
  const parsed: ApiMessage[] = []
  for (const [index, message] of messages.entries()) {
    const one = parseMessage(message, `messages[${index}]`)
    if (!isMessage(one)) return one
    parsed.push(one)
  }
  return parsed
}

function parseMessage(message: unknown, param: string): ApiMessage | ApiProblem {
  if (!isObject(message)) return invalidType(param, 'an object', message)
  const { role, content, name } = message
  if (role === undefined || role === null) return missing(`${param}.role`)
  if (!ROLES.includes(role as Role)) {
    return apiProblem(
      400,
      `Invalid value: '${String(role).slice(0, 40)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
      { param: `${param}.role`, code: 'invalid_value' }
    )
  }
  if (name !== undefined && typeof name !== 'string') return invalidType(`${param}.name`, 'a string', name)
  // Only an assistant message may come without content (it then calls tools).
  if (content === undefined || content === null) {
    if (role !== 'assistant') return missing(`${param}.content`)
    return withName({ role, content: '' }, name)
  }
  if (typeof content === 'string') return withName({ role: role as Role, content }, name)
  if (!Array.isArray(content) || !content.every(isObject)) {
    return invalidType(`${param}.content`, 'one of a string or array of objects', content)
  }
  const texts: string[] = []
  for (const [index, part] of content.entries()) {
    if (typeof part.type !== 'string') return missing(`${param}.content[${index}].type`)
    if (part.type !== 'text') continue
    if (typeof part.text !== 'string') return missing(`${param}.content[${index}].text`)
    texts.push(part.text)
  }
  return withName({ role: role as Role, content: texts.join('\n') }, name)
}

function withName(message: ApiMessage, name: unknown): ApiMessage {
  return typeof name === 'string' ? { ...message, name } : message
}

function isMessage(value: ApiMessage | ApiProblem): value is ApiMessage {
  return 'role' in value
}

function positiveInteger(param: string, value: unknown): number | ApiProblem {
  if (typeof value !== 'number' || !Number.isInteger(value)) return invalidType(param, 'an integer', value)
  if (value < 1) {
    return apiProblem(400, `Invalid '${param}': integer below minimum value. Expected a value >= 1, but got ${value} instead.`, {
      param,
      code: 'integer_below_min_value'
    })
  }
  return value
}

const missing = (param: string): ApiProblem =>
  apiProblem(400, `Missing required parameter: '${param}'.`, { param, code: 'missing_required_parameter' })

function invalidType(param: string, expected: string, value: unknown): ApiProblem {
  const message =
    param === 'body'
      ? `Invalid type for request body: expected ${expected}, but got ${describe(value)} instead.`
      : `Invalid type for '${param}': expected ${expected}, but got ${describe(value)} instead.`
  return apiProblem(400, message, { param: param === 'body' ? null : param, code: 'invalid_type' })
}

/** How the API names a JSON value's type in its messages. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number'
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'boolean') return 'a boolean'
  return 'an object'
}
