import { randomUUID } from 'node:crypto'

import { ChatGPTConversation } from './chatgpt-conversation.js'
import { ChatGPTError } from './errors.js'
import { IncrementalMarkdownToText } from './markdown.js'
import type { ChatGPTReply, ConversationJSONBody, SendMessageOptions, User } from './types.js'
import { CallSignal } from './internal/call-signal.js'
import { requestBackendJson } from './internal/backend-json.js'
import { nextMessageBody, openConversationStream } from './internal/conversation-request.js'
import { redactSecrets, sanitizeServerText } from './internal/redact.js'
import type { ReplyState } from './internal/reply.js'
import { readReplyStream } from './internal/reply-stream.js'
import { requestSession } from './internal/session-auth.js'
import { AccessTokenCache } from './internal/token-cache.js'
import {
  assertBaseUrl,
  assertDuration,
  assertMessage,
  assertToken,
  assertUuid
} from './internal/validate.js'

/** The defaults of {@link ChatGPTAPI}'s options, in one place. */
export const CHATGPT_API_DEFAULTS = {
  accessTokenTTL: 60_000,
  apiBaseUrl: 'https://chat.openai.com/api',
  backendApiBaseUrl: 'https://chat.openai.com/backend-api',
  markdown: true,
  userAgent:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36',
  model: 'text-davinci-002-render'
} as const

/** Options of the {@link ChatGPTAPI} constructor. */
export type ChatGPTAPIOptions = {
  /**
   * **Required** OpenAI session token, the `__Secure-next-auth.session-token` cookie of a
   * signed-in browser session (see the README for how to find it).
   */
  sessionToken: string
  /** Cloudflare clearance token, the `cf_clearance` cookie of the same browser. */
  clearanceToken?: string
  /** An access token you already have; it is used until `accessTokenTTL` passes. */
  accessToken?: string
  /**
   * How long in milliseconds an access token is used before it is refreshed.
   * @defaultValue 60000 (60 seconds)
   */
  accessTokenTTL?: number
  /**
   * The base URL of the web app's API (`/api`).
   * @defaultValue `'https://chat.openai.com/api'`
   */
  apiBaseUrl?: string
  /**
   * The base URL of the backend API (`/backend-api`).
   * @defaultValue `'https://chat.openai.com/backend-api'`
   */
  backendApiBaseUrl?: string
  /**
   * `true`: replies are markdown, as ChatGPT writes them. `false`: plain text (code blocks keep
   * their content).
   * @defaultValue `true`
   */
  markdown?: boolean
  /**
   * The `User-Agent` header; it must match the browser that obtained the clearance token.
   * @defaultValue `'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36'`
   */
  userAgent?: string
}

/** A network failure (not an abort) as a ChatGPTError, naming the low-level cause. */
function networkError(error: unknown, partialText?: string): ChatGPTError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error)
  return new ChatGPTError(`ChatGPT request failed: ${sanitizeServerText(String(detail), 120)}`, {
    code: 'network',
    originalError: error,
    partialText
  })
}

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

  /**
   * Creates a new client wrapper around the unofficial ChatGPT REST API.
   *
   * @param opts - See {@link ChatGPTAPIOptions}.
   * @throws `ChatGPTError('ChatGPT invalid session token')` when `sessionToken` is missing;
   *   a ChatGPTError with code `invalid_argument` for any other unusable option.
   */
  constructor(opts: ChatGPTAPIOptions) {
    const options = { ...CHATGPT_API_DEFAULTS, ...definedOnly(opts ?? {}) }
    if (!options.sessionToken) {
      throw new ChatGPTError('ChatGPT invalid session token', { code: 'invalid_argument' })
    }
    assertToken('sessionToken', options.sessionToken, true)
    assertToken('clearanceToken', options.clearanceToken)
    assertToken('accessToken', options.accessToken)
    assertDuration('accessTokenTTL', options.accessTokenTTL)
    assertBaseUrl('apiBaseUrl', options.apiBaseUrl)
    assertBaseUrl('backendApiBaseUrl', options.backendApiBaseUrl)
    if (typeof options.userAgent !== 'string' || /[\r\n]/.test(options.userAgent)) {
      throw new ChatGPTError('userAgent must be a single-line string', { code: 'invalid_argument' })
    }

    this._sessionToken = options.sessionToken
    this._clearanceToken = options.clearanceToken
    this._markdown = !!options.markdown
    this._apiBaseUrl = options.apiBaseUrl.replace(/\/+$/, '')
    this._backendApiBaseUrl = options.backendApiBaseUrl.replace(/\/+$/, '')
    this._userAgent = options.userAgent
    this._fetch = (...args) => globalThis.fetch(...args)
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
    assertMessage(message)
    assertUuid('conversationId', opts.conversationId)
    assertUuid('parentMessageId', opts.parentMessageId)
    const messageId = randomUUID()
    const body = nextMessageBody({
      messageId,
      text: message,
      parentMessageId: opts.parentMessageId ?? randomUUID(),
      conversationId: opts.conversationId,
      model: CHATGPT_API_DEFAULTS.model
    })
    return this._converse(body, opts, { parentMessageId: messageId })
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
    const call = new CallSignal(timeoutMs, abortSignal)
    let partialText: string | undefined
    try {
      call.throwIfAborted()
      const accessToken = await call.race(this.refreshAccessToken())
      const stream = await call.race(
        openConversationStream({
          backendApiBaseUrl: this._backendApiBaseUrl,
          accessToken,
          clearanceToken: this._clearanceToken,
          userAgent: this._userAgent,
          body,
          signal: call.signal,
          fetch: this._fetch,
          clean: this._clean
        })
      )

      // Plain text is converted as the reply grows, so a long reply costs O(n), not O(n²).
      const toText = this._markdown ? undefined : new IncrementalMarkdownToText()
      const state = await readReplyStream(
        stream,
        {
          onText: (text, replyState) => {
            partialText = text
            const shown = toText ? toText.update(text) : text
            onUpdate?.(shown, replyState)
            onProgress?.(shown)
          },
          onConversationResponse
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
    } catch (error) {
      if (call.aborted) throw call.reason
      if (error instanceof ChatGPTError) throw this._redactError(error)
      if (error instanceof TypeError) throw this._redactError(networkError(error, partialText))
      // Anything else was thrown by the caller's own callback: it is theirs, pass it on as is.
      throw error
    } finally {
      call.dispose()
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
      const accessToken = await call.race(this.refreshAccessToken())
      return await call.race(
        requestBackendJson<T>({
          url: `${this._backendApiBaseUrl}${path}`,
          method,
          body: opts.body,
          accessToken,
          clearanceToken: this._clearanceToken,
          userAgent: this._userAgent,
          signal: call.signal,
          fetch: this._fetch,
          clean: this._clean
        })
      )
    } catch (error) {
      if (call.aborted) throw call.reason
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
        const session = await requestSession({
          apiBaseUrl: this._apiBaseUrl,
          sessionToken: this._sessionToken,
          clearanceToken: this._clearanceToken,
          userAgent: this._userAgent,
          fetch: this._fetch,
          clean: this._clean
        })
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

  /** Redacts an error's message and stack (the stack repeats the message it was built with). */
  protected _redactError(error: ChatGPTError): ChatGPTError {
    error.message = this._clean(error.message)
    if (error.stack) error.stack = this._clean(error.stack)
    return error
  }
}

/** Drops `undefined` values so that they do not override the defaults. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined)
  ) as T
}
