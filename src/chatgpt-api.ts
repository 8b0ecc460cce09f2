import { randomUUID } from 'node:crypto'

import { type ChatGPTAPIOptions, resolveOptions } from './chatgpt-api-options.js'
import { ChatGPTConversation } from './chatgpt-conversation.js'
import { ChatGPTMessageStream } from './chatgpt-message-stream.js'
import { ConversationHistory } from './conversation-history.js'
import { ChatGPTError } from './errors.js'
import { IncrementalMarkdownToText } from './markdown.js'
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
import { AccountQueue } from './internal/account-queue.js'
import { continueMessageBody, variantMessageBody } from './internal/action-bodies.js'
import { assertFields, assertSuccess, modelsOf, titleOf } from './internal/answer-checks.js'
import { converseWithAutoContinue } from './internal/auto-continue.js'
import { requestBackendJson } from './internal/backend-json.js'
import { withCallScope } from './internal/call-scope.js'
import { CallSignal } from './internal/call-signal.js'
import { conversationsPath, toConversationsPage } from './internal/conversation-list.js'
import { nextMessageBody, openConversationStream } from './internal/conversation-request.js'
import { feedbackBody, moderationBody } from './internal/endpoint-bodies.js'
import { networkError } from './internal/network-error.js'
import { createProxyAwareFetch } from './internal/proxy-fetch.js'
import { redactSecrets } from './internal/redact.js'
import { readReplyStream } from './internal/reply-stream.js'
import type { ReplyState } from './internal/reply.js'
import { decideRetry } from './internal/retry.js'
import { requestSession } from './internal/session-auth.js'
import { sleep } from './internal/sleep.js'
import { AccessTokenCache } from './internal/token-cache.js'
import { regenerationTarget } from './internal/tree-targets.js'
import {
  assertDuration,
  assertMessage,
  assertCount,
  assertRequiredUuid,
  assertText,
  assertUuid,
  validModel
} from './internal/validate.js'

/**
 * A client for the ChatGPT web backend: session token → access token, messages with streaming,
 * timeouts and abort, and conversations.
 *
 * @example
 * ```ts
 * import { ChatGPTAPI } from 'chatgpt'
 *
 * const api = new ChatGPTAPI({
 *   sessionToken: process.env.SESSION_TOKEN,
 *   clearanceToken: process.env.CLEARANCE_TOKEN
 * })
 * await api.ensureAuth()
 * const reply = await api.sendMessage('Hello World!')
 * ```
 */
export class ChatGPTAPI {
  protected _sessionToken: string
  protected _clearanceToken: string | undefined
  protected _markdown: boolean
  protected _apiBaseUrl: string
  protected _backendApiBaseUrl: string
  protected _userAgent: string
  protected _accessTokenCache: AccessTokenCache
  protected _user: User | null = null
  protected _fetch: typeof fetch
  protected _maxRetries: number
  protected _idleTimeoutMs: number
  protected _accountQueue: AccountQueue
  protected _debug: ((line: string) => void) | undefined
  protected _model: string

  /**
   * Creates a new client wrapper around the unofficial ChatGPT REST API.
   *
   * @param opts - See {@link ChatGPTAPIOptions}.
   * @throws `ChatGPTError('ChatGPT invalid session token')` when `sessionToken` is missing;
   *   a ChatGPTError with code `invalid_argument` for any other unusable option.
   */
  constructor(opts: ChatGPTAPIOptions) {
    const options = resolveOptions(opts)
    this._sessionToken = options.sessionToken
    this._clearanceToken = options.clearanceToken
    this._markdown = !!options.markdown
    this._apiBaseUrl = options.apiBaseUrl
    this._backendApiBaseUrl = options.backendApiBaseUrl
    this._userAgent = options.userAgent
    this._fetch = options.fetch ?? createProxyAwareFetch(options.proxy)
    this._maxRetries = options.maxRetries
    this._idleTimeoutMs = options.idleTimeoutMs
    this._accountQueue = new AccountQueue(options.maxQueueSize)
    this._debug = options.debug
    this._model = options.model
    this._accessTokenCache = new AccessTokenCache(options.accessTokenTTL)
    if (options.accessToken) this._accessTokenCache.set(options.accessToken)
  }

  /**
   * Gets the currently signed-in user, if authenticated, `null` otherwise.
   */
  get user(): User | null {
    return this._user
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
    return this._sendNext(message, opts)
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
      (abortSignal, onUpdate) => this._sendNext(message, { ...opts, abortSignal }, onUpdate),
      { abortSignal: opts.abortSignal, plainText: !this._markdown }
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
    const model = this._modelFor(opts)
    return withCallScope(opts.timeoutMs, opts.abortSignal, async (abortSignal) => {
      const history = await this.getConversationHistory(conversationId, { abortSignal })
      const target = regenerationTarget(history.mapping, messageId)
      return this._converseWithContinue(
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
    const body = continueMessageBody({ messageId, conversationId, model: this._modelFor(opts) })
    // The user message the reply answers is only known from the stream's metadata.
    let answers: string | undefined
    const reply = await this._converseWithContinue(body, opts, { parentMessageId: '' }, (_text, state) => {
      answers = state.parentMessageId ?? answers
    })
    return { ...reply, parentMessageId: answers ?? '' }
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
    const answer = await this._backendJson<unknown>('GET', path, callOptions(opts))
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
    const answer = await this._backendJson<ConversationJSONResult>(
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
    const answer = await this._backendJson('PATCH', `/conversation/${conversationId}`, {
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
    const answer = await this._backendJson('PATCH', `/conversation/${conversationId}`, {
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
    const answer = await this._backendJson('PATCH', '/conversations', {
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
    const answer = await this._backendJson('POST', `/conversation/gen_title/${conversationId}`, {
      ...callOptions(opts),
      body: { message_id: messageId, model: this._modelFor(opts) }
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
    return modelsOf<Model>(await this._backendJson('GET', '/models', callOptions(opts)))
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
   * const { flagged } = await api.checkModeration(userInput)
   * ```
   */
  async checkModeration(input: string, opts: ModerationOptions = {}): Promise<ModerationsJSONResult> {
    const body = moderationBody(input, opts)
    const answer = await this._backendJson<ModerationsJSONResult>('POST', '/moderations', {
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
    const answer = await this._backendJson<MessageFeedbackResult>(
      'POST',
      '/conversation/message_feedback',
      { ...callOptions(opts), body }
    )
    assertFields(answer, {}, 'feedback result')
    return answer
  }

  /**
   * A plain message: validates, builds the `next` body, and sends it (with its continuations).
   * @internal
   */
  protected async _sendNext(
    message: string,
    opts: SendMessageOptions,
    onUpdate?: (text: string, state: ReplyState) => void
  ): Promise<ChatGPTReply> {
    assertMessage(message)
    assertUuid('conversationId', opts.conversationId)
    assertUuid('parentMessageId', opts.parentMessageId)
    assertUuid('messageId', opts.messageId)
    const messageId = opts.messageId ?? randomUUID()
    const body = nextMessageBody({
      messageId,
      text: message,
      parentMessageId: opts.parentMessageId ?? randomUUID(),
      conversationId: opts.conversationId,
      model: this._modelFor(opts)
    })
    return this._converseWithContinue(body, opts, { parentMessageId: messageId }, onUpdate)
  }

  /**
   * {@link ChatGPTAPI._converse}, then continuations while the reply stops at the token limit
   * (`opts.autoContinue`).
   * @internal
   */
  protected _converseWithContinue(
    body: ConversationJSONBody,
    opts: SendMessageOptions,
    ids: { parentMessageId: string },
    onUpdate?: (text: string, state: ReplyState) => void
  ): Promise<ChatGPTReply> {
    return converseWithAutoContinue(
      (...args) => this._converse(...args),
      body,
      opts,
      ids,
      onUpdate
    )
  }

  /** The model of a call: its own, or the client's. @internal */
  protected _modelFor(opts: { model?: string }): string {
    return opts.model === undefined ? this._model : validModel('model', opts.model)
  }

  /**
   * The one path every reply takes: auth, the request, the stream, and how it settles.
   *
   * @param body - The request body (`next`, `variant` or `continue`).
   * @param opts - Timeout, abort and callbacks of the call.
   * @param ids - What the result reports as the reply's parent.
   * @param onUpdate - Internal observer of every change of the reply text (text as the caller
   *   sees it: plain when `markdown` is off), with the raw state.
   * @internal
   */
  protected async _converse(
    body: ConversationJSONBody,
    opts: SendMessageOptions,
    ids: { parentMessageId: string },
    onUpdate?: (text: string, state: ReplyState) => void
  ): Promise<ChatGPTReply> {
    const { timeoutMs, onProgress, onConversationResponse, abortSignal } = opts
    assertDuration('timeoutMs', timeoutMs)
    assertCount('maxRetries', opts.maxRetries)
    const call = new CallSignal(timeoutMs, abortSignal)
    let partialText: string | undefined
    try {
      call.throwIfAborted()
      return await this._accountQueue.run(call, async () => {
        call.watchIdle(this._idleTimeoutMs)
        // Only opening the stream is retried: once a reply byte has arrived the message is
        // never sent again.
        const stream = await this._withRetries(call, opts.maxRetries, 'POST /conversation', async () =>
          call.race(
            openConversationStream({
              backendApiBaseUrl: this._backendApiBaseUrl,
              accessToken: await call.race(this.refreshAccessToken()),
              clearanceToken: this._clearanceToken,
              userAgent: this._userAgent,
              body,
              signal: call.signal,
              fetch: this._fetch,
              clean: this._clean
            })
          )
        )
        call.touch() // the answer's headers count as a sign of life

        // Plain text is converted as the reply grows, so a long reply costs O(n), not O(n²).
        const toText = this._markdown ? undefined : new IncrementalMarkdownToText()
        let convertedMessageId: string | undefined
        const state = await readReplyStream(
          stream,
          {
            onText: (text, replyState) => {
              partialText = text
              // A new assistant message (after a tool call) is a new text, not a continuation.
              if (toText && replyState.messageId !== convertedMessageId) {
                convertedMessageId = replyState.messageId
                toText.reset()
              }
              const shown = toText ? toText.update(text) : text
              onUpdate?.(shown, replyState)
              onProgress?.(shown)
            },
            onConversationResponse,
            onBytes: () => call.touch()
          },
          () => call.aborted
        )
        return {
          text: toText ? toText.update(state.text) : state.text,
          messageId: state.messageId ?? '',
          conversationId: state.conversationId ?? body.conversation_id ?? '',
          parentMessageId: ids.parentMessageId,
          model: state.model,
          finishReason: state.finishReason
        }
      })
    } catch (error) {
      if (call.aborted) throw this._settleAbort(call.reason, partialText)
      if (error instanceof ChatGPTError) throw this._redactError(error)
      if (error instanceof TypeError) throw this._redactError(networkError(error, partialText))
      // Anything else was thrown by the caller's own callback: it is theirs, pass it on as is.
      throw error
    } finally {
      call.dispose()
    }
  }

  /**
   * Runs one request attempt, again after a failure that happened before any reply byte
   * (see {@link decideRetry}), and once more after refreshing an access token the server
   * rejected (401).
   * @internal
   */
  protected async _withRetries<T>(
    call: CallSignal | undefined,
    maxRetries: number | undefined,
    what: string,
    attempt: () => Promise<T>
  ): Promise<T> {
    const limit = maxRetries ?? this._maxRetries
    let reauthenticated = false
    for (let retries = 0; ; ) {
      try {
        return await attempt()
      } catch (caught) {
        if (call?.aborted) throw caught
        const error = caught instanceof TypeError ? networkError(caught) : caught
        if (error instanceof ChatGPTError && error.code === 'token_expired' && !reauthenticated) {
          reauthenticated = true
          this._log(`${what}: access token refused (${error.statusCode}); refreshing it and trying once more`)
          this._accessTokenCache.clear()
          continue
        }
        const decision = decideRetry(error, retries, limit)
        if (!decision.retry) throw error
        retries++
        this._log(`${what}: ${(error as ChatGPTError).code} (${(error as ChatGPTError).statusCode ?? 'no status'}); retry ${retries} of ${limit} in ${Math.round(decision.delayMs)} ms`)
        call?.pauseIdle()
        await sleep(decision.delayMs, call?.signal)
        call?.resumeIdle()
      }
    }
  }

  /**
   * One authenticated JSON call to the backend API (`path` is relative to `backendApiBaseUrl`),
   * with the same timeout, abort and error rules as a message.
   * @internal
   */
  protected async _backendJson<T>(
    method: string,
    path: string,
    opts: { body?: unknown; timeoutMs?: number; abortSignal?: AbortSignal } = {}
  ): Promise<T> {
    assertDuration('timeoutMs', opts.timeoutMs)
    const call = new CallSignal(opts.timeoutMs, opts.abortSignal)
    try {
      call.throwIfAborted()
      call.watchIdle(this._idleTimeoutMs)
      return await this._withRetries(call, undefined, `${method} ${path}`, async () =>
        call.race(
          requestBackendJson<T>({
            url: `${this._backendApiBaseUrl}${path}`,
            method,
            body: opts.body,
            accessToken: await call.race(this.refreshAccessToken()),
            clearanceToken: this._clearanceToken,
            userAgent: this._userAgent,
            signal: call.signal,
            fetch: this._fetch,
            clean: this._clean
          })
        )
      )
    } catch (error) {
      if (call.aborted) throw this._settleAbort(call.reason)
      if (error instanceof ChatGPTError) throw this._redactError(error)
      throw this._redactError(networkError(error))
    } finally {
      call.dispose()
    }
  }

  /**
   * @returns `true` if the client has a valid acces token or `false` if refreshing
   * the token fails.
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
   */
  async ensureAuth(): Promise<string> {
    return await this.refreshAccessToken()
  }

  /**
   * Attempts to refresh the current access token using the ChatGPT
   * `sessionToken` cookie.
   *
   * Access tokens will be cached for up to `accessTokenTTL` milliseconds to
   * prevent refreshing access tokens too frequently. Concurrent callers on a cold cache share
   * one request.
   *
   * @returns A valid access token
   * @throws A ChatGPTError whose message starts "ChatGPT failed to refresh auth token." and says
   *   why (code `unauthorized`, `session_expired`, `cloudflare_challenge`, `network`, …).
   */
  async refreshAccessToken(): Promise<string> {
    return this._accessTokenCache.getOrRefresh(async () => {
      try {
        // The refresh is shared by every waiting caller, so no one caller's signal bounds it;
        // requestSession has its own deadline.
        const session = await this._withRetries(undefined, undefined, 'GET /auth/session', () =>
          requestSession({
            apiBaseUrl: this._apiBaseUrl,
            sessionToken: this._sessionToken,
            clearanceToken: this._clearanceToken,
            userAgent: this._userAgent,
            fetch: this._fetch,
            clean: this._clean
          })
        )
        this._log(`GET /auth/session: signed in${session.rotatedSessionToken ? ', session token rotated' : ''}`)
        if (session.user) this._user = session.user
        if (session.rotatedSessionToken) this._sessionToken = session.rotatedSessionToken
        return session.accessToken
      } catch (error) {
        throw error instanceof ChatGPTError ? this._redactError(error) : error
      }
    })
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

  /** Removes every secret this client holds from server-provided text. */
  protected _clean = (text: string): string =>
    redactSecrets(text, [
      this._sessionToken,
      this._clearanceToken,
      this._accessTokenCache.lastToken
    ])

  /**
   * What an aborted call rejects with: the caller's own reason untouched, or our timeout error
   * with the text that had arrived.
   */
  protected _settleAbort(reason: unknown, partialText?: string): unknown {
    if (reason instanceof ChatGPTError && reason.code === 'timeout' && partialText) {
      reason.partialText = partialText
    }
    return reason
  }

  /** Hands a line to the `debug` logger, with every secret removed. */
  protected _log(line: string): void {
    if (this._debug) this._debug(this._clean(line))
  }

  /** Redacts an error's message and stack (the stack repeats the message it was built with). */
  protected _redactError(error: ChatGPTError): ChatGPTError {
    error.message = this._clean(error.message)
    if (error.stack) error.stack = this._clean(error.stack)
    return error
  }
}

/** Only the timeout and abort of a call's options, for a backend call. */
function callOptions(opts: CallOptions): CallOptions {
  return { timeoutMs: opts.timeoutMs, abortSignal: opts.abortSignal }
}
