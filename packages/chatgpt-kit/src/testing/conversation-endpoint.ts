import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { peekUserId, requireUser } from './access.js'
import { titleFrom } from './backend-api-endpoints.js'
import type { BackendContext, Exchange } from './context.js'
import { isProblem, parseConversationRequest, type ConversationRequest, type RequestProblem } from './conversation-request.js'
import { unixSeconds, type StoredConversation } from './conversation-store.js'
import { tokenize } from './default-reply.js'
import { createRenderer } from './event-shapes.js'
import { sendAnswerFault } from './faults.js'
import { requireJson, sendDetail, sendJson } from './http-io.js'
import { defaultModel, unknownModel } from './models.js'
import { STREAM_SHAPES, isStreamShape } from './options.js'
import { runReply } from './reply-stream.js'
import { ReplyWriter } from './reply-writer.js'
import type { ConversationMessage, ReplyContext, StreamShape, TestUser } from './types.js'

const ONE_AT_A_TIME =
  'Only one message at a time. Please allow any other responses to complete before sending another message, or wait one minute.'

/** Where a validated request lands in the conversation tree, before anything is stored. */
interface ReplyPlan {
  /** `undefined`: a new conversation, created only once the reply is certain to start. */
  conversation?: StoredConversation
  /** The user message to add, or the existing one a variant answers again. */
  user?: { id: string; text: string; parentId?: string; existing?: ConversationMessage }
  /** The assistant message `continue` extends. */
  continued?: ConversationMessage
  prompt: string
  thread: ReplyContext['messages']
}

/**
 * `POST /backend-api/conversation`: validates, places the message in the
 * conversation tree, and streams the reply in the requested event shape.
 *
 * Checks run in the real backend's order as far as it is known: answer faults, access token,
 * body, model, prompt length, conversation and parent, then the one-reply-per-account rule.
 * Nothing is stored for a refused request.
 */
export async function handleConversation(ctx: BackendContext, ex: Exchange): Promise<void> {
  const { req, res } = ex
  const answerFault = ctx.faults.takeAnswer('conversation', peekUserId(ctx.accounts, req))
  if (answerFault) return sendAnswerFault(res, answerFault, 'conversation')
  const user = requireUser(ctx.accounts, req, res)
  if (!user) return
  const json = requireJson(ex.body, res)
  if (!json.ok) return
  const shape = requestedShape(ctx, req)
  if (!shape) {
    return sendDetail(res, 400, `x-test-shape must be one of ${STREAM_SHAPES.join(', ')}.`, 'invalid_test_shape')
  }
  const request = parseConversationRequest(json.value)
  if (isProblem(request)) return sendProblem(ex, request)
  const refused = request.model === undefined ? undefined : unknownModel(request.model, ctx.options.models)
  if (refused) return sendProblem(ex, refused)
  if (request.message && request.message.text.length > ctx.options.maxPromptLength) {
    return sendDetail(
      res,
      413,
      'The message you submitted was too long, please reload the conversation and submit something shorter.',
      'message_length_exceeds_limit'
    )
  }
  const plan = planReply(ctx, user, request)
  if ('status' in plan) return sendProblem(ex, plan)

  const release = ctx.replies.acquire(user.id)
  if (!release) return sendJson(res, 429, { detail: ONE_AT_A_TIME })
  try {
    await streamPlannedReply(ctx, ex, user, request, plan, shape)
  } finally {
    release()
  }
}

function requestedShape(ctx: BackendContext, req: IncomingMessage): StreamShape | undefined {
  const header = req.headers['x-test-shape']
  if (header === undefined) return ctx.shape
  return isStreamShape(header) ? header : undefined
}

function sendProblem(ex: Exchange, problem: RequestProblem): void {
  sendDetail(ex.res, problem.status, problem.message, problem.code)
}

function planReply(ctx: BackendContext, user: TestUser, request: ConversationRequest): ReplyPlan | RequestProblem {
  const { action, message } = request
  if (request.conversationId === undefined) {
    if (action !== 'next' || !message) {
      return { status: 422, message: `action '${action}' needs a conversation_id.`, code: 'invalid_request' }
    }
    // A new conversation's parent_message_id is random on the client; it always hangs under the root.
    return { user: message, prompt: message.text, thread: [{ role: 'user', text: message.text }] }
  }
  const conversation = ctx.store.find(request.conversationId, user.id)
  if (!conversation) return { status: 404, message: 'Conversation not found', code: 'conversation_not_found' }
  const nodeOf = (id: string) => conversation.mapping.get(id)

  if (action === 'continue') {
    const continued = nodeOf(request.parentMessageId)?.message
    if (continued?.author.role !== 'assistant') {
      return invalidParent('For continue, parent_message_id must be an assistant message of this conversation.')
    }
    const thread = ctx.store.thread(conversation, continued.id)
    const prompt = thread.findLast((m) => m.role === 'user')?.text ?? ''
    return { conversation, continued, prompt, thread }
  }

  const existing = nodeOf(message!.id)
  let parentId = request.parentMessageId
  if (existing) {
    // The same user message again: a regeneration (variant) or an idempotent resend under the
    // same parent. Reusing the node keeps the new reply a sibling of the old ones.
    const reusable =
      existing.message?.author.role === 'user' && (action === 'variant' || existing.parent === parentId)
    if (!reusable) return invalidParent(`Message id ${message!.id} is already used in this conversation.`)
    const text = existing.message!.content.parts.join('\n')
    return {
      conversation,
      user: { id: existing.id, text, existing: existing.message },
      prompt: text,
      thread: ctx.store.thread(conversation, existing.id)
    }
  }
  if (!nodeOf(parentId)) return invalidParent(`Parent message ${parentId} is not in this conversation.`)
  return {
    conversation,
    user: { ...message!, parentId },
    prompt: message!.text,
    thread: [...ctx.store.thread(conversation, parentId), { role: 'user', text: message!.text }]
  }
}

const invalidParent = (message: string): RequestProblem => ({ status: 400, message, code: 'invalid_parent_message' })

async function streamPlannedReply(
  ctx: BackendContext,
  ex: Exchange,
  user: TestUser,
  request: ConversationRequest,
  plan: ReplyPlan,
  shape: StreamShape
): Promise<void> {
  const { options } = ctx
  const conversationId = plan.conversation?.id ?? randomUUID()
  const tokens = replyTokens(ctx, request, plan, conversationId)
  if (typeof tokens === 'string') return sendDetail(ex.res, 500, tokens, 'reply_function_error')
  const sent = tokens.slice(0, options.maxReplyTokens)
  const held = tokens.slice(sent.length)

  const { conversation, userMessage, assistant } = placeMessages(ctx, user, request, plan, conversationId)
  // 2026 servers title a new conversation while they answer its first message.
  const title = shape === '2026' && !plan.conversation ? titleFrom(plan.prompt) : undefined
  if (title !== undefined) conversation.title = title
  const outcome = await runReply({
    writer: new ReplyWriter(ex.res, {
      eventDelayMs: options.eventDelayMs,
      chunking: options.chunking,
      stalledClientTimeoutMs: options.stalledClientTimeoutMs
    }),
    renderer: createRenderer(shape, { conversationId, assistant, user: userMessage, prompt: plan.prompt, title }),
    assistant,
    chunks: groupTokens(sent, options.tokensPerEvent),
    finishReason: held.length > 0 ? 'max_tokens' : 'stop',
    fault: ctx.faults.takeStream('conversation', user.id)
  })

  // Whatever was not streamed is what a later `continue` streams.
  const unsent = [...sent.slice(Math.min(outcome.rendered * options.tokensPerEvent, sent.length)), ...held]
  if (unsent.length > 0) conversation.pendingTokens.set(assistant.id, unsent)
  if (!outcome.finished) {
    assistant.status = 'finished_partial_completion'
    assistant.end_turn = false
  }
  ctx.store.touch(conversation)
}

/** The tokens to stream, or why the reply function failed. */
function replyTokens(
  ctx: BackendContext,
  request: ConversationRequest,
  plan: ReplyPlan,
  conversationId: string
): string[] | string {
  const pending = plan.continued && plan.conversation?.pendingTokens.get(plan.continued.id)
  if (pending && pending.length > 0) return pending
  let text: unknown
  try {
    text = ctx.options.reply(plan.prompt, { conversationId, messages: plan.thread, action: request.action })
  } catch (error) {
    return `The reply function threw: ${error instanceof Error ? error.message : String(error)}`
  }
  // A common slip is an async reply function; say so rather than stream "[object Promise]".
  if (typeof text !== 'string') return `The reply function must return a string, got ${typeof text}.`
  return tokenize(text)
}

/** Stores the planned messages: the conversation, the user message, the assistant message to stream into. */
function placeMessages(
  ctx: BackendContext,
  user: TestUser,
  request: ConversationRequest,
  plan: ReplyPlan,
  conversationId: string
): { conversation: StoredConversation; userMessage?: ConversationMessage; assistant: ConversationMessage } {
  const { store } = ctx
  const conversation = plan.conversation ?? store.create(user.id, conversationId)
  let userMessage = plan.user?.existing
  if (plan.user && !userMessage) {
    userMessage = newMessage('user', plan.user.id, plan.user.text)
    store.attach(conversation, plan.user.parentId ?? conversation.rootId, userMessage)
  }
  const assistant = plan.continued ?? newMessage('assistant', randomUUID(), '')
  assistant.status = 'in_progress'
  assistant.end_turn = null
  // A continued message is unfinished again until this stream finishes it.
  const { finish_details: _details, is_complete: _complete, ...metadata } = assistant.metadata
  assistant.metadata = {
    ...metadata,
    message_type: request.action,
    model_slug: request.model ?? defaultModel(ctx.options.models),
    parent_id: userMessage?.id ?? metadata.parent_id
  }
  if (plan.continued) {
    conversation.currentNode = assistant.id
    conversation.pendingTokens.delete(assistant.id)
    store.touch(conversation)
  } else {
    store.attach(conversation, userMessage!.id, assistant)
  }
  return { conversation, userMessage, assistant }
}

function groupTokens(tokens: string[], size: number): string[] {
  const chunks: string[] = []
  for (let i = 0; i < tokens.length; i += size) chunks.push(tokens.slice(i, i + size).join(''))
  return chunks
}

function newMessage(role: 'user' | 'assistant', id: string, text: string): ConversationMessage {
  return {
    id,
    author: { role, name: null, metadata: {} },
    create_time: unixSeconds(),
    update_time: null,
    content: { content_type: 'text', parts: [text] },
    status: role === 'user' ? 'finished_successfully' : 'in_progress',
    end_turn: null,
    weight: 1,
    metadata: {},
    recipient: 'all'
  }
}
