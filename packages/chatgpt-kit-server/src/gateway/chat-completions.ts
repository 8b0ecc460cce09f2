/**
 * `POST /v1/chat/completions`: a checked request becomes one message to the pool (the new message
 * of a conversation this gateway answered, or the whole transcript as a new conversation), and
 * the reply becomes a Chat Completions answer or stream. The answer's status is settled before
 * any byte is sent: a stream starts only once the reply has (so 429/503/504 stay real statuses).
 */
import { randomUUID } from 'node:crypto'

import { ChatGPTError, type ChatGPTAccountPool, type ChatGPTReply, type ChatGPTStreamUpdate, type SendMessageOptions } from 'chatgpt-kit'
import { linkedSignal, tokenCounterFor } from 'chatgpt-kit/internal'

import { type ApiError, apiError, errorBody, errorResponse, upstreamError } from './api-error.js'
import type { AnsweredTranscripts, Continuation } from './answered-transcripts.js'
import type { Caller } from './api-keys.js'
import { type ChatRequest, type TranscriptMessage, parseChatRequest } from './chat-request.js'
import { type CompletionHead, SSE_DONE, chunk, completion, finishReasonOf, sseData, usageChunk } from './completion-shapes.js'
import type { GatewayMetrics } from './gateway-metrics.js'
import type { GatewayLogger } from './gateway-options.js'
import { readJsonBody } from './json-body.js'
import type { ModelCatalog } from './model-catalog.js'
import type { RequestTrace } from './request-trace.js'
import { promptOf, splitFollowUp, transcriptKey } from './transcript.js'

export type ChatCompletionsDeps = {
  pool: ChatGPTAccountPool
  transcripts: AnsweredTranscripts
  catalog: ModelCatalog
  metrics: GatewayMetrics
  logger: GatewayLogger | undefined
  queueTimeoutMs: number
  timeoutMs: number
  maxBodyBytes: number
  /** Aborts every reply still running when the gateway's grace period on shutdown is over. */
  shutdownSignal: AbortSignal
}

/** How a request is sent: a new conversation, or the next message of one the gateway answered. */
type Plan = { kind: 'new'; message: string } | { kind: 'follow_up'; message: string; continuation: Continuation }

/** Failures of a follow-up that a new conversation with the whole transcript gets round. */
const RESTARTABLE = new Set(['conversation_not_found', 'session_expired', 'unauthorized', 'token_expired'])

type Send<T> = (message: string, opts: SendMessageOptions & { queueTimeoutMs: number }) => T

export class ChatCompletions {
  constructor(private readonly deps: ChatCompletionsDeps) {}

  async handle(request: Request, caller: Caller, trace: RequestTrace): Promise<Response> {
    const read = await readJsonBody(request, this.deps.maxBodyBytes)
    if (!read.ok) return errorResponse(read.error)
    const parsed = parseChatRequest(read.body)
    if (!parsed.ok) return errorResponse(parsed.error)
    const chat = parsed.request
    trace.fields.model = chat.model
    trace.fields.stream = chat.stream
    const listed = await this.deps.catalog.has(chat.model)
    if (listed === false) {
      return errorResponse(
        apiError(404, `The model '${chat.model}' does not exist or no account of this gateway offers it; see GET /v1/models`, {
          param: 'model',
          code: 'model_not_found'
        })
      )
    }
    let plan: Plan
    try {
      plan = await this.#plan(chat, caller)
    } catch (error) {
      return this.#failed(error, trace, request.signal)
    }
    trace.fields.conversation = plan.kind
    const signal = linkedSignal([request.signal, this.deps.shutdownSignal])
    trace.onFinish(signal.dispose)
    const head: CompletionHead = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: chat.model }
    // A metric label only for a model the accounts list: with the list unavailable, any slug the
    // upstream takes would otherwise become a series of its own, kept for the process's life.
    const labelModel = listed === true ? chat.model : UNLISTED_MODEL_LABEL
    return chat.stream
      ? this.#stream(request, chat, plan, caller, head, signal.signal, trace, labelModel)
      : this.#answer(request, chat, plan, caller, head, signal.signal, trace)
  }

  /** A follow-up when the transcript extends one this gateway answered for the same caller. */
  async #plan(chat: ChatRequest, caller: Caller): Promise<Plan> {
    const followUp = splitFollowUp(chat.messages)
    const continuation = followUp && (await this.deps.transcripts.find(transcriptKey(caller.scope, followUp.answered)))
    if (followUp && continuation) return { kind: 'follow_up', message: followUp.newText, continuation }
    return { kind: 'new', message: promptOf(chat.messages) }
  }

  /**
   * Sends the plan; a follow-up whose conversation cannot go on (its account is dead, its record
   * is gone) is sent again as a new conversation with the whole transcript, before any of it was
   * seen by the client.
   */
  async #withRestart<T>(chat: ChatRequest, plan: Plan, signal: AbortSignal, trace: RequestTrace, send: Send<Promise<T>>): Promise<T> {
    const opts = (continuation?: Continuation) => ({
      model: chat.model,
      abortSignal: signal,
      timeoutMs: this.deps.timeoutMs,
      queueTimeoutMs: this.deps.queueTimeoutMs,
      ...continuation,
      onLease: ({ accountId, waitedMs }: { accountId: string; waitedMs: number }) => {
        trace.fields.account = accountId
        this.deps.metrics.leaseWait.observe(waitedMs / 1000)
      }
    })
    if (plan.kind === 'new') return send(plan.message, opts())
    try {
      return await send(plan.message, opts(plan.continuation))
    } catch (error) {
      if (!(error instanceof ChatGPTError && RESTARTABLE.has(error.code)) || signal.aborted) throw error
      trace.fields.conversation = 'restarted'
      trace.fields.restartedAfter = error.code
      return send(promptOf(chat.messages), opts())
    }
  }

  async #answer(request: Request, chat: ChatRequest, plan: Plan, caller: Caller, head: CompletionHead, signal: AbortSignal, trace: RequestTrace): Promise<Response> {
    let reply: ChatGPTReply
    try {
      reply = await this.#withRestart(chat, plan, signal, trace, (message, opts) => this.deps.pool.sendMessageDetailed(message, opts))
    } catch (error) {
      const unrecorded = unrecordedReplyText(error)
      if (unrecorded === undefined) return this.#failed(error, trace, request.signal)
      this.#countConversation(trace)
      this.#noteUnrecorded(error, trace)
      return Response.json(completion(head, unrecorded, 'stop', await this.#usage(chat, unrecorded)))
    }
    this.#countConversation(trace)
    await this.#remember(chat.messages, reply.text, reply, caller, trace)
    const usage = await this.#usage(chat, reply.text)
    return Response.json(completion({ ...head, model: reply.model ?? head.model }, reply.text, finishReasonOf(reply.finishReason), usage))
  }

  async #stream(
    request: Request,
    chat: ChatRequest,
    plan: Plan,
    caller: Caller,
    head: CompletionHead,
    signal: AbortSignal,
    trace: RequestTrace,
    labelModel: string
  ): Promise<Response> {
    const streams: ReturnType<ChatGPTAccountPool['streamMessage']>[] = []
    let updates: AsyncIterator<ChatGPTStreamUpdate> | undefined
    let first: IteratorResult<ChatGPTStreamUpdate> | undefined
    try {
      // The status is known once the reply has started: wait for its first update.
      first = await this.#withRestart(chat, plan, signal, trace, async (message, opts) => {
        const stream = this.deps.pool.streamMessage(message, opts)
        streams.push(stream)
        updates = stream[Symbol.asyncIterator]()
        return updates.next()
      })
    } catch (error) {
      return this.#failed(error, trace, request.signal)
    }
    this.#countConversation(trace)
    const stream = streams.at(-1)!
    const deps = this.deps
    const self = this
    const encoder = new TextEncoder()
    // What the client has been sent: the transcript it will send back, and what usage counts.
    let sent = ''
    // The backend rewrote text already sent (rare): a stream cannot take text back, so it stops growing.
    let diverged = false
    let firstToken = true
    const deltaOf = (update: ChatGPTStreamUpdate): string => {
      if (diverged) return ''
      if (!update.replaced) return update.delta
      if (update.text.startsWith(sent)) return update.text.slice(sent.length)
      diverged = true
      trace.fields.diverged = true
      return ''
    }
    const send = (controller: ReadableStreamDefaultController<Uint8Array>, update: ChatGPTStreamUpdate) => {
      const delta = deltaOf(update)
      if (delta === '') return
      if (firstToken) {
        firstToken = false
        deps.metrics.timeToFirstToken.observe({ model: labelModel }, trace.elapsedMs() / 1000)
      }
      sent += delta
      controller.enqueue(encoder.encode(sseData(chunk(head, { content: delta }, null, chat.includeUsage))))
    }
    /** The last chunks; `reply` is undefined for a reply the pool's store could not record. */
    const end = async (controller: ReadableStreamDefaultController<Uint8Array>, reply: ChatGPTReply | undefined) => {
      if (reply) await self.#remember(chat.messages, sent, reply, caller, trace)
      const last = { ...head, model: reply?.model ?? head.model }
      controller.enqueue(encoder.encode(sseData(chunk(last, {}, finishReasonOf(reply?.finishReason), chat.includeUsage))))
      if (chat.includeUsage) controller.enqueue(encoder.encode(sseData(usageChunk(last, await self.#usage(chat, sent)))))
      controller.enqueue(encoder.encode(SSE_DONE))
      controller.close()
      trace.finish(200)
    }
    const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown) => {
      trace.fields.error = error instanceof ChatGPTError ? error.code : 'aborted'
      // The status was sent already: the error is the stream's last event (the SDK throws it),
      // unless the client is gone.
      if (!request.signal.aborted) controller.enqueue(encoder.encode(sseData(errorBody(self.#answerFor(error)))))
      controller.close()
      trace.finish(200)
    }
    trace.deferred = true
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(sseData(chunk(head, { role: 'assistant', content: '' }, null, chat.includeUsage))))
      },
      async pull(controller) {
        try {
          const update = first ?? (await updates!.next())
          first = undefined
          if (update.done) return await end(controller, await stream.result)
          send(controller, update.value)
          if (update.value.done) await end(controller, await stream.result)
        } catch (error) {
          const unrecorded = unrecordedReplyText(error)
          if (unrecorded === undefined) return fail(controller, error)
          // The whole reply arrived; only its record failed: the client gets the rest, and [DONE].
          self.#noteUnrecorded(error, trace)
          send(controller, { text: unrecorded, delta: unrecorded, replaced: true, messageId: '', conversationId: '', done: true })
          await end(controller, undefined)
        }
      },
      cancel(reason) {
        // The client went away: the reply stops upstream, which frees the account.
        stream.abort(reason)
        trace.fields.error = 'client_closed'
        trace.finish(499)
      }
    })
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' }
    })
  }

  /** The API error for a failed call: the shutdown's own when the gateway cut it short. */
  #answerFor(error: unknown): ApiError {
    if (this.deps.shutdownSignal.aborted && !(error instanceof ChatGPTError)) {
      return apiError(503, 'The gateway shut down before the reply ended; try again', { code: 'shutting_down', retryAfterSeconds: 1 })
    }
    return upstreamError(error)
  }

  /** The answer for a call that failed before its reply started (no one reads it when the client left). */
  #failed(error: unknown, trace: RequestTrace, client: AbortSignal): Response {
    if (client.aborted) {
      trace.fields.error = 'client_closed'
      return new Response(null, { status: 499 })
    }
    const answer = this.#answerFor(error)
    trace.fields.error = error instanceof ChatGPTError ? error.code : this.deps.shutdownSignal.aborted ? 'shutting_down' : 'internal'
    if (trace.fields.error === 'internal') this.deps.logger?.error({ err: describe(error) }, 'chat request failed unexpectedly')
    return errorResponse(answer)
  }

  #countConversation(trace: RequestTrace): void {
    this.deps.metrics.continuations.inc({ kind: String(trace.fields.conversation) })
  }

  /** A reply that arrived but that the pool could not record: answered all the same, its follow-up starts anew. */
  #noteUnrecorded(error: unknown, trace: RequestTrace): void {
    trace.fields.rememberFailed = 'store_unavailable'
    this.deps.logger?.warn({ err: describe(error) }, 'could not record the reply; it is answered, and its follow-up will start a new conversation')
  }

  /** Records the transcript with its reply, so that its follow-up continues the conversation. */
  async #remember(messages: TranscriptMessage[], replyText: string, reply: ChatGPTReply, caller: Caller, trace: RequestTrace): Promise<void> {
    const key = transcriptKey(caller.scope, [...messages, { role: 'assistant', content: replyText }])
    try {
      await this.deps.transcripts.remember(key, { conversationId: reply.conversationId, parentMessageId: reply.messageId })
    } catch (error) {
      // The reply is here and is sent; only its follow-up will start a new conversation.
      trace.fields.rememberFailed = error instanceof ChatGPTError ? error.code : 'error'
      this.deps.logger?.warn({ err: describe(error) }, 'could not record the transcript; its follow-up will start a new conversation')
    }
  }

  async #usage(chat: ChatRequest, replyText: string) {
    const count = await tokenCounterFor(chat.model)
    const prompt = count.chat(chat.messages)
    const completionTokens = count.text(replyText)
    return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens }
  }
}

/** The metric label of a model the accounts do not list (see `labelModel`). */
const UNLISTED_MODEL_LABEL = 'unlisted'

/**
 * The text of a reply that arrived whole but that the pool's store could not record: the pool then
 * rejects with `store_unavailable` and the reply in `partialText` (see
 * `ChatGPTAccountPool.sendMessageDetailed`). Any other `store_unavailable` carries no text.
 */
function unrecordedReplyText(error: unknown): string | undefined {
  return error instanceof ChatGPTError && error.code === 'store_unavailable' ? error.partialText : undefined
}

/** An error for a log line: its code and message (the library's messages hold no secrets). */
function describe(error: unknown): { code?: string; message: string } {
  if (error instanceof ChatGPTError) return { code: error.code, message: error.message }
  // Cut: an error of some other library may carry anything, and a log line stays a line.
  return { message: (error instanceof Error ? error.message : String(error)).slice(0, 300) }
}
