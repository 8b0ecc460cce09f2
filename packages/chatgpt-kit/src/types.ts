
/**
 * Wire types of the ChatGPT web backend and the public option types.
 *
 * Wire types describe what the server sends; every field the server may omit is optional and
 * unknown fields are kept, because the backend has changed its shapes several times.
 */

/** The content type of a message part. The reply is only ever read from `'text'` content. */
export type ContentType = 'text' | (string & {})

/** Who wrote a message. */
export type Role = 'user' | 'assistant' | 'system' | 'tool' | (string & {})

/**
 * `GET {apiBaseUrl}/auth/session`
 */
export type SessionResult = {
  /** Authenticated user */
  user: User
  /** ISO date of the expiration date of the access token */
  expires: string
  /** The access token */
  accessToken: string
  /** If there was an error associated with this request (e.g. `'RefreshAccessTokenError'`) */
  error?: string | null
  [key: string]: unknown
}

/** The signed-in user, as `/auth/session` describes it. Unknown fields are kept. */
export type User = {
  /** ID of the user */
  id: string
  /** Name of the user */
  name: string
  /** Email of the user */
  email?: string
  /** Image of the user */
  image: string
  /** Picture of the user */
  picture: string
  /** Groups the user is in */
  groups: string[]
  /** Features the user is in */
  features: string[]
  [key: string]: unknown
}

/** `GET {backendApiBaseUrl}/models` */
export type ModelsResult = {
  /** Array of models */
  models: Model[]
}

/** One model the account may use. */
export type Model = {
  /** Name of the model */
  slug: string
  /** Max tokens of the model */
  max_tokens: number
  /** Whether or not the model is special */
  is_special: boolean
  title?: string
  description?: string
  tags?: string[]
  [key: string]: unknown
}

/** `POST {backendApiBaseUrl}/moderations` */
export type ModerationsJSONBody = {
  /** Input for the moderation decision */
  input: string
  /** The model to use in the decision */
  model: AvailableModerationModels
  conversation_id?: string
  message_id?: string
}

export type AvailableModerationModels = 'text-moderation-playground'

/** `POST {backendApiBaseUrl}/moderations` answer */
export type ModerationsJSONResult = {
  /** Whether or not the input is flagged */
  flagged: boolean
  /** Whether or not the input is blocked */
  blocked: boolean
  /** The ID of the decision */
  moderation_id: string
}

/** `POST {backendApiBaseUrl}/conversation` request body. */
export type ConversationJSONBody = {
  /** The action to take: `'next'`, `'variant'` (regenerate) or `'continue'` */
  action: string
  /** The ID of the conversation; absent for a new one */
  conversation_id?: string
  /** Prompts to provide */
  messages?: Prompt[]
  /** The model to use */
  model: string
  /** The parent message ID */
  parent_message_id: string
  [key: string]: unknown
}

/** One prompt in a {@link ConversationJSONBody}. */
export type Prompt = {
  /** The content of the prompt */
  content: PromptContent
  /** The ID of the prompt */
  id: string
  /** The role played in the prompt */
  role: Role
}

export type PromptContent = {
  /** The content type of the prompt */
  content_type: ContentType
  /** The parts to the prompt */
  parts: string[]
}

/** `POST {backendApiBaseUrl}/conversation/message_feedback` */
export type MessageFeedbackJSONBody = {
  /** The ID of the conversation */
  conversation_id: string
  /** The message ID */
  message_id: string
  /** The rating */
  rating: MessageFeedbackRating
  /** Tags to give the rating */
  tags?: MessageFeedbackTags[]
  /** The text to include */
  text?: string
}

export type MessageFeedbackTags = 'harmful' | 'false' | 'not-helpful'

export type MessageFeedbackResult = {
  /** The message ID */
  message_id: string
  /** The ID of the conversation */
  conversation_id: string
  /** The ID of the user */
  user_id: string
  /** The rating */
  rating: MessageFeedbackRating
  /** The text the server received, including tags */
  text?: string
}

export type MessageFeedbackRating = 'thumbsUp' | 'thumbsDown'

/**
 * One event of the reply stream, as handed to `onConversationResponse`.
 *
 * With the 2022 and 2023 shapes this is the parsed event as the server sent it (it may have no
 * `message`, e.g. a moderation event). With the 2024 delta encoding it is the message document
 * the deltas have built so far, so callers see the same shape whatever the server speaks. 2026
 * streams build one document per message (system, user, thoughts, tool calls and results, the
 * answer): each event is the document it changed, and their typed events (`{type:
 * 'title_generation', …}` and the like) come as sent. The answer is the document whose message is
 * an assistant's text to `all`; its text there is the server's, citation markers included.
 */
export type ConversationResponseEvent = {
  message?: Message
  conversation_id?: string
  error?: string | Record<string, unknown> | null
  [key: string]: unknown
}

/** A message inside a {@link ConversationResponseEvent}. */
export type Message = {
  id: string
  content: MessageContent
  /** Dec-2022 servers: the author's role. Later servers use `author.role`. */
  role?: Role
  author?: MessageAuthor
  user?: string | null
  create_time: string | number | null
  update_time: string | number | null
  end_turn: boolean | null
  weight: number
  recipient: string
  /** 2023+: `'in_progress'`, then `'finished_successfully'` */
  status?: string
  /**
   * 2025+ reasoning models: `null` or `'final'` for the answer; other channels (`'analysis'`,
   * `'commentary'`) are not shown.
   */
  channel?: string | null
  metadata: MessageMetadata
  [key: string]: unknown
}

export type MessageAuthor = {
  role: Role
  name?: string | null
  metadata?: Record<string, unknown>
}

export type MessageContent = {
  content_type: ContentType
  parts: string[]
  [key: string]: unknown
}

export type MessageMetadata = {
  message_type?: string
  model_slug?: string
  parent_id?: string
  finish_details?: { type?: string; [key: string]: unknown }
  is_complete?: boolean
  [key: string]: unknown
}

/** Options of {@link ChatGPTAPI.sendMessage}. */
export type SendMessageOptions = {
  /** ID of the conversation to continue; omit to start a new one. */
  conversationId?: string
  /** ID of the message to answer (the previous assistant reply); omit for a new conversation. */
  parentMessageId?: string
  /**
   * Rejects with `ChatGPTError('ChatGPT timed out waiting for response')` (code `'timeout'`) when
   * the whole call, authentication included, takes longer; the HTTP request is aborted.
   * @defaultValue no timeout
   */
  timeoutMs?: number
  /**
   * Called with the reply so far (the whole text, not a delta) every time it grows.
   *
   * `appended` (an addition to the `chatgpt` 2.x signature) is what the text added to the previous
   * call's, when it only grew by that: `partialResponse === previous + appended`; `undefined`
   * when it was rewritten. A long reply's text is built by appending, and reading any character of
   * such a string makes the engine copy all of it: reading only `appended` keeps a long reply's
   * cost linear.
   */
  onProgress?: (partialResponse: string, appended?: string) => void
  /**
   * Called with every event of the reply stream (see {@link ConversationResponseEvent}), each as
   * of that event: an object you may keep, which later events never change (so events kept until
   * the end still show the text as it was at each one).
   *
   * - 2022 and 2023 shapes: the event as the server sent it, parsed.
   * - 2024 delta encoding: a snapshot of the message document the deltas have built so far. It
   *   shares the parts that did not change with the other events' objects (that is what keeps an
   *   event's cost independent of the reply's length), so treat it as read-only: changing it could
   *   change what later events show.
   * - 2026 streams: the same, per message document (see {@link ConversationResponseEvent}), and
   *   typed events as sent.
   *
   * @example
   * ```ts
   * import type { ConversationResponseEvent } from 'chatgpt-kit'
   *
   * const events: ConversationResponseEvent[] = []
   * await api.sendMessage('Hi', { onConversationResponse: (event) => events.push(event) })
   * events.map((event) => event.message?.content.parts[0]) // the text as of each event
   * ```
   */
  onConversationResponse?: (response: ConversationResponseEvent) => void
  /** Aborts the call; it then rejects with the signal's `reason`. */
  abortSignal?: AbortSignal
  /**
   * The model to answer with (a slug from {@link ChatGPTAPI.getModels}).
   * @defaultValue the client's `model` option, itself `'text-davinci-002-render'` by default
   */
  model?: string
  /**
   * The id (a UUID) of the user message this call sends, e.g. to refer to it later or to resend
   * the same message after a failure.
   * @defaultValue a random UUID
   */
  messageId?: string
  /**
   * When the reply stops at the model's token limit (`finishReason: 'max_tokens'`), continue it
   * (`action: 'continue'`) up to this many times. `onProgress` and streams see the text keep
   * growing across continuations, the result is the whole text, and `timeoutMs` bounds them all.
   * @defaultValue `0` (never)
   */
  autoContinue?: number
  /**
   * Retries for this call's own requests, overriding the client's `maxRetries` (see
   * {@link ChatGPTAPIOptions}). A sign-in (`/auth/session`) is shared with every other call
   * waiting for it, so it retries as the client's option says.
   */
  maxRetries?: number
}

/** Options of {@link ChatGPTConversation.sendMessage}: the ids are the conversation's own. */
export type SendConversationMessageOptions = Omit<
  SendMessageOptions,
  'conversationId' | 'parentMessageId'
>

/** The outcome of a message, with the ids needed to continue from it. */
export type ChatGPTReply = {
  /** The reply (plain text when the client was built with `markdown: false`). */
  text: string
  /** The id of the assistant message: the `parentMessageId` of the next message. */
  messageId: string
  /** The conversation the reply belongs to. */
  conversationId: string
  /** The id of the user message the reply answers. */
  parentMessageId: string
  /** The model that answered, when the server said. */
  model?: string
  /** Why the reply ended: `'stop'`, `'max_tokens'`, … when the server said. */
  finishReason?: string
  /**
   * The conversation's title, when the server generated one while replying (2026 streams send
   * `title_generation` on a conversation's first turn); absent otherwise. Fetch or generate one
   * with the conversation endpoints when you need it for sure.
   */
  title?: string
  /**
   * The reasoning summaries of a reasoning model (its "thoughts"), as plain paragraphs, when the
   * server streamed any: kept apart from {@link ChatGPTReply.text}, which holds only the answer.
   * Absent for models that do not reason, and for servers that do not stream their thoughts.
   */
  reasoning?: string
  /**
   * `true` when a moderation result in the stream flagged or blocked the exchange (the prompt or
   * the reply), `false` when the stream carried moderation results that did neither; absent when
   * it carried none (most 2024–26 streams).
   */
  moderated?: boolean
}

/** Timeout and abort of one call to the backend. */
export type CallOptions = {
  /**
   * Rejects with code `'timeout'` when the call takes longer; the request is aborted.
   * @defaultValue no timeout
   */
  timeoutMs?: number
  /** Aborts the call; it then rejects with the signal's `reason`. */
  abortSignal?: AbortSignal
}

/**
 * Options of {@link ChatGPTAPI.regenerateReply} and {@link ChatGPTAPI.continueReply}: which
 * assistant message, and the options of a message (model, callbacks, timeout, abort, …).
 */
export type ReplyActionOptions = Omit<
  SendMessageOptions,
  'conversationId' | 'parentMessageId' | 'messageId'
> & {
  /** The conversation of the reply. */
  conversationId: string
  /** The id of the assistant message to regenerate or continue. */
  messageId: string
}

/** Options of {@link ChatGPTConversation.regenerate} and {@link ChatGPTConversation.continue}. */
export type ConversationActionOptions = Omit<
  SendMessageOptions,
  'conversationId' | 'parentMessageId' | 'messageId'
>

/** Options of {@link ChatGPTAPI.listConversations} and {@link ChatGPTAPI.iterateConversations}. */
export type ListConversationsOptions = CallOptions & {
  /**
   * How many conversations to skip, most recently updated first.
   * @defaultValue `0`
   */
  offset?: number
  /**
   * How many conversations a page holds at most (the server may cap it).
   * @defaultValue `20` for a page; `50` per request when iterating
   */
  limit?: number
  /** Sent as `order=updated` when given (the web app's own order). */
  order?: 'updated'
}

/** `GET {backendApiBaseUrl}/conversations` answer. Unknown fields are kept. */
export type ConversationsJSONResult = {
  items: ConversationItemJSON[]
  total: number
  limit: number
  offset: number
  has_missing_conversations?: boolean
  [key: string]: unknown
}

/** One conversation in a {@link ConversationsJSONResult}. */
export type ConversationItemJSON = {
  id: string
  title: string
  /** ISO date */
  create_time: string
  /** ISO date */
  update_time: string
  [key: string]: unknown
}

/** `GET {backendApiBaseUrl}/conversation/{id}` answer: the whole conversation tree. */
export type ConversationJSONResult = {
  title: string
  /** Unix seconds */
  create_time: number
  /** Unix seconds */
  update_time: number
  /** Every node of the tree by id; the root node has no message and no parent. */
  mapping: Record<string, ConversationNodeJSON>
  moderation_results?: unknown[]
  /** The node the active thread ends at. */
  current_node: string
  conversation_id: string
  [key: string]: unknown
}

/** A node of a conversation tree. */
export type ConversationNodeJSON = {
  id: string
  message?: Message | null
  parent?: string | null
  children: string[]
  [key: string]: unknown
}

/** One conversation of the account, as {@link ChatGPTAPI.listConversations} lists it. */
export type ConversationSummary = {
  /** The conversation id. */
  id: string
  title: string
  /** When it was created, when the server said. */
  createTime?: Date
  /** When it last changed, when the server said. */
  updateTime?: Date
}

/** One page of {@link ChatGPTAPI.listConversations}. */
export type ConversationsPage = {
  /** The conversations of the page, most recently updated first. */
  items: ConversationSummary[]
  /** How many conversations the account has. */
  total: number
  /** The page size the server applied. */
  limit: number
  /** How many conversations come before this page. */
  offset: number
  /** Whether pages follow: `offset + items.length < total`. */
  hasMore: boolean
}

/** A user or assistant message of a conversation, as {@link ConversationHistory} gives it. */
export type HistoryMessage = {
  /** The message id. */
  id: string
  role: 'user' | 'assistant'
  /** The message text (markdown, as ChatGPT wrote it). */
  text: string
  /**
   * The node it hangs under in the tree: for a reply, the user message it answers; for a user
   * message, the reply before it — or a node that is not in `messages` (the root, a hidden
   * system message) at the start of a conversation.
   */
  parentId: string | undefined
  /** When it was written, when the server said. */
  createTime: Date | undefined
  /** The model that wrote a reply, when the server said. */
  model?: string
  /** Why a reply ended (`'stop'`, `'max_tokens'`, …), when the server said. */
  finishReason?: string
}

/** The feedback {@link ChatGPTAPI.sendMessageFeedback} sends on a reply. */
export type MessageFeedback = {
  conversationId: string
  /** The assistant message rated. */
  messageId: string
  rating: MessageFeedbackRating
  tags?: MessageFeedbackTags[]
  text?: string
}

/** Options of {@link ChatGPTAPI.checkModeration}. */
export type ModerationOptions = CallOptions & {
  /** The conversation the input belongs to, if any. */
  conversationId?: string
  /** The message the input is, if any. */
  messageId?: string
}

/**
 * Options of {@link ChatGPTAPI.fromAccessToken}: those of the constructor, without a session
 * token and with the access token required.
 */
export type ChatGPTAPIAccessTokenOptions = Omit<ChatGPTAPIOptions, 'sessionToken' | 'accessToken' | 'accessTokenTTL'> & {
  /**
   * **Required** access token: the `accessToken` of `https://chat.openai.com/api/auth/session`
   * in a signed-in browser (a JWT that lasts days). It is used until it expires; nothing can
   * refresh it.
   */
  accessToken: string
  /** Has no effect here: with no session to get a new token from, the token is kept until it expires. */
  accessTokenTTL?: number
}

/**
 * Which generation of the web backend's send sequence a {@link ChatGPTAPI} speaks (see
 * {@link ChatGPTAPIOptions.protocol}).
 */
export type ChatGPTProtocol = '2022' | '2026'

/**
 * Answers the sentinel's turnstile challenge (protocol '2026'): given the challenge program `dx`
 * (base64 of a program XOR-encrypted with `p`) and `p` (the requirements token this turn sent,
 * `gAAAAAC…`, which is the program's key), resolves to the token the server wants. The library
 * runs no turnstile program itself; this is where you plug in something that does (a browser, a
 * sandboxed VM, a service).
 *
 * It runs inside a message call, so that call's timeout and abort stop waiting for it (the
 * promise itself is not cancelled). A rejection fails the call with your error.
 */
export type TurnstileSolver = (dx: string, p: string) => Promise<string>

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
   * @defaultValue `'https://chat.openai.com/api'` (`'https://chatgpt.com/api'` with protocol '2026')
   */
  apiBaseUrl?: string
  /**
   * The base URL of the backend API (`/backend-api`). With protocol '2026' the site's page is
   * loaded from the same place without `/backend-api` (`https://chatgpt.com/`).
   * @defaultValue `'https://chat.openai.com/backend-api'` (`'https://chatgpt.com/backend-api'` with protocol '2026')
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
  /**
   * The model messages are answered with, unless a call says otherwise (`opts.model`).
   * @defaultValue `'text-davinci-002-render'`
   */
  model?: string
  /**
   * How many times a request that failed before any reply byte arrived (a connection error,
   * 408, 409, 429, 5xx) is retried, with exponential backoff and jitter, honouring the server's
   * `Retry-After`. A message whose reply had started is never sent again. Per call too.
   * @defaultValue 2
   */
  maxRetries?: number
  /**
   * The account answers one message at a time, so concurrent `sendMessage` calls wait their turn
   * in order. This bounds how many may wait; one more fails with code `queue_full`.
   * @defaultValue 100
   */
  maxQueueSize?: number
  /**
   * A request that receives nothing for this long (no headers, no stream bytes) fails with code
   * `timeout`, even when the call has no `timeoutMs`. `0` turns it off.
   * @defaultValue 120000 (2 minutes)
   */
  idleTimeoutMs?: number
  /**
   * An HTTP(S) proxy URL for every request, e.g. `'http://127.0.0.1:8080'`. Without it the usual
   * `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` variables apply. Needs Node.js ≥ 20.18 (undici).
   */
  proxy?: string
  /** A `fetch` to use instead of the global one (tests, custom agents, other runtimes). */
  fetch?: typeof fetch
  /**
   * Receives one line per request, retry, re-authentication and queue wait. Tokens, cookies and
   * the `Authorization` header never appear in these lines.
   * @example `debug: (line) => console.error('[chatgpt]', line)`
   */
  debug?: (line: string) => void
  /**
   * Which generation of the web backend's send sequence to speak.
   *
   * - `'2022'`: the seed's, as `chatgpt` 2.x spoke it: an access token, the clearance cookie,
   *   and `POST {backendApiBaseUrl}/conversation`. Nothing below applies.
   * - `'2026'`: the sequence public clients converged on in 2025–26. Each
   *   message (and each regeneration, continuation and retry of one) loads the site's page for
   *   its build and scripts (cached 12 minutes), gets sentinel chat requirements in two steps
   *   (`…/sentinel/chat-requirements/prepare`, a proof of work solved here, a turnstile answer,
   *   `…/finalize`; the single-step `…/sentinel/chat-requirements` when `prepare` answers 404),
   *   a conduit token (`…/f/conversation/prepare`), and sends to `…/f/conversation`
   *   (`…/conversation` when the conduit endpoints answer 404). Every backend request carries
   *   `oai-device-id` ({@link ChatGPTAPIOptions.deviceId}), `oai-language: en-US`, and
   *   `ChatGPT-Account-Id` when the session's `account.id` or the access token's claims name
   *   the account. The default base URLs become `https://chatgpt.com/api` and
   *   `https://chatgpt.com/backend-api`.
   *
   * What the live service accepts is not known from here: it was built from public clients and
   * captures, not tested against the site. Expect a browser-grade TLS fingerprint, a clearance
   * from the same IP and user agent, and a real turnstile answer
   * ({@link ChatGPTAPIOptions.turnstileSolver}) to be required. A refusal of the sentinel
   * ("Unusual activity…") fails the call with code `bot_detected`.
   *
   * The `model` default stays the seed's; today's web client sends `'auto'`.
   * @defaultValue `'2022'`
   */
  protocol?: ChatGPTProtocol
  /**
   * Protocol '2026' only: the device id sent as `oai-device-id` (and as the `oai-did` cookie) on
   * every request, a UUID. The server ties the sentinel's tokens to it, and public clients saw
   * sign-ins fail after it changed between calls, so keep one per account: pass the same value
   * to every client (every process) of an account.
   * @defaultValue a random UUID, made once per client and kept for its life
   */
  deviceId?: string
  /**
   * Protocol '2026' only: answers the sentinel's turnstile challenge; see {@link TurnstileSolver}.
   *
   * Without one the client sends what two 2026 public clients send and report working: 2256
   * random base64 characters. Whether the server checks the answer is not known; a server that
   * does will refuse the messages (`bot_detected`).
   */
  turnstileSolver?: TurnstileSolver
}
