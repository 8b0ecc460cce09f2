import { randomUUID } from 'node:crypto'

import {
  type ChatGPTAPIAccessTokenOptions,
  type ChatGPTAPIOptions,
  resolveAccessTokenOptions,
  resolveOptions
} from './chatgpt-api-options.js'
import { ChatGPTConversation } from './chatgpt-conversation.js'
import { ChatGPTMessageStream } from './chatgpt-message-stream.js'
import { ConversationHistory } from './conversation-history.js'
import { ChatGPTError } from './errors.js'
import type {
  CallOptions,
  ChatGPTReply,
  ConversationJSONBody,
  ConversationJSONResult,
  ConversationSummary,
  ConversationsPage,
  ListConversationsOptions,
  MessageFeedback,
  MessageFeedbackResult,
  Model,
  ModerationOptions,
  ModerationsJSONResult,
  ReplyActionOptions,
  SendMessageOptions,
  User
} from './types.js'
import { AccessTokenAuth } from './internal/access-token-auth.js'
import { AccountQueue } from './internal/account-queue.js'
import { continueMessageBody, nextMessageBody, variantMessageBody } from './internal/action-bodies.js'
import { assertFields, assertSuccess, modelsOf, titleOf } from './internal/answer-checks.js'
import type { AuthSource } from './internal/auth-source.js'
import { AuthState } from './internal/auth-state.js'
import { replyWithContinuations } from './internal/auto-continue.js'
import { backendCall } from './internal/backend-call.js'
import { withCallScope } from './internal/call-scope.js'
import { registerClientHooks } from './internal/client-hooks.js'
import { CallSignal } from './internal/call-signal.js'
import { conversationsPath, toConversationsPage } from './internal/conversation-list.js'
import { feedbackBody, moderationBody } from './internal/endpoint-bodies.js'
import { createProxyAwareFetch } from './internal/proxy-fetch.js'
import type { ReplyState } from './internal/reply.js'
import { replyExtras } from './internal/reply-extras.js'
import { replyPresenter } from './internal/reply-presenter.js'
import { jsonAnswer } from './internal/response-handlers.js'
import { Secrets } from './internal/secrets.js'
import { settledError } from './internal/settle.js'
import { sendRound } from './internal/send.js'
import { CREATED_ROOT } from './internal/sentinel/bodies-2026.js'
import { webHeaders2026 } from './internal/sentinel/headers-2026.js'
import { Protocol2026State } from './internal/sentinel/protocol-2026-state.js'
import { siteOf } from './internal/sentinel/site-url.js'
import { SESSION_REQUEST_TIMEOUT_MS } from './internal/session-auth.js'
import { Transport, webHeaders } from './internal/transport.js'
import { regenerationTarget } from './internal/tree-targets.js'
import {
  assertCount,
  assertDuration,
  assertMessage,
  assertRequiredUuid,
  assertText,
  assertUuid,
  validModel
} from './internal/validate.js'

/**
 * Observes every change of a reply's text (as the caller sees it), with the reply's state and,
 * when known, what the text appended to the previous one.
 */
type UpdateObserver = (text: string, state: ReplyState, appended?: string) => void

/**
 * The option objects {@link ChatGPTAPI.fromAccessToken} hands to the constructor: only these may
 * go without a session token. A module-private mark, so that the constructor's own contract (a
 * session token is required) stays exactly the seed's.
 */
const accessTokenOnly = new WeakSet<object>()

/**
 * A client for the ChatGPT web backend: session token → access token, messages with streaming,
 * timeouts and abort, and conversations. With an access token alone, see
 * {@link ChatGPTAPI.fromAccessToken}.
 *
 * @example
 * ```ts
 * import { ChatGPTAPI } from 'chatgpt-kit'
 *
 * const sessionToken = process.env.SESSION_TOKEN
 * if (!sessionToken) throw new Error('SESSION_TOKEN is not set')
 * const api = new ChatGPTAPI({ sessionToken, clearanceToken: process.env.CLEARANCE_TOKEN })
 * await api.ensureAuth()
 * const reply = await api.sendMessage('Hello World!')
 * ```
 */
export class ChatGPTAPI {
  readonly #markdown: boolean
  readonly #backendApiBaseUrl: string
  readonly #maxRetries: number
  readonly #idleTimeoutMs: number
  readonly #model: string
  readonly #secrets = new Secrets()
  readonly #transport: Transport
  readonly #auth: AuthSource
  readonly #queue: AccountQueue
  /** Protocol '2026': the device, browser and page its turns share; absent for '2022'. */
  readonly #protocol2026: Protocol2026State | undefined

  /**
   * Creates a new client wrapper around the unofficial ChatGPT REST API.
   *
   * @param opts - See {@link ChatGPTAPIOptions}.
   * @throws `ChatGPTError('ChatGPT invalid session token')` when `sessionToken` is missing;
   *   a ChatGPTError with code `invalid_argument` for any other unusable option.
   */
  constructor(opts: ChatGPTAPIOptions) {
    const options = accessTokenOnly.has(opts)
      ? resolveAccessTokenOptions(opts as unknown as ChatGPTAPIAccessTokenOptions)
      : resolveOptions(opts)
    this.#markdown = !!options.markdown
    this.#backendApiBaseUrl = options.backendApiBaseUrl
    this.#maxRetries = options.maxRetries
    this.#idleTimeoutMs = options.idleTimeoutMs
    this.#model = options.model
    this.#queue = new AccountQueue(options.maxQueueSize)
    this.#secrets.add(options.clearanceToken)
    if (options.proxy) {
      // A proxy's password is a secret in both spellings a message could quote it in.
      const { password } = new URL(options.proxy)
      this.#secrets.add(password)
      this.#secrets.add(safeDecode(password))
    }
    const is2026 = options.protocol === '2026'
    // One device per client, for its whole life: the sentinel ties its tokens to it (§2.4).
    const deviceId = options.deviceId ?? randomUUID()
    const site = siteOf(options.backendApiBaseUrl)
    this.#transport = new Transport({
      fetch: options.fetch ?? createProxyAwareFetch(options.proxy),
      headers: is2026
        ? webHeaders2026({
            userAgent: options.userAgent,
            clearanceToken: options.clearanceToken,
            deviceId,
            site,
            sessionAccountId: () => this.#auth.accountId
          })
        : webHeaders(options.userAgent, options.clearanceToken),
      secrets: this.#secrets,
      debug: options.debug
    })
    this.#protocol2026 = is2026
      ? new Protocol2026State({
          deviceId,
          userAgent: options.userAgent,
          site,
          backendApiBaseUrl: options.backendApiBaseUrl,
          turnstileSolver: options.turnstileSolver,
          transport: this.#transport,
          secrets: this.#secrets
        })
      : undefined
    this.#auth =
      options.sessionToken === undefined
        ? new AccessTokenAuth(options.accessToken, this.#secrets)
        : new AuthState({
            sessionToken: options.sessionToken,
            accessToken: options.accessToken,
            accessTokenTTL: options.accessTokenTTL,
            apiBaseUrl: options.apiBaseUrl,
            maxRetries: options.maxRetries,
            transport: this.#transport,
            secrets: this.#secrets
          })
    registerClientHooks(this, {
      sendWithUpdates: (message, opts, onUpdate) => this.#sendNext(message, opts, onUpdate),
      plainText: !this.#markdown,
      // Only a session signs in again; an access token alone has no sign-ins to observe.
      observeAuth: this.#auth instanceof AuthState ? (listener) => (this.#auth as AuthState).observe(listener) : undefined
    })
  }

  /**
   * A client signed in with an access token alone, as the original package's
   * `ChatGPTUnofficialProxyAPI` was: no session token, no request to the session endpoint.
   *
   * The token is used until it expires — until its JWT `exp` claim passes (read, not verified,
   * when the token is a JWT) or the server refuses it with a 401. There is nothing to refresh it
   * with, so from then on every call fails at once with a ChatGPTError `token_expired` whose
   * message says to sign in again for a new access token or to use a session token.
   * `accessTokenTTL` has no effect, and {@link ChatGPTAPI.user} stays `null` (only the session
   * names the user). {@link ChatGPTAPI.ensureAuth} checks the token with one request
   * (`GET /models`); {@link ChatGPTAPI.refreshAccessToken} and
   * {@link ChatGPTAPI.getIsAuthenticated} send nothing.
   *
   * @param opts - The constructor's options without `sessionToken`; `accessToken` is required.
   *   See {@link ChatGPTAPIAccessTokenOptions}.
   * @returns The client; it sends nothing until it is used.
   * @throws ChatGPTError `invalid_argument` when `accessToken` is missing, empty or cannot go into
   *   a header, when a `sessionToken` is passed too, or for any other unusable option.
   *
   * @example
   * ```ts
   * const accessToken = process.env.ACCESS_TOKEN
   * if (!accessToken) throw new Error('Set ACCESS_TOKEN')
   * const api = ChatGPTAPI.fromAccessToken({ accessToken })
   * const reply = await api.sendMessage('Hello World!')
   * ```
   */
  static fromAccessToken(opts: ChatGPTAPIAccessTokenOptions): ChatGPTAPI {
    // A copy, so that the mark never sticks to an object of the caller's.
    const marked = { ...(opts ?? {}) }
    accessTokenOnly.add(marked)
    return new ChatGPTAPI(marked as unknown as ChatGPTAPIOptions)
  }

  /**
   * Gets the currently signed-in user, if authenticated, `null` otherwise. Always `null` for a
   * client made with {@link ChatGPTAPI.fromAccessToken}.
   */
  get user(): User | null {
    return this.#auth.user
  }

  /**
   * Sends a message to ChatGPT, waits for the response to resolve, and returns
   * the response.
   *
   * If you want to receive a stream of partial responses, use `opts.onProgress`.
   * If you want to receive the full response, including message and conversation IDs,
   * you can use `opts.onConversationResponse`, {@link ChatGPTAPI.sendMessageDetailed} or the
   * {@link ChatGPTAPI.getConversation} helper.
   *
   * @param message - The prompt message to send
   * @param opts - See {@link SendMessageOptions}
   * @returns The response from ChatGPT
   * @throws ChatGPTError (see its `code`), or the abort signal's reason when aborted.
   */
  async sendMessage(message: string, opts: SendMessageOptions = {}): Promise<string> {
    return (await this.sendMessageDetailed(message, opts)).text
  }

  /**
   * Like {@link ChatGPTAPI.sendMessage}, but resolves to the reply with its ids, so that the
   * next message can continue the conversation without callbacks.
   *
   * @example
   * ```ts
   * const first = await api.sendMessageDetailed('Name a colour')
   * const second = await api.sendMessage('Another one', {
   *   conversationId: first.conversationId,
   *   parentMessageId: first.messageId
   * })
   * ```
   */
  async sendMessageDetailed(
    message: string,
    opts: SendMessageOptions = {}
  ): Promise<ChatGPTReply> {
    return this.#sendNext(message, opts)
  }

  /**
   * Sends a message and streams the reply: the returned {@link ChatGPTMessageStream} is an async
   * iterable of updates (`{ text, delta, messageId, conversationId, done }`), has the final reply
   * as `result`, and turns into a byte stream for an HTTP response with `toReadableStream()`.
   * The request starts at once; leaving the loop early aborts it.
   *
   * @param message - The prompt message to send
   * @param opts - See {@link SendMessageOptions}; `onProgress` is still called.
   * @returns The stream. Failures (bad arguments included) surface when iterating and as a
   *   rejection of `result`, as ChatGPTError or the abort signal's reason.
   *
   * @example
   * ```ts
   * const stream = api.streamMessage('Tell me a story', { timeoutMs: 120_000 })
   * for await (const update of stream) {
   *   process.stdout.write(update.delta)
   *   if (update.text.length > 2000) break // aborts the request
   * }
   * ```
   */
  streamMessage(message: string, opts: SendMessageOptions = {}): ChatGPTMessageStream {
    return new ChatGPTMessageStream(
      (abortSignal, onUpdate) => this.#sendNext(message, { ...opts, abortSignal }, onUpdate),
      { abortSignal: opts.abortSignal, plainText: !this.#markdown }
    )
  }

  /**
   * Regenerates a reply (`action: 'variant'`): looks the reply up in the conversation's history,
   * then sends the user message it answered again — same id, same text, same parent. The new
   * reply becomes a sibling of the old one (see {@link ConversationHistory.branchesOf}) and the
   * conversation's current node.
   *
   * @param opts - The conversation, the assistant message to regenerate, and the options of a
   *   message (`model`, `onProgress`, `autoContinue`, `timeoutMs` — covering the lookup too —
   *   `abortSignal`, …).
   * @returns The new reply; its `parentMessageId` is the user message it answers.
   * @throws ChatGPTError `invalid_argument` when `messageId` is not an assistant reply of the
   *   conversation, `conversation_not_found` for an unknown conversation, or as a message fails.
   *
   * @example
   * ```ts
   * const first = await api.sendMessageDetailed('Suggest a name for a cat')
   * const other = await api.regenerateReply({
   *   conversationId: first.conversationId,
   *   messageId: first.messageId
   * })
   * ```
   */
  async regenerateReply(opts: ReplyActionOptions): Promise<ChatGPTReply> {
    const { conversationId, messageId } = opts ?? {}
    assertRequiredUuid('conversationId', conversationId)
    assertRequiredUuid('messageId', messageId)
    const model = this.#modelFor(opts)
    return withCallScope(opts.timeoutMs, opts.abortSignal, async (abortSignal) => {
      const history = await this.getConversationHistory(conversationId, { abortSignal })
      const target = regenerationTarget(history.mapping, messageId)
      return this.#reply(
        variantMessageBody({ ...target, conversationId, model }),
        { ...opts, timeoutMs: undefined, abortSignal },
        { parentMessageId: target.userMessageId }
      )
    })
  }

  /**
   * Continues a reply that stopped at the model's token limit (`finishReason: 'max_tokens'`):
   * `action: 'continue'`, with the assistant message as the parent. The server extends that
   * same message. To do this automatically, pass `autoContinue` to a message instead.
   *
   * @param opts - The conversation, the assistant message to continue, and the options of a
   *   message.
   * @returns The reply with the same `messageId`; `text` is the whole message as the server
   *   streams it (the backend sends the continued message whole, old text first).
   * @throws ChatGPTError as a message does (`bad_request` when the server refuses the parent).
   *
   * @example
   * ```ts
   * let reply = await api.sendMessageDetailed('Write a long essay')
   * while (reply.finishReason === 'max_tokens') {
   *   reply = await api.continueReply({ conversationId: reply.conversationId, messageId: reply.messageId })
   * }
   * ```
   */
  async continueReply(opts: ReplyActionOptions): Promise<ChatGPTReply> {
    const { conversationId, messageId } = opts ?? {}
    assertRequiredUuid('conversationId', conversationId)
    assertRequiredUuid('messageId', messageId)
    const body = continueMessageBody({ messageId, conversationId, model: this.#modelFor(opts) })
    // The user message the reply answers is only known from the stream's metadata.
    return this.#reply(body, opts, { parentMessageId: undefined })
  }

  /**
   * Lists the account's conversations, one page, most recently updated first.
   *
   * @param opts - `offset`, `limit` (the server may cap it), `order`, `timeoutMs`, `abortSignal`.
   * @returns The page: `{ items, total, limit, offset, hasMore }`.
   * @throws ChatGPTError `invalid_argument` for a bad offset or limit; as any backend call fails.
   *
   * @example
   * ```ts
   * const { items, hasMore } = await api.listConversations({ limit: 10 })
   * for (const c of items) console.log(c.id, c.title)
   * ```
   */
  async listConversations(opts: ListConversationsOptions = {}): Promise<ConversationsPage> {
    const path = conversationsPath(opts)
    const answer = await this.#backendJson<unknown>('GET', path, callOptions(opts))
    return toConversationsPage(answer, opts.offset ?? 0)
  }

  /**
   * Every conversation of the account, page after page (`limit` per request, 50 by default),
   * each at most once even if the list shifts while it is read. Stop the loop to stop reading.
   *
   * @param opts - As {@link ChatGPTAPI.listConversations}; `timeoutMs` bounds each page.
   * @returns An async iterator of conversations.
   *
   * @example
   * ```ts
   * for await (const c of api.iterateConversations()) {
   *   if (c.title === 'Old chat') await api.deleteConversation(c.id)
   * }
   * ```
   */
  async *iterateConversations(
    opts: ListConversationsOptions = {}
  ): AsyncIterableIterator<ConversationSummary> {
    const seen = new Set<string>()
    let offset = opts.offset ?? 0
    for (;;) {
      const page = await this.listConversations({ ...opts, offset, limit: opts.limit ?? 50 })
      for (const item of page.items) {
        if (seen.has(item.id)) continue
        seen.add(item.id)
        yield item
      }
      if (!page.hasMore) return
      offset += page.items.length
    }
  }

  /**
   * A conversation's history: its active thread as ordered messages, and the whole tree for
   * its branches. (Named apart from {@link ChatGPTAPI.getConversation}, which makes a
   * conversation object.)
   *
   * @param conversationId - The conversation.
   * @param opts - `timeoutMs`, `abortSignal`.
   * @returns See {@link ConversationHistory}.
   * @throws ChatGPTError `conversation_not_found` (404) for an unknown or deleted conversation.
   *
   * @example
   * ```ts
   * const { title, messages } = await api.getConversationHistory(conversationId)
   * ```
   */
  async getConversationHistory(
    conversationId: string,
    opts: CallOptions = {}
  ): Promise<ConversationHistory> {
    assertRequiredUuid('conversationId', conversationId)
    const answer = await this.#backendJson<ConversationJSONResult>(
      'GET',
      `/conversation/${conversationId}`,
      callOptions(opts)
    )
    return new ConversationHistory(answer, conversationId)
  }

  /**
   * Renames a conversation.
   *
   * @param conversationId - The conversation.
   * @param title - The new title (not blank).
   * @param opts - `timeoutMs`, `abortSignal`.
   * @throws ChatGPTError `conversation_not_found` for an unknown or deleted conversation.
   */
  async renameConversation(conversationId: string, title: string, opts: CallOptions = {}): Promise<void> {
    assertRequiredUuid('conversationId', conversationId)
    assertText('title', title)
    const answer = await this.#backendJson('PATCH', `/conversation/${conversationId}`, {
      ...callOptions(opts),
      body: { title }
    })
    assertSuccess(answer, 'the rename')
  }

  /**
   * Deletes a conversation (`is_visible: false`): it leaves the list, and reading or continuing
   * it then fails with `conversation_not_found`.
   *
   * @param conversationId - The conversation.
   * @param opts - `timeoutMs`, `abortSignal`.
   * @throws ChatGPTError `conversation_not_found` for an unknown or already deleted conversation.
   */
  async deleteConversation(conversationId: string, opts: CallOptions = {}): Promise<void> {
    assertRequiredUuid('conversationId', conversationId)
    const answer = await this.#backendJson('PATCH', `/conversation/${conversationId}`, {
      ...callOptions(opts),
      body: { is_visible: false }
    })
    assertSuccess(answer, 'the deletion')
  }

  /**
   * Deletes every conversation of the account.
   *
   * @param opts - `timeoutMs`, `abortSignal`.
   * @throws ChatGPTError as any backend call fails.
   */
  async clearConversations(opts: CallOptions = {}): Promise<void> {
    const answer = await this.#backendJson('PATCH', '/conversations', {
      ...callOptions(opts),
      body: { is_visible: false }
    })
    assertSuccess(answer, 'clearing the conversations')
  }

  /**
   * Has ChatGPT title a conversation from a message of it; the server stores the title too.
   *
   * @param conversationId - The conversation.
   * @param messageId - The message to title it from (usually the first reply).
   * @param opts - `model` (the client's by default), `timeoutMs`, `abortSignal`.
   * @returns The new title.
   * @throws ChatGPTError `conversation_not_found` for an unknown or deleted conversation.
   */
  async generateTitle(
    conversationId: string,
    messageId: string,
    opts: CallOptions & { model?: string } = {}
  ): Promise<string> {
    assertRequiredUuid('conversationId', conversationId)
    assertRequiredUuid('messageId', messageId)
    const answer = await this.#backendJson('POST', `/conversation/gen_title/${conversationId}`, {
      ...callOptions(opts),
      body: { message_id: messageId, model: this.#modelFor(opts) }
    })
    return titleOf(answer)
  }

  /**
   * The models the account may use; pass a `slug` as `model`.
   *
   * @param opts - `timeoutMs`, `abortSignal`.
   * @returns The models (`slug`, `max_tokens`, `title`, …), unknown fields kept.
   * @throws ChatGPTError as any backend call fails.
   */
  async getModels(opts: CallOptions = {}): Promise<Model[]> {
    return modelsOf<Model>(await this.#backendJson('GET', '/models', callOptions(opts)))
  }

  /**
   * Asks the moderation endpoint whether a text is flagged or blocked.
   *
   * @param input - The text to check.
   * @param opts - The conversation and message it belongs to, if any; `timeoutMs`, `abortSignal`.
   * @returns `{ flagged, blocked, moderation_id }`.
   * @throws ChatGPTError as any backend call fails.
   *
   * @example
   * ```ts
   * const { flagged } = await api.checkModeration('Is this text allowed?')
   * ```
   */
  async checkModeration(input: string, opts: ModerationOptions = {}): Promise<ModerationsJSONResult> {
    const body = moderationBody(input, opts)
    const answer = await this.#backendJson<ModerationsJSONResult>('POST', '/moderations', {
      ...callOptions(opts),
      body
    })
    assertFields(answer, { flagged: 'boolean', blocked: 'boolean' }, 'moderation result')
    return answer
  }

  /**
   * Rates a reply, as the thumbs in the web app do.
   *
   * @param feedback - The conversation, the assistant message, `rating`, and optional `tags`
   *   and `text`.
   * @param opts - `timeoutMs`, `abortSignal`.
   * @returns What the server recorded.
   * @throws ChatGPTError `invalid_argument` for a bad rating or tag; `not_found` for an unknown
   *   message.
   */
  async sendMessageFeedback(
    feedback: MessageFeedback,
    opts: CallOptions = {}
  ): Promise<MessageFeedbackResult> {
    const body = feedbackBody(feedback)
    const answer = await this.#backendJson<MessageFeedbackResult>(
      'POST',
      '/conversation/message_feedback',
      { ...callOptions(opts), body }
    )
    assertFields(answer, {}, 'feedback result')
    return answer
  }

  /** A plain message: validates, builds the `next` body, and sends it (with its continuations). */
  #sendNext(message: string, opts: SendMessageOptions, onUpdate?: UpdateObserver): Promise<ChatGPTReply> {
    assertMessage(message)
    assertUuid('conversationId', opts.conversationId)
    assertUuid('parentMessageId', opts.parentMessageId)
    assertUuid('messageId', opts.messageId)
    const messageId = opts.messageId ?? randomUUID()
    const body = nextMessageBody({
      messageId,
      text: message,
      // A new conversation's first message: 2025–26 web clients name no parent (§6).
      parentMessageId: opts.parentMessageId ?? (this.#protocol2026 && !opts.conversationId ? CREATED_ROOT : randomUUID()),
      conversationId: opts.conversationId,
      model: this.#modelFor(opts)
    })
    return this.#reply(body, opts, { parentMessageId: messageId }, onUpdate)
  }

  /** The model of a call: its own, or the client's. */
  #modelFor(opts: { model?: string }): string {
    return opts.model === undefined ? this.#model : validModel('model', opts.model)
  }

  /**
   * The one path every reply takes: the call's bounds resolved once, the account's turn, the
   * rounds (a reply and its continuations) sent and read, and presentation last.
   *
   * @param ids - What the result reports as the reply's parent (`undefined`: what the stream says).
   * @param onUpdate - Observer of every change of the text as the caller sees it.
   */
  async #reply(
    body: ConversationJSONBody,
    opts: SendMessageOptions,
    ids: { parentMessageId: string | undefined },
    onUpdate?: UpdateObserver
  ): Promise<ChatGPTReply> {
    const { onProgress, onConversationResponse } = opts
    assertDuration('timeoutMs', opts.timeoutMs)
    assertCount('maxRetries', opts.maxRetries)
    assertCount('autoContinue', opts.autoContinue)
    const call = new CallSignal(opts.timeoutMs, opts.abortSignal)
    const present = replyPresenter(this.#markdown)
    let shown: string | undefined
    try {
      call.throwIfAborted()
      const onWait = (ahead: number) => this.#transport.log(`waiting for the account: ${ahead} call(s) ahead`)
      return await this.#queue.run(call, onWait, async () => {
        call.watchIdle(this.#idleTimeoutMs)
        const context = {
          transport: this.#transport,
          auth: this.#auth,
          backendApiBaseUrl: this.#backendApiBaseUrl,
          call,
          maxRetries: opts.maxRetries ?? this.#maxRetries,
          onConversationResponse,
          protocol2026: this.#protocol2026
        }
        const state = await replyWithContinuations(
          (roundBody, onText) => sendRound({ ...context, onText }, roundBody),
          body,
          opts.autoContinue ?? 0,
          (text, replyState, appended) => {
            const update = present(text, replyState, appended)
            shown = update.text
            onUpdate?.(shown, replyState, update.appended)
            onProgress?.(shown, update.appended)
          }
        )
        // An abort from a callback on the last event still ends the call as aborted.
        call.throwIfAborted()
        return {
          text: present(state.text, state).text,
          messageId: state.messageId ?? '',
          conversationId: state.conversationId ?? body.conversation_id ?? '',
          parentMessageId: ids.parentMessageId ?? state.parentMessageId ?? '',
          model: state.model,
          finishReason: state.finishReason,
          ...replyExtras(state)
        }
      })
    } catch (error) {
      throw this.#settle(error, call, shown)
    } finally {
      call.dispose()
    }
  }

  /**
   * One authenticated JSON call to the backend API (`path` is relative to `backendApiBaseUrl`),
   * with the same timeout, abort and error rules as a message.
   */
  async #backendJson<T>(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    opts: { body?: unknown; timeoutMs?: number; abortSignal?: AbortSignal } = {}
  ): Promise<T> {
    assertDuration('timeoutMs', opts.timeoutMs)
    const call = new CallSignal(opts.timeoutMs, opts.abortSignal)
    try {
      call.throwIfAborted()
      call.watchIdle(this.#idleTimeoutMs)
      const url = `${this.#backendApiBaseUrl}${path}`
      const request = { method, url, baseUrl: this.#backendApiBaseUrl, body: opts.body, call, maxRetries: this.#maxRetries }
      const answer = await backendCall(this.#transport, this.#auth, request, jsonAnswer)
      return answer.value as T
    } catch (error) {
      throw this.#settle(error, call)
    } finally {
      call.dispose()
    }
  }

  /** What a failed call rejects with (see `settle.ts`). */
  #settle(error: unknown, call: CallSignal, shownText?: string): unknown {
    return settledError(error, call, this.#secrets, shownText)
  }


  /**
   * @returns `true` if the client has a valid acces token or `false` if refreshing
   * the token fails. With an access token alone ({@link ChatGPTAPI.fromAccessToken}): `false`
   * once its `exp` has passed or the server has refused it, without a request.
   */
  async getIsAuthenticated(): Promise<boolean> {
    try {
      await this.refreshAccessToken()
      return true
    } catch {
      return false
    }
  }

  /**
   * Refreshes the client's access token which will succeed only if the session
   * is still valid.
   *
   * With an access token alone ({@link ChatGPTAPI.fromAccessToken}) there is no session: the
   * token itself is checked with one request (`GET {backendApiBaseUrl}/models`), so that a token
   * the server refuses fails here rather than at the first message.
   *
   * @returns A valid access token
   * @throws As {@link ChatGPTAPI.refreshAccessToken}; with an access token alone, as that request
   *   fails (`token_expired` when the server refuses the token).
   */
  async ensureAuth(): Promise<string> {
    const token = await this.refreshAccessToken()
    if (!this.#auth.canRefresh) {
      await this.#backendJson('GET', '/models', { timeoutMs: SESSION_REQUEST_TIMEOUT_MS })
    }
    return token
  }

  /**
   * Attempts to refresh the current access token using the ChatGPT
   * `sessionToken` cookie.
   *
   * Access tokens will be cached for up to `accessTokenTTL` milliseconds to
   * prevent refreshing access tokens too frequently. Concurrent callers on a cold cache share
   * one request.
   *
   * With an access token alone ({@link ChatGPTAPI.fromAccessToken}) there is nothing to refresh
   * it with: this returns it, without a request, until it is known to have expired.
   *
   * @returns A valid access token
   * @throws A ChatGPTError whose message starts "ChatGPT failed to refresh auth token." and says
   *   why (code `unauthorized`, `session_expired`, `cloudflare_challenge`, `network`, …); with an
   *   access token alone, `token_expired` once its `exp` has passed or the server refused it.
   */
  async refreshAccessToken(): Promise<string> {
    try {
      return await this.#auth.accessToken()
    } catch (error) {
      throw error instanceof ChatGPTError ? this.#secrets.redactError(error) : error
    }
  }

  /**
   * Gets a new ChatGPTConversation instance, which can be used to send multiple
   * messages as part of a single conversation.
   *
   * @param opts.conversationId - Optional ID of the previous message in a conversation
   * @param opts.parentMessageId - Optional ID of the previous message in a conversation
   * @returns The new conversation instance
   */
  getConversation(
    opts: { conversationId?: string; parentMessageId?: string } = {}
  ): ChatGPTConversation {
    return new ChatGPTConversation(this, opts)
  }
}

/** `decodeURIComponent`, or the text as it is when it is not valid percent-encoding. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Only the timeout and abort of a call's options, for a backend call. */
function callOptions(opts: CallOptions): CallOptions {
  return { timeoutMs: opts.timeoutMs, abortSignal: opts.abortSignal }
}
