/**
 * `ChatGPTCompletionsAPI`: the official Chat Completions API behind the same conversation calls as
 * the web client. The API keeps no conversations, so this client keeps them itself, in a
 * {@link ConversationStore}: both sides of every exchange, linked by `parentMessageId`, from which
 * a follow-up rebuilds its context (newest first, as much as fits).
 */
import { randomUUID } from 'node:crypto'

import { ChatGPTConversation } from './chatgpt-conversation.js'
import {
  type ChatGPTCompletionsAPIOptions,
  defaultSystemMessage,
  resolveCompletionsOptions
} from './chatgpt-completions-api-options.js'
import { ChatGPTMessageStream } from './chatgpt-message-stream.js'
import type { ConversationHistory } from './conversation-history.js'
import { ChatGPTError } from './errors.js'
import { type ConversationStore, MemoryStore, type StoredMessage } from './store.js'
import type { CallOptions, ChatGPTReply, ReplyActionOptions, SendMessageOptions } from './types.js'
import type { AuthSource } from './internal/auth-source.js'
import { backendCall } from './internal/backend-call.js'
import { CallSignal } from './internal/call-signal.js'
import { type UpdateObserver, registerClientHooks } from './internal/client-hooks.js'
import { apiErrorFromResponse } from './internal/completions/api-error.js'
import { type CompletionUsage, readCompletionStream } from './internal/completions/completion-stream.js'
import { ENCODING_KEY, TOKEN_COUNT_KEY, buildContext } from './internal/completions/context-window.js'
import { storedHistory } from './internal/completions/stored-history.js'
import { createProxyAwareFetch } from './internal/proxy-fetch.js'
import { raceAbort } from './internal/race-abort.js'
import { eventStream } from './internal/response-handlers.js'
import { Secrets } from './internal/secrets.js'
import { settledError } from './internal/settle.js'
import { type TokenCounter, tokenCounterFor } from './internal/token-count.js'
import { Transport } from './internal/transport.js'
import { assertCount, assertDuration, assertMessage, assertRequiredUuid, assertUuid, invalidArgument, validModel } from './internal/validate.js'

/** The reply of a {@link ChatGPTCompletionsAPI} call: a {@link ChatGPTReply} with the API's token counts. */
export type ChatGPTCompletionsReply = ChatGPTReply & {
  /** What the API reported for this request (prompt, completion and total tokens). */
  usage?: CompletionUsage
}

/** Options of a {@link ChatGPTCompletionsAPI} message: those of the web client, and a system message of its own. */
export type CompletionsSendMessageOptions = SendMessageOptions & {
  /** This message's system message instead of the client's (`''`: none). */
  systemMessage?: string
}

export type { CompletionUsage }

/** The binding's account for conversations of the API (the store's binding names the client, not an account). */
const API_ACCOUNT = 'chat-completions'

/** How many messages {@link ChatGPTCompletionsAPI.getConversationHistory} walks back at most. */
const MAX_HISTORY_MESSAGES = 10_000

/**
 * A client for the official OpenAI Chat Completions API (or any server that speaks it, such as
 * `chatgpt serve`) with the web client's calls: `sendMessage`, `sendMessageDetailed`,
 * `streamMessage`, `getConversation`, with `conversationId`, `parentMessageId`, `messageId`,
 * `onProgress`, `abortSignal` and `timeoutMs`. Moving from {@link ChatGPTAPI} is a change of
 * constructor.
 *
 * Both sides of each exchange go into the `store`; a follow-up (`parentMessageId`) rebuilds its
 * context from there, newest first, keeping within `maxModelTokens − maxResponseTokens` counted
 * with a real tokenizer (`gpt-tokenizer`, an optional peer dependency: install it). With the
 * SQLite or Redis store of `chatgpt-kit-server`, another process or host continues a
 * conversation where this one left off.
 *
 * @example
 * ```ts
 * import { ChatGPTCompletionsAPI } from 'chatgpt-kit'
 * const api = new ChatGPTCompletionsAPI({ apiKey: process.env.OPENAI_API_KEY! })
 * const first = await api.sendMessageDetailed('Name a colour')
 * const second = await api.sendMessage('Another one', { parentMessageId: first.messageId })
 * ```
 */
export class ChatGPTCompletionsAPI {
  readonly #options: ReturnType<typeof resolveCompletionsOptions>
  readonly #store: ConversationStore
  readonly #transport: Transport
  readonly #secrets = new Secrets()
  readonly #auth: AuthSource

  /**
   * @param opts - See {@link ChatGPTCompletionsAPIOptions}.
   * @throws ChatGPTError `invalid_argument` when `apiKey` is missing, or for any unusable option.
   */
  constructor(opts: ChatGPTCompletionsAPIOptions) {
    const options = resolveCompletionsOptions(opts)
    this.#options = options
    this.#store = options.store ?? new MemoryStore()
    this.#secrets.add(options.apiKey)
    if (options.proxy) this.#secrets.add(new URL(options.proxy).password)
    const { organization } = options
    this.#transport = new Transport({
      fetch: options.fetch ?? createProxyAwareFetch(options.proxy),
      headers: (): Record<string, string> => (organization ? { 'OpenAI-Organization': organization } : {}),
      errorFromResponse: apiErrorFromResponse,
      secrets: this.#secrets,
      debug: options.debug
    })
    // An API key never changes: a 401 is final.
    this.#auth = { user: null, canRefresh: false, accessToken: async () => options.apiKey, invalidate: () => {} }
    registerClientHooks(this, {
      sendWithUpdates: (message, sendOpts, onUpdate) => this.#sendNext(message, sendOpts, onUpdate),
      // The API answers in markdown, as the web client does by default.
      plainText: false
    })
  }

  /**
   * Sends a message and resolves to the reply's text.
   *
   * @param message - The prompt message to send
   * @param opts - `parentMessageId` (the previous reply) continues a conversation; see
   *   {@link CompletionsSendMessageOptions}.
   * @returns The response from ChatGPT
   * @throws ChatGPTError (see {@link ChatGPTCompletionsAPI.sendMessageDetailed}), or the abort
   *   signal's reason when aborted.
   */
  async sendMessage(message: string, opts: CompletionsSendMessageOptions = {}): Promise<string> {
    return (await this.sendMessageDetailed(message, opts)).text
  }

  /**
   * Like {@link ChatGPTCompletionsAPI.sendMessage}, but resolves to the reply with its ids and the
   * API's `usage`.
   *
   * @throws ChatGPTError:
   *   - `unauthorized` (a wrong key), `forbidden` (no quota left), `not_found` (an unknown model),
   *     `bad_request`, from the API's error;
   *   - `rate_limited` with `retryAfterMs` once the retries are spent;
   *   - `context_length_exceeded` when the message (with the system message) does not fit
   *     `maxModelTokens − maxResponseTokens` (nothing is sent), or the API found it too long;
   *   - `conversation_not_found` when the store has no `parentMessageId`;
   *   - `invalid_argument` for a `parentMessageId` of another conversation than `conversationId`;
   *   - `store_unavailable` when the store fails (after a reply, `partialText` holds it);
   *   - `timeout`, `network`, `stream_error`, `stream_incomplete`, `server_error`, as the web client.
   */
  async sendMessageDetailed(message: string, opts: CompletionsSendMessageOptions = {}): Promise<ChatGPTCompletionsReply> {
    return this.#sendNext(message, opts)
  }

  /**
   * Sends a message and streams the reply: iterate it for updates, or await its `result`.
   *
   * @example
   * ```ts
   * for await (const { delta } of api.streamMessage('Tell me a story')) process.stdout.write(delta)
   * ```
   */
  streamMessage(message: string, opts: CompletionsSendMessageOptions = {}): ChatGPTMessageStream {
    return new ChatGPTMessageStream((abortSignal, onUpdate) => this.#sendNext(message, { ...opts, abortSignal }, onUpdate), {
      abortSignal: opts.abortSignal
    })
  }

  /**
   * Answers the user message of a reply again: a new reply beside the old one, from the same
   * context.
   *
   * @throws ChatGPTError `invalid_argument` when `messageId` is not a reply in the store.
   */
  async regenerateReply(opts: ReplyActionOptions): Promise<ChatGPTCompletionsReply> {
    assertRequiredUuid('conversationId', opts?.conversationId)
    assertRequiredUuid('messageId', opts.messageId)
    const reply = await this.#fromStore(() => this.#store.getMessage(opts.messageId))
    const question = reply?.role === 'assistant' && reply.parentMessageId ? await this.#fromStore(() => this.#store.getMessage(reply.parentMessageId!)) : undefined
    if (!question || question.role !== 'user') throw invalidArgument(`message ${opts.messageId} is not a reply this client's store holds`)
    const { conversationId: _, messageId: __, ...sendOpts } = opts
    return this.#reply(question.text, { ...sendOpts, conversationId: opts.conversationId, parentMessageId: question.parentMessageId }, undefined, question)
  }

  /**
   * Not offered by the Chat Completions API: a reply cut at the token limit cannot be continued
   * where it stopped. Send a follow-up ("Go on") instead.
   *
   * @throws ChatGPTError `invalid_argument`, always.
   */
  async continueReply(_opts: ReplyActionOptions): Promise<ChatGPTCompletionsReply> {
    throw invalidArgument('The Chat Completions API cannot continue a reply where it stopped; send a follow-up message instead')
  }

  /**
   * A conversation's history from the store: the thread that ends at its latest reply.
   *
   * @throws ChatGPTError `conversation_not_found` when the store has no such conversation.
   */
  async getConversationHistory(conversationId: string, opts: CallOptions = {}): Promise<ConversationHistory> {
    assertRequiredUuid('conversationId', conversationId)
    assertDuration('timeoutMs', opts.timeoutMs)
    const call = new CallSignal(opts.timeoutMs, opts.abortSignal)
    try {
      const binding = await raceAbort(this.#fromStore(() => this.#store.getBinding(conversationId)), call.signal)
      if (!binding?.lastMessageId) {
        throw new ChatGPTError(`This client's store has no conversation ${conversationId}`, { code: 'conversation_not_found' })
      }
      const thread: StoredMessage[] = []
      const seen = new Set<string>()
      for (let id: string | undefined = binding.lastMessageId; id && !seen.has(id) && thread.length < MAX_HISTORY_MESSAGES; ) {
        seen.add(id)
        const messageId: string = id
        const stored = await raceAbort(this.#fromStore(() => this.#store.getMessage(messageId)), call.signal)
        if (!stored) break
        thread.push(stored)
        id = stored.parentMessageId
      }
      return storedHistory(conversationId, thread.reverse())
    } catch (error) {
      throw call.aborted ? call.reason : error
    } finally {
      call.dispose()
    }
  }

  /**
   * A conversation that keeps its own ids (see {@link ChatGPTConversation}).
   *
   * @example
   * ```ts
   * const chat = api.getConversation()
   * await chat.sendMessage('Suggest a name for a cat')
   * await chat.sendMessage('And one for a dog')
   * ```
   */
  getConversation(opts: { conversationId?: string; parentMessageId?: string } = {}): ChatGPTConversation<ChatGPTCompletionsAPI> {
    return new ChatGPTConversation(this, opts)
  }

  #sendNext(message: string, opts: CompletionsSendMessageOptions, onUpdate?: UpdateObserver): Promise<ChatGPTCompletionsReply> {
    assertMessage(message)
    assertUuid('conversationId', opts.conversationId)
    assertUuid('parentMessageId', opts.parentMessageId)
    assertUuid('messageId', opts.messageId)
    return this.#reply(message, opts, onUpdate)
  }

  /**
   * The one path of every reply: the context built from the store, the request sent (retried
   * before any of the reply arrived), the stream read, and both messages stored.
   *
   * @param question - The user message already stored (a regeneration): it is not written again.
   */
  async #reply(message: string, opts: CompletionsSendMessageOptions, onUpdate?: UpdateObserver, question?: StoredMessage): Promise<ChatGPTCompletionsReply> {
    const timeoutMs = opts.timeoutMs ?? this.#options.timeoutMs
    assertDuration('timeoutMs', timeoutMs)
    assertCount('maxRetries', opts.maxRetries)
    if (opts.systemMessage !== undefined && typeof opts.systemMessage !== 'string') throw invalidArgument('systemMessage must be a string')
    const model = opts.model === undefined ? (this.#options.completionParams.model as string) : validModel('model', opts.model)
    const call = new CallSignal(timeoutMs, opts.abortSignal)
    let received: string | undefined
    try {
      call.throwIfAborted()
      const counter = await raceAbort(tokenCounterFor(model), call.signal)
      const { maxModelTokens, maxResponseTokens } = this.#options
      const context = await raceAbort(
        this.#fromStore(() =>
          buildContext({
            store: this.#store,
            systemMessage: opts.systemMessage ?? this.#options.systemMessage ?? defaultSystemMessage(),
            message,
            parentMessageId: opts.parentMessageId,
            counter,
            maxPromptTokens: maxModelTokens - maxResponseTokens
          })
        ),
        call.signal
      )
      if (opts.conversationId !== undefined && context.conversationId !== undefined && context.conversationId !== opts.conversationId) {
        // The web backend refuses a parent outside the conversation; here it would file the new
        // exchange under one conversation with the history of another.
        throw invalidArgument(`parentMessageId ${opts.parentMessageId} belongs to conversation ${context.conversationId}, not to conversationId ${opts.conversationId}; nothing was sent`)
      }
      const conversationId = opts.conversationId ?? context.conversationId ?? randomUUID()
      const userMessageId = question?.id ?? opts.messageId ?? randomUUID()
      const replyId = randomUUID()
      const ids = { messageId: replyId, conversationId }
      const body = {
        ...this.#options.completionParams,
        model,
        messages: context.messages,
        // What is left of the window, never more than asked for the reply.
        max_completion_tokens: Math.min(maxResponseTokens, maxModelTokens - context.promptTokens),
        stream: true,
        stream_options: { include_usage: true }
      }
      call.watchIdle(this.#options.idleTimeoutMs)
      const stream = await backendCall(
        this.#transport,
        this.#auth,
        {
          method: 'POST',
          url: `${this.#options.apiBaseUrl}/chat/completions`,
          baseUrl: this.#options.apiBaseUrl,
          baseUrlName: 'apiBaseUrl',
          body,
          call,
          maxRetries: opts.maxRetries ?? this.#options.maxRetries,
          idempotent: true
        },
        eventStream
      )
      const result = await readCompletionStream(stream, (text, appended) => {
        received = text
        onUpdate?.(text, ids, appended)
        opts.onProgress?.(text, appended)
      })
      // An abort from a callback on the last chunk still ends the call as aborted.
      call.throwIfAborted()
      const reply: ChatGPTCompletionsReply = {
        text: result.text,
        messageId: replyId,
        conversationId,
        parentMessageId: userMessageId,
        model: result.model ?? model,
        finishReason: result.finishReason,
        usage: result.usage
      }
      await this.#record(reply, question ?? { id: userMessageId, text: message, parentMessageId: opts.parentMessageId }, counter)
      return reply
    } catch (error) {
      throw settledError(error, call, this.#secrets, received)
    } finally {
      call.dispose()
    }
  }

  /** Both sides of the exchange, then the conversation's latest reply (for its history). */
  async #record(reply: ChatGPTCompletionsReply, question: Pick<StoredMessage, 'id' | 'text' | 'parentMessageId'> & { role?: string }, counter: TokenCounter): Promise<void> {
    const counted = (text: string) => ({ [TOKEN_COUNT_KEY]: counter.text(text), [ENCODING_KEY]: counter.encoding })
    const now = Date.now()
    try {
      if (question.role === undefined) {
        await this.#fromStore(() =>
          this.#store.putMessage({
            id: question.id,
            role: 'user',
            text: question.text,
            parentMessageId: question.parentMessageId,
            conversationId: reply.conversationId,
            createdAt: now,
            metadata: counted(question.text)
          })
        )
      }
      await this.#fromStore(() =>
        this.#store.putMessage({
          id: reply.messageId,
          role: 'assistant',
          text: reply.text,
          parentMessageId: reply.parentMessageId,
          conversationId: reply.conversationId,
          createdAt: now,
          metadata: { ...counted(reply.text), model: reply.model, ...(reply.finishReason ? { finishReason: reply.finishReason } : {}) }
        })
      )
      await this.#fromStore(() => this.#store.putBinding({ conversationId: reply.conversationId, accountId: API_ACCOUNT, lastMessageId: reply.messageId, updatedAt: now }))
    } catch (error) {
      if (error instanceof ChatGPTError) error.partialText = reply.text
      throw error
    }
  }

  /** A store call; a failure that is not a ChatGPTError becomes `store_unavailable`. */
  async #fromStore<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      if (error instanceof ChatGPTError) throw error
      throw new ChatGPTError('The conversation store failed; try again when it is back', { code: 'store_unavailable', originalError: error })
    }
  }
}
