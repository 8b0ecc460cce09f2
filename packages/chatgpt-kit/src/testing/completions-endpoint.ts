import type { ServerResponse } from 'node:http'
import { apiHeaders, apiProblem, isApiProblem, sendApiError, sendProblem, type ApiProblem } from './api-errors.js'
import { requireApiKey } from './api-keys.js'
import { isReasoningModel, unknownApiModel } from './api-models.js'
import {
  apiUsage,
  completionHead,
  completionObject,
  createCompletionRenderer,
  serverError,
  type ApiFinishReason,
  type CompletionHead
} from './completion-shapes.js'
import { parseCompletionsRequest, type CompletionsRequest } from './completions-request.js'
import type { BackendContext, Exchange } from './context.js'
import { tokenize } from './default-reply.js'
import { GENERIC_FAILURE, sendAnswerFault, type StreamFault } from './faults.js'
import { sendJson } from './http-io.js'
import { runReply } from './reply-stream.js'
import { ReplyWriter } from './reply-writer.js'
import { countPromptTokens, type TokenCounter } from './token-estimate.js'
import type { ReplyContext } from './types.js'

// The API's answer to a body that is not JSON, word for word.
const INVALID_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"

/** A checked request with its token budget worked out. */
interface Budget {
  promptTokens: number
  /** The most tokens the reply may have: the request's limit, the model's, what the window leaves. */
  replyLimit: number
}

/**
 * `POST /v1/chat/completions`: the official Chat Completions API, answered with the backend's
 * `reply` function. Nothing is stored: like the real API, every request carries its whole context,
 * and `backend.requests` records what was sent.
 *
 * Checks run in this order: answer faults, API key, JSON, the body's fields, the model, what the
 * model refuses, the output limit, the context window. Stream faults are taken only after all of
 * them pass.
 */
export async function handleChatCompletions(ctx: BackendContext, ex: Exchange): Promise<void> {
  const { req, res, body } = ex
  const answerFault = ctx.faults.takeAnswer('completions')
  if (answerFault) return sendAnswerFault(res, answerFault, 'completions')
  if (!requireApiKey(ctx.apiKeys, req, res)) return
  if (body.kind === 'invalid') return sendApiError(res, 400, INVALID_JSON)
  const request = parseCompletionsRequest(body.kind === 'json' ? body.value : {})
  if (isApiProblem(request)) return sendProblem(res, request)
  const refused = unknownApiModel(request.model, ctx.options.apiModels) ?? modelRefusal(request)
  if (refused) return sendProblem(res, refused)
  const budget = tokenBudget(ctx, request)
  if (isApiProblem(budget)) return sendProblem(res, budget)

  const head = completionHead(request.model)
  const reply = replyText(ctx, request, head)
  if (isApiProblem(reply)) return sendProblem(res, reply)
  // Counting the whole reply first finds a broken counter before the cut relies on it.
  const replyTokens = checkedCount(ctx.options.apiTokenCounter, reply)
  if (isApiProblem(replyTokens)) return sendProblem(res, replyTokens)
  const sent = replyTokens <= budget.replyLimit ? reply : cutToTokens(reply, budget.replyLimit, ctx.options.apiTokenCounter)
  const completionTokens = sent === reply ? replyTokens : checkedCount(ctx.options.apiTokenCounter, sent)
  if (isApiProblem(completionTokens)) return sendProblem(res, completionTokens)
  const finishReason: ApiFinishReason = sent.length < reply.length ? 'length' : 'stop'
  const usage = apiUsage(budget.promptTokens, completionTokens)
  const fault = ctx.faults.takeStream('completions')

  if (!request.stream) {
    if (fault) return breakAnswer(res, fault, completionObject(head, sent, finishReason, usage))
    return sendJson(res, 200, completionObject(head, sent, finishReason, usage), apiHeaders())
  }
  const { options } = ctx
  await runReply({
    writer: new ReplyWriter(res, {
      eventDelayMs: options.eventDelayMs,
      chunking: options.chunking,
      stalledClientTimeoutMs: options.stalledClientTimeoutMs
    }),
    renderer: createCompletionRenderer(head, { finishReason, includeUsage: request.includeUsage, usage }),
    chunks: groupTokens(tokenize(sent), options.tokensPerEvent),
    finishReason: finishReason === 'length' ? 'max_tokens' : 'stop',
    fault,
    headers: apiHeaders()
  })
}

/** What a reasoning model refuses that other models take. */
function modelRefusal(request: CompletionsRequest): ApiProblem | undefined {
  if (!isReasoningModel(request.model)) return undefined
  if (request.setsMaxTokens) {
    return apiProblem(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", {
      param: 'max_tokens',
      code: 'unsupported_parameter'
    })
  }
  for (const [param, value] of [['temperature', request.temperature], ['top_p', request.topP]] as const) {
    if (value !== undefined && value !== 1) {
      return apiProblem(400, `Unsupported value: '${param}' does not support ${value} with this model. Only the default (1) value is supported.`, {
        param,
        code: 'unsupported_value'
      })
    }
  }
  return undefined
}

/** The prompt's tokens and the reply's limit, or the API's refusal of a request that does not fit. */
function tokenBudget(ctx: BackendContext, request: CompletionsRequest): Budget | ApiProblem {
  const { apiContextTokens: window, apiMaxOutputTokens: maxOutput, apiTokenCounter } = ctx.options
  const asked = request.maxTokens
  if (asked && asked.value > maxOutput) {
    return apiProblem(
      400,
      `${asked.param} is too large: ${asked.value}. This model supports at most ${maxOutput} completion tokens, whereas you provided ${asked.value}.`,
      { param: asked.param }
    )
  }
  let broken: ApiProblem | undefined
  const promptTokens = countPromptTokens(request.messages, (text) => {
    const counted = checkedCount(apiTokenCounter, text)
    if (typeof counted === 'number') return counted
    broken ??= counted
    return 0
  })
  if (broken) return broken
  const tooLong = (detail: string) =>
    apiProblem(400, `This model's maximum context length is ${window} tokens. However, ${detail}`, {
      param: 'messages',
      code: 'context_length_exceeded'
    })
  if (promptTokens > window) {
    return tooLong(`your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`)
  }
  if (asked && promptTokens + asked.value > window) {
    return tooLong(
      `you requested ${promptTokens + asked.value} tokens (${promptTokens} in the messages, ${asked.value} in the completion). Please reduce the length of the messages or completion.`
    )
  }
  return { promptTokens, replyLimit: Math.min(asked?.value ?? Infinity, maxOutput, window - promptTokens) }
}

/** The reply function's text for the request, or the 500 that says why there is none. */
function replyText(ctx: BackendContext, request: CompletionsRequest, head: CompletionHead): string | ApiProblem {
  const thread: ReplyContext['messages'] = []
  const system: string[] = []
  for (const message of request.messages) {
    if (message.role === 'user' || message.role === 'assistant') thread.push({ role: message.role, text: message.content })
    else if (message.role === 'system' || message.role === 'developer') system.push(message.content)
  }
  const prompt = thread.findLast((message) => message.role === 'user')?.text ?? ''
  let text: unknown
  try {
    text = ctx.options.reply(prompt, {
      conversationId: head.id,
      messages: thread,
      action: 'next',
      chatCompletion: { model: request.model, system }
    })
  } catch (error) {
    return replyFailure(`The reply function threw: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (typeof text !== 'string') return replyFailure(`The reply function must return a string, got ${typeof text}.`)
  return text
}

const replyFailure = (message: string) => apiProblem(500, message, { type: 'server_error', code: 'reply_function_error' })

/** A count from the configured counter, or the 500 that says the counter is broken. */
function checkedCount(count: TokenCounter, text: string): number | ApiProblem {
  let counted: unknown
  try {
    counted = count(text)
  } catch (error) {
    return replyFailure(`apiTokenCounter threw: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (!Number.isInteger(counted) || (counted as number) < 0) {
    return replyFailure(`apiTokenCounter must return a whole number >= 0, got ${String(counted)}.`)
  }
  return counted as number
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

/**
 * The longest start of `text` that counts at most `limit` tokens (never splitting a surrogate
 * pair): found by halving, as counting is monotonic in the text's length for any real tokenizer.
 */
function cutToTokens(text: string, limit: number, count: TokenCounter): string {
  const fits = (end: number) => {
    const counted = count(text.slice(0, end))
    return Number.isInteger(counted) && counted <= limit
  }
  let low = 0
  let high = text.length
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (fits(mid)) low = mid
    else high = mid - 1
  }
  if (low > 0 && isHighSurrogate(text.charCodeAt(low - 1))) low--
  return text.slice(0, low)
}

function groupTokens(tokens: string[], size: number): string[] {
  const chunks: string[] = []
  for (let i = 0; i < tokens.length; i += size) chunks.push(tokens.slice(i, i + size).join(''))
  return chunks
}

/** A stream fault where no stream was asked for: each breaks the JSON answer the closest way. */
async function breakAnswer(res: ServerResponse, fault: StreamFault, answer: unknown): Promise<void> {
  switch (fault.type) {
    case 'stall':
      // Nothing, ever: only the client leaving or close() ends this.
      if (!res.socket || res.socket.destroyed) return
      await new Promise((resolve) => res.once('close', resolve))
      return
    case 'reset':
      res.socket?.destroy()
      return
    case 'cut': {
      const json = JSON.stringify(answer)
      res.writeHead(200, { 'content-type': 'application/json', ...apiHeaders() })
      res.end(json.slice(0, Math.floor(json.length / 2)))
      return
    }
    case 'stream-error': {
      const error = fault.error ?? GENERIC_FAILURE
      return sendJson(res, 200, { error: typeof error === 'string' ? serverError(error) : error }, apiHeaders())
    }
    case 'detail-event':
      return sendJson(res, 200, { detail: fault.detail ?? GENERIC_FAILURE }, apiHeaders())
  }
}
