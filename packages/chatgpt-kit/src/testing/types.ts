import type { BackendProtocol, TestConduitToken, TestSentinelTurn } from './protocol-2026-types.js'

/**
 * Which of the event shapes the ChatGPT web backend has streamed over time:
 *
 * - `'2022'`: `{message: {role, content, end_turn, …}, conversation_id, error}`
 * - `'2023'`: `message.author`, `message.status`, `metadata.finish_details`, a hidden system
 *   message and an echo of the user message before the reply, moderation events after it
 * - `'v1'`: 2024 delta encoding, JSON-patch-like `{p, o, v}` ops with sticky `p` and `o`
 * - `'2026'`: the delta encoding as the 2026-01 capture shows it (PROTOCOL-2026.md §7.1): one
 *   document per message counted by `c` (hidden system message, user message, assistant), typed
 *   events as bare `data:` lines (`resume_conversation_token`, `input_message`,
 *   `message_marker`, `title_generation`, `conversation_detail_metadata`, `server_ste_metadata`,
 *   `message_stream_complete`), and `finish_details` merged into the metadata by the final patch.
 *   A new conversation's first turn streams a title (`title_generation`, mid-stream and again at
 *   the end), which the conversation then has. Words of the prompt (whole words, any case) add
 *   what 2026 turns carry besides the answer, none of it part of the reply's text:
 *   - `think`: a thoughts message before the answer (two reasoning summaries, one cut back by a
 *     `truncate` op) and its `reasoning_recap`: a client reports them as the reply's `reasoning`;
 *   - `cite`: a hidden orchestration cell (`{"skipped_mainline":true}`), a `web.run` search call
 *     and its tool message before the answer, and citation markers (`\ue200cite\ue202turn0searchN\ue201`)
 *     in the answer: one split across the first two deltas, one after every sentence, and one
 *     sent and taken back by `truncate` in the final patch;
 *   - `flag`: a `moderation` event that flags the exchange.
 */
export type StreamShape = '2022' | '2023' | 'v1' | '2026'

/** What the reply function is told about the message it answers. */
export interface ReplyContext {
  /**
   * The conversation the reply belongs to. For the Chat Completions API, which keeps no
   * conversations, the completion's id (`chatcmpl-…`).
   */
  conversationId: string
  /**
   * The active thread from the first message down to the message being answered, inclusive.
   * For `action: 'continue'` the last entry is the assistant message being extended. For the Chat
   * Completions API, the request's `user` and `assistant` messages in order (system, developer,
   * tool and function messages left out: see {@link ReplyContext.chatCompletion}).
   */
  messages: { role: 'user' | 'assistant'; text: string }[]
  /** The request's `action`; always `'next'` for the Chat Completions API. */
  action: 'next' | 'variant' | 'continue'
  /**
   * Set only when the reply answers `POST /v1/chat/completions`, absent for the web backend: the
   * requested model and the texts of the request's `system` and `developer` messages, in order.
   *
   * @example
   * ```ts
   * import type { ReplyFunction } from 'chatgpt-kit/testing'
   *
   * const reply: ReplyFunction = (prompt, ctx) =>
   *   ctx.chatCompletion ? `${ctx.chatCompletion.model} says: ${prompt}` : `web says: ${prompt}`
   * ```
   */
  chatCompletion?: { model: string; system: string[] }
}

/**
 * Produces the assistant's whole reply text; the backend streams it token by token.
 *
 * @param prompt - The user message being answered (for `continue`: the last user message of the thread).
 * @param ctx - The conversation, the thread and the action.
 */
export type ReplyFunction = (prompt: string, ctx: ReplyContext) => string

/** Options of {@link createTestBackend}. Every field is optional. */
export interface TestBackendOptions {
  /**
   * Port to listen on.
   * @defaultValue `0` (a random free port)
   */
  port?: number
  /**
   * Interface to listen on.
   * @defaultValue `'127.0.0.1'`
   */
  host?: string
  /**
   * Event shape of conversation streams. Can be changed later with {@link TestBackend.shape}
   * and overridden per request with the header `x-test-shape: 2022 | 2023 | v1 | 2026`.
   * @defaultValue `'v1'`
   */
  shape?: StreamShape
  /**
   * Produces the reply to a prompt, on the web conversation endpoint and on the Chat Completions
   * API alike (there the prompt is the request's last `user` message, and
   * {@link ReplyContext.chatCompletion} is set). For `action: 'continue'` its result is appended to the
   * continued message; it is not called when that message still has text it never streamed
   * (cut by `maxReplyTokens`, or by a fault or a client that left), which is streamed instead.
   * A throw answers 500 `reply_function_error`.
   * @defaultValue {@link defaultReply}: deterministic markdown that echoes the prompt, with
   * non-ASCII text and an emoji, and a fenced code block when the prompt mentions "code"; a prompt
   * starting with `showcase` gets {@link showcaseReply} (headings, lists, a table, a long code
   * block, links, a quote, a long paragraph; `showcase table` shows only the table).
   */
  reply?: ReplyFunction
  /**
   * The model slugs the backend offers: `GET /backend-api/models` lists them, and a conversation
   * (or title) request naming any other slug is refused, as the real service refuses it, with 404
   * `{detail: {message, code: 'model_not_found'}}` whose message lists these slugs (the client
   * rejects with `ChatGPTError` code `not_found`). A request naming no model is answered with
   * `text-davinci-002-render` when offered, otherwise the first slug here.
   * @defaultValue `['text-davinci-002-render-sha', 'text-davinci-002-render', 'gpt-4', 'gpt-4o', 'auto']`
   * @example
   * ```ts
   * // a bot whose tests send model: 'gpt-5'
   * const backend = await createTestBackend({ models: ['gpt-5', 'gpt-5-thinking'] })
   * ```
   */
  models?: readonly string[]
  /**
   * Delay between two SSE events of a stream, in milliseconds.
   * @defaultValue `0`
   */
  eventDelayMs?: number
  /**
   * How long a reply may wait on a client that stopped reading before the backend drops the
   * connection, in milliseconds: once the socket's buffers are full, a write the client makes no
   * room for within this time ends the reply, as a partial one, and frees the account for its next
   * reply. The real server gives up on such a connection too (a client cut off from the network,
   * or paused), rather than keeping its one reply in flight forever; a pool's account lease must
   * outlast this, or another process would take the account while the reply is still in flight.
   * Only a client that does not read counts: the pause between events (`eventDelayMs`) and a
   * `stall` fault, where the backend sends nothing, don't. `Infinity` never drops one.
   * @defaultValue `5000`
   */
  stalledClientTimeoutMs?: number
  /**
   * How many tokens (a word plus the whitespace after it) each streamed event adds.
   * @defaultValue `1`
   */
  tokensPerEvent?: number
  /**
   * How stream bytes are handed to the socket: `'event'` writes each SSE event at once;
   * `'bytes'` writes every byte on its own (so multi-byte UTF-8 characters arrive split);
   * a number writes fixed-size pieces of that many bytes.
   * @defaultValue `'event'`
   */
  chunking?: 'event' | 'bytes' | number
  /**
   * Lifetime of the access tokens handed out by `/api/auth/session`, in seconds.
   * @defaultValue `3600`
   */
  accessTokenTTLSeconds?: number
  /**
   * The User-Agent the clearance token is bound to; any other User-Agent gets the challenge.
   * @defaultValue the Chrome 107 User-Agent that `chatgpt` 2.x sends, also the client's default
   */
  userAgent?: string
  /**
   * Longest accepted prompt, in UTF-16 code units; longer prompts get 413
   * `message_length_exceeds_limit`.
   * @defaultValue `20000`
   */
  maxPromptLength?: number
  /**
   * Most tokens one response streams. A longer reply stops there with
   * `finish_details.type: 'max_tokens'` and `end_turn: false`; `action: 'continue'` streams the
   * rest (again at most this many tokens).
   * @defaultValue `Infinity`
   */
  maxReplyTokens?: number
  /**
   * Largest accepted request body, in bytes; larger bodies get 413 `request_too_large` and the
   * connection is closed. The body is never buffered past this (plus one chunk): one that declares
   * more in `content-length` is refused unread.
   * @defaultValue `1048576` (1 MiB)
   */
  maxBodyBytes?: number
  /**
   * How many requests {@link TestBackend.requests} keeps: the most recent ones, older ones are
   * dropped. `Infinity` keeps all (memory then grows with every request).
   * @defaultValue `1000`
   */
  maxRecordedRequests?: number
  /**
   * How many bytes of each request body {@link TestBackend.requests} keeps (as
   * {@link RecordedRequest.bodyText}); a longer body is recorded cut, with
   * {@link RecordedRequest.bodyTruncated} set. With the defaults the record of requests holds at
   * most about 1000 × 64 KiB of body text (and Node caps headers at 16 KiB a request), however many
   * and however big the requests are.
   * @defaultValue `65536` (64 KiB), room for a prompt of `maxPromptLength` characters
   */
  maxRecordedBodyBytes?: number
  /**
   * The model ids the Chat Completions API (`/v1`) offers: `GET /v1/models` lists them, and a
   * completion naming any other model is refused with 404 `{error: {code: 'model_not_found'}}`.
   * Separate from {@link TestBackendOptions.models}, as the web backend's slugs are not API model
   * ids. Reasoning models among them (`o1`, `o3`, `o4-mini`, `gpt-5`, … but not `gpt-5-chat…`)
   * refuse `max_tokens` (they take `max_completion_tokens`) and a `temperature` or `top_p` other
   * than 1, with 400 `unsupported_parameter` / `unsupported_value`, as the API does.
   * @defaultValue `['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-5']`
   */
  apiModels?: readonly string[]
  /**
   * The context window of every API model, in tokens (as {@link TestBackendOptions.apiTokenCounter}
   * counts them). A request whose messages count more is refused with 400
   * `context_length_exceeded` ("This model's maximum context length is N tokens. However, your
   * messages resulted in M tokens. …"), as is one whose messages plus `max_tokens` /
   * `max_completion_tokens` exceed it ("… However, you requested T tokens (P in the messages, C in
   * the completion). …"). A reply never runs past the window: it stops there with
   * `finish_reason: 'length'`.
   * @defaultValue `128000`
   */
  apiContextTokens?: number
  /**
   * The most tokens one API reply may have: a larger `max_tokens` / `max_completion_tokens` is
   * refused with 400 ("max_tokens is too large: X. This model supports at most N completion
   * tokens, whereas you provided X."), and a reply with no limit set stops here with
   * `finish_reason: 'length'`.
   * @defaultValue `16384` (gpt-4o's and gpt-4o-mini's)
   */
  apiMaxOutputTokens?: number
  /**
   * Counts tokens for the API: the context window check, `max_tokens` cuts and `usage`. A request's
   * prompt tokens follow OpenAI's rule, 3 + Σ (4 + tokens of the content [+ 1 + tokens of the
   * name]); `completion_tokens` is the count of the reply text sent, and `max_tokens` cuts the reply
   * to the longest start that counts at most that many (which may end inside a word). The backend
   * has no tokenizer of its own: pass the client's (e.g. gpt-tokenizer's `countTokens`) when a test
   * needs the backend to agree with it exactly. Must return a whole number >= 0 and never count a
   * text's start as more than the text.
   * @defaultValue {@link approximateTokenCount}: one token per 4 characters, rounded up
   */
  apiTokenCounter?: (text: string) => number
  /**
   * Which send sequence the web backend enforces (PROTOCOL-2026.md §14). `'2026'` adds, on top
   * of everything else:
   *
   * - `GET /`: the bootstrap page, `<html data-build="prod-<40 hex>">` ({@link TestBackend.build})
   *   with the `<script src>` of {@link TestBackendOptions.bootstrapScripts}; sets an `oai-did`
   *   cookie (a new device id) when the request has none, and a `__cf_bm` cookie.
   * - `POST /backend-api/sentinel/chat-requirements/prepare` `{p}` →
   *   `{persona, prepare_token, proofofwork: {required, seed, difficulty}, turnstile: {required, dx}, so?}`,
   *   then `POST …/chat-requirements/finalize` `{prepare_token, proofofwork, turnstile}` →
   *   `{persona, token, expire_after, expire_at, force_login: false, so_token?}`. Body keys other
   *   than these give 500 `{detail: 'Internal Server Error'}`; a proof that misses the difficulty
   *   403 "Unusual activity…" (JSON, no `cf-mitigated`).
   * - `POST /backend-api/sentinel/chat-requirements` `{p}`: the single-step form, answering the
   *   token and the challenges at once; its proof is checked on the send.
   * - `POST /backend-api/f/conversation/prepare` → `{status: 'ok', conduit_token}`.
   * - `POST /backend-api/f/conversation`: needs `openai-sentinel-chat-requirements-token` (a
   *   finalized token of the same account, issued to the request's `oai-device-id`, unused and
   *   unexpired), `openai-sentinel-proof-token` (an answer meeting that turn's challenge; without
   *   one: a bare 403 with an empty body) and `x-conduit-token`; then streams as
   *   `/backend-api/conversation` does, in the configured {@link TestBackend.shape}.
   * - `POST /backend-api/conversation` keeps answering (the documented fallback) but needs the
   *   same sentinel headers; a bad proof there is a 403 "Unusual activity".
   *
   * Every sentinel, conduit and send request needs a valid access token (else 401
   * `{detail: 'Could not parse your authentication token. Please try signing in again.'}`).
   * Faults with `endpoint: 'sentinel'` / `'conduit'` replace those answers; `'conversation'`
   * faults fire on both sends, after the sentinel checks passed.
   * @defaultValue `'2022'` (the seed's sequence; none of the above exists)
   */
  protocol?: BackendProtocol
  /**
   * In 2026 mode, the proof-of-work difficulty the sentinel asks for: lowercase hex, where a hash
   * passes when its first digits, compared as strings, are at most this (§4.1). Smaller is harder.
   * @defaultValue `'0fffff'` (one hash in 16 passes: a handful of attempts)
   */
  powDifficulty?: string
  /**
   * In 2026 mode, whether the two-step sentinel (`…/chat-requirements/prepare` and `/finalize`)
   * exists. `false` makes both answer 404 `{detail: 'Not Found'}`, to test a client's fallback to
   * the single-step `…/chat-requirements`.
   * @defaultValue `true`
   */
  twoStepSentinel?: boolean
  /**
   * In 2026 mode, whether `POST /backend-api/f/conversation/prepare` and `/f/conversation` exist.
   * `false` makes both answer 404 `{detail: 'Not Found'}`, to test a client's fallback to
   * `/backend-api/conversation`.
   * @defaultValue `true`
   */
  conduitEndpoints?: boolean
  /**
   * In 2026 mode, whether a legacy SHA3-512 proof (no `~S` at the end, §4.2) is accepted beside
   * the current FNV one. ⚠ Whether the live server still takes them is an open point (§15).
   * @defaultValue `false`
   */
  acceptLegacyProof?: boolean
  /**
   * In 2026 mode, whether the sentinel sets the `so` challenge: prepare (and the single-step form)
   * then answers `so: {required: true, collector_dx}`, finalize a `so_token`, and a send of a
   * two-step turn must carry it as `openai-sentinel-so-token` (else 403 "Unusual activity").
   * ⚠ How the real `so_token` is made is unknown (§15); this only checks that it is passed on.
   * @defaultValue `false`
   */
  soChallenge?: boolean
  /**
   * In 2026 mode, the `<script src>` values of the bootstrap page (`GET /`), in order.
   * @defaultValue two `https://cdn.oaistatic.com/assets/…` chunks and
   * `https://chatgpt.com/backend-api/sentinel/sdk.js`
   */
  bootstrapScripts?: readonly string[]
  /**
   * In 2026 mode, how long a requirements token is accepted after it was issued, in seconds
   * (its `expire_after`); an older one gets 403 "Unusual activity".
   * @defaultValue `540`
   */
  requirementsTTLSeconds?: number
}

/** The profile `/api/auth/session` returns for an account. */
export interface TestUser {
  id: string
  name: string
  email: string
  image: string
  picture: string
  groups: string[]
  features: string[]
}

/** An account of the test backend and a session token that signs it in. */
export interface TestAccount {
  /** Value for the `__Secure-next-auth.session-token` cookie. */
  sessionToken: string
  user: TestUser
}

/** One HTTP request the backend received, recorded in arrival order. */
export interface RecordedRequest {
  method: string
  /** The path without the query string, e.g. `/backend-api/conversations`. */
  path: string
  /** The raw request target, query string included. */
  url: string
  /** Header names lower-cased; repeated headers joined with `, ` (`cookie` with `; `). */
  headers: Record<string, string>
  /**
   * The body parsed as JSON, or `undefined` when absent, not JSON, too large, or cut
   * ({@link RecordedRequest.bodyTruncated}). It is parsed from `bodyText` each time it is read (a
   * new object each time), as the backend keeps only the text: a parsed body can take many times
   * its text's memory.
   */
  readonly body: unknown
  /**
   * The body as UTF-8 text: all of it, or, when {@link RecordedRequest.bodyTruncated}, only its
   * first `maxRecordedBodyBytes` bytes (never cutting a character).
   */
  bodyText: string
  /**
   * The body's size in bytes. For a body refused as larger than `maxBodyBytes`: its declared
   * `content-length`, or without one the bytes that had arrived when it was refused.
   */
  bodyBytes: number
  /**
   * Whether `bodyText` is only the start of the body: it was longer than `maxRecordedBodyBytes`,
   * refused as larger than `maxBodyBytes`, or cut off by the client.
   */
  bodyTruncated: boolean
  /** Arrival time, `Date.now()` milliseconds. */
  time: number
}

/** A message as stored in a conversation tree (the 2023+ wire form). */
export interface ConversationMessage {
  id: string
  author: { role: 'system' | 'user' | 'assistant'; name: null; metadata: Record<string, unknown> }
  create_time: number
  update_time: number | null
  content: { content_type: 'text'; parts: string[] }
  status: 'in_progress' | 'finished_successfully' | 'finished_partial_completion'
  end_turn: boolean | null
  weight: number
  metadata: Record<string, unknown>
  recipient: 'all'
}

/**
 * A node of a conversation tree. The root node has neither `message` nor `parent`; every
 * other node has both.
 */
export interface ConversationNode {
  id: string
  message?: ConversationMessage
  parent?: string
  children: string[]
}

/** A copy of one stored conversation; changing it does not change the backend. */
export interface ConversationSnapshot {
  id: string
  title: string
  /** Every node, keyed by id. */
  mapping: Record<string, ConversationNode>
  /** The node the conversation currently ends at (the latest reply). */
  currentNode: string
  /** `false` once deleted through `PATCH` (`is_visible: false`); the API then answers 404. */
  isVisible: boolean
  /** `user.id` of the account that owns it. */
  ownerId: string
  /** Unix seconds. */
  createTime: number
  /** Unix seconds. */
  updateTime: number
}

/** Read access to the conversation trees the backend holds. */
export interface TestConversations {
  /** The conversation with this id (also when deleted), or `undefined`. */
  get(id: string): ConversationSnapshot | undefined
  /** Every conversation, oldest first, deleted ones included. */
  list(): ConversationSnapshot[]
  /** How many conversations exist, deleted ones included. */
  readonly size: number
}

/**
 * A one-shot failure to inject. Faults wait in one FIFO queue; a request takes the first fault
 * whose `endpoint` it hits (`'conversation'` = `POST /backend-api/conversation`,
 * `'session'` = `GET /api/auth/session`, `'completions'` = `POST /v1/chat/completions`). A fault
 * without `endpoint` is the web conversation endpoint's: it never fires on `/v1`.
 *
 * In 2026 mode (`protocol: '2026'`) `'conversation'` faults also fire on
 * `POST /backend-api/f/conversation`, and on both sends only once the sentinel headers passed
 * (the requirements token is then used up), e.g. a 429 `{detail: {code: 'model_cap_exceeded',
 * clears_in}}`. `'sentinel'` faults replace the answer of the next sentinel request (prepare,
 * finalize or the single-step form), before its access token is checked, e.g. a 401 `{detail:
 * 'Could not parse your authentication token…'}` on prepare; `'conduit'` faults that of
 * `/f/conversation/prepare`. Those two take answer faults only (`status`, `cloudflare`, `html`,
 * `json`).
 *
 * Answer faults (`status`, `cloudflare`, `html`, `json`) replace the answer right after the
 * clearance check. Stream faults (`stall`, `reset`, `cut`, `stream-error`, `detail-event`) are
 * taken only by a request that gets as far as streaming, so a request refused with 401 or 429
 * leaves them queued. `afterEvents` counts the events that add reply text: the preamble (v1's
 * `delta_encoding`, the hidden system message, the user echo, the opening `add`) is always
 * sent before, and after `N` such events the client holds exactly the first `N` chunks of the
 * reply, whatever the shape.
 *
 * On the session endpoint the stream faults mean: `stall` never answers, `reset` destroys the
 * socket, `cut` sends half a JSON body, `stream-error` answers the session with an `error`
 * field other than the expired session's `RefreshAccessTokenError`, `detail-event` answers `{detail}`.
 *
 * On the Chat Completions API (`endpoint: 'completions'`) answer faults come before the API key
 * check; a `status` fault without `body` answers the API's error JSON for that status (429:
 * `{error: {type: 'requests', code: 'rate_limit_exceeded', …}}`, 500 and 503: `type:
 * 'server_error'`), and `json` answers 200 `{error: {type: 'server_error', …}}`. Stream faults
 * are taken by a request that passed every check. In a stream (`stream: true`) `afterEvents` counts
 * the content chunks after the first (role) chunk; `stream-error` sends `data: {"error": {message,
 * type: 'server_error', param: null, code: null}}` (a string `error` is its message, an object is
 * sent as the `error` as it is), which the official SDK throws as an `APIError`; `cut` with
 * `finished` sends the chunk with `finish_reason` (not the usage chunk) and ends without
 * `[DONE]`; `detail-event` sends `data: {"detail": …}`, a web-backend shape the API never sends.
 * Without `stream`: `stall` never answers, `reset` destroys the socket, `cut` sends half
 * the JSON body, `stream-error` answers 200 `{error}`, `detail-event` answers 200 `{detail}`.
 */
export type Fault = {
  endpoint?: 'session' | 'conversation' | 'completions' | 'sentinel' | 'conduit'
  /**
   * Only a request by this account (its `user.id`, see {@link TestBackend.addAccount}) takes the
   * fault; requests by other accounts pass it by. E.g. a 429 for one account of a pool. Not for
   * `endpoint: 'completions'`, whose requests carry an API key, not an account.
   * @defaultValue any account
   */
  userId?: string
} & (
  | {
      /** Answer with this status. */
      type: 'status'
      status: number
      /** JSON body, or a string sent as-is. @defaultValue `{detail: <status text>}` */
      body?: unknown
      /** Extra response headers, e.g. `{'retry-after': '2'}`. */
      headers?: Record<string, string>
    }
  | {
      /** The 403 Cloudflare challenge page, even with a good clearance. */
      type: 'cloudflare'
    }
  | {
      /** A 200 `text/html` page where JSON or a stream was expected. */
      type: 'html'
    }
  | {
      /** A 200 `application/json` answer instead of a stream. */
      type: 'json'
      /** @defaultValue conversation: `{detail: "Something went wrong…"}`; session: `{}` */
      body?: unknown
    }
  | {
      /** Send the headers and `afterEvents` events, then nothing until the client or `close()` ends it. */
      type: 'stall'
      /** @defaultValue `0` */
      afterEvents?: number
    }
  | {
      /** Destroy the socket after `afterEvents` events. */
      type: 'reset'
      /** @defaultValue `0` */
      afterEvents?: number
    }
  | {
      /** End the response cleanly, without `[DONE]`. */
      type: 'cut'
      /**
       * @defaultValue `0`; with `finished: true`, the whole reply.
       */
      afterEvents?: number
      /**
       * First send the final event marking the message finished (`end_turn`,
       * `finished_successfully`, `finish_details`), then end without `[DONE]`.
       * @defaultValue `false`
       */
      finished?: boolean
    }
  | {
      /** After `afterEvents` events, an event with a non-null `error`, then the end. */
      type: 'stream-error'
      /** @defaultValue `0` */
      afterEvents?: number
      /** @defaultValue a generic "Something went wrong" string */
      error?: string | object
    }
  | {
      /** After `afterEvents` events, a `{detail}` event inside the 200 stream, then the end. */
      type: 'detail-event'
      /** @defaultValue `0` */
      afterEvents?: number
      /** @defaultValue a generic "Something went wrong" string */
      detail?: string
    }
)

/** What one account was asked of `POST /backend-api/conversation`; see {@link TestBackend.replyStats}. */
export interface TestReplyStats {
  /** Replies streaming now (0 or 1: the backend refuses a second). */
  inFlight: number
  /**
   * The most replies asked of the account at the same moment: a request refused because one was
   * already streaming counts, so anything above 1 means a client sent two at once.
   */
  maxInFlight: number
  /** Requests refused with 429 "Only one message at a time". */
  refused: number
}

/** A running local ChatGPT web backend. Create one with {@link createTestBackend}. */
export interface TestBackend {
  /** `http://HOST:PORT`. */
  readonly url: string
  /** `url + '/api'`, for the client's `apiBaseUrl`. */
  readonly apiBaseUrl: string
  /** `url + '/backend-api'`, for the client's `backendApiBaseUrl`. */
  readonly backendApiBaseUrl: string
  /**
   * `url + '/v1'`: the Chat Completions API's base URL, for the official SDK's `baseURL` (or any
   * client of the API). Serves `POST /chat/completions`, `GET /models` and `GET /models/{id}`.
   */
  readonly v1BaseUrl: string
  /**
   * An API key the `/v1` endpoints accept (`Authorization: Bearer <key>`), random per backend and
   * shaped like OpenAI's (`sk-test-…`). A missing key gets 401 `code: null`, another key 401
   * `code: 'invalid_api_key'`. The web endpoints do not take it, nor `/v1` their tokens.
   */
  readonly apiKey: string
  /** A valid session token of the default account, random per backend. */
  readonly sessionToken: string
  /** The currently valid `cf_clearance` cookie value, random per backend. */
  readonly clearanceToken: string
  /** The User-Agent the clearance is bound to. */
  readonly userAgent: string
  /** Event shape of conversation streams; settable at any time. */
  shape: StreamShape
  /**
   * When `true`, every successful `/api/auth/session` answer sets a new
   * `__Secure-next-auth.session-token` cookie; the old token stays valid.
   * @defaultValue `false`
   */
  rotateSessionTokens: boolean
  /** How many conversation replies are streaming right now (stalled ones included). */
  readonly inFlight: number
  /**
   * The requests received since start or {@link TestBackend.reset}, oldest first: the most recent
   * `maxRecordedRequests` of them (default 1000), each with at most `maxRecordedBodyBytes` of its
   * body. A plain array: filter and count it as you like.
   */
  readonly requests: RecordedRequest[]
  /** The conversation trees. */
  readonly conversations: TestConversations
  /**
   * Per account (by `user.id`), what it was asked of the conversation endpoint since start or
   * {@link TestBackend.reset}: replies in flight, the most at once, "one message at a time"
   * refusals. Accounts never asked for a reply are absent. A copy: it does not change later.
   *
   * @example
   * ```ts
   * const stats = Object.values(backend.replyStats())
   * const collided = stats.some((s) => s.maxInFlight > 1 || s.refused > 0)
   * ```
   */
  replyStats(): Record<string, TestReplyStats>
  /** Creates another account with its own session token. */
  addAccount(opts?: { name?: string; email?: string }): TestAccount
  /**
   * Marks a session as expired: `/api/auth/session` then answers
   * `{user, expires, accessToken, error: 'RefreshAccessTokenError'}`. The `accessToken` is
   * already expired (401 `token_expired`); it is there because the real server sent the stale
   * one, and so that a client checking `accessToken` before `error` still reports the expiry.
   */
  expireSession(sessionToken: string): void
  /** Revokes a session: `/api/auth/session` then answers `{}`. */
  revokeSession(sessionToken: string): void
  /**
   * An access token for an account, as `/api/auth/session` would hand out, without a session
   * request: for clients made with `ChatGPTAPI.fromAccessToken`. It is a JWT whose `exp` claim
   * says when it expires.
   *
   * @param opts.sessionToken - A session token of the account (valid or expired, not revoked);
   *   the default account's when left out.
   * @param opts.expiresInSeconds - Its lifetime, `accessTokenTTLSeconds` when left out; below 0,
   *   it expired that long ago.
   * @throws TypeError for an unknown session token or a lifetime that is not a finite number.
   */
  issueAccessToken(opts?: { sessionToken?: string; expiresInSeconds?: number }): string
  /** Every access token issued so far now gets 401 `token_expired`. */
  expireAccessTokens(): void
  /** Makes the current clearance stale (it now gets the challenge) and returns the new valid one. */
  rotateClearance(): string
  /** Creates another API key the `/v1` endpoints accept, and returns it. */
  addApiKey(): string
  /** Stops accepting an API key (also {@link TestBackend.apiKey}): it then gets 401 `invalid_api_key`. */
  revokeApiKey(key: string): void
  /** Queues a one-shot fault; see {@link Fault}. */
  fault(f: Fault): void
  /**
   * Clears queued faults, recorded requests, conversations and reply counts. Accounts, tokens, API
   * keys and settings stay. In 2026 mode it also forgets the sentinel turns, conduit tokens and
   * device ids: requirements and conduit tokens issued before are then refused.
   */
  reset(): void
  /** Stops listening and destroys open connections, stalled streams included. */
  close(): Promise<void>

  /** The send sequence enforced; see {@link TestBackendOptions.protocol}. */
  readonly protocol: BackendProtocol
  /**
   * The build the 2026 bootstrap page names (`<html data-build>`): `prod-` and 40 hex digits,
   * random per backend. Clients send it as `OAI-Client-Version` and put it in the proof config.
   */
  readonly build: string
  /**
   * In 2026 mode, the distinct `oai-device-id` header values of requests to `/backend-api`, in
   * the order first seen, since start or {@link TestBackend.reset}. A copy.
   */
  readonly deviceIds: readonly string[]
  /**
   * In 2026 mode, the device ids the bootstrap page handed out as new `oai-did` cookies, oldest
   * first, since start or {@link TestBackend.reset}. A copy.
   */
  readonly bootstrapDeviceIds: readonly string[]
  /**
   * In 2026 mode, every set of sentinel requirements handed out (one per turn, by prepare or by
   * the single-step form), oldest first, since start or {@link TestBackend.reset}: who asked, for
   * which device, with which challenge, whether it was finalized, and which send used it. Copies.
   *
   * @example
   * ```ts
   * const turns = backend.sentinelTurns()
   * const allSent = turns.every((turn) => turn.usedBy === '/backend-api/f/conversation')
   * ```
   */
  sentinelTurns(): TestSentinelTurn[]
  /**
   * In 2026 mode, every conduit token `/f/conversation/prepare` handed out, oldest first, since
   * start or {@link TestBackend.reset}, with how many sends used it. Copies.
   */
  conduitTokens(): TestConduitToken[]
}
