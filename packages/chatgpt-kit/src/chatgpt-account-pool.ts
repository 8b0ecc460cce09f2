import type { AccountPoolStatus, AccountState, AccountStateChange, AccountStatus } from './account-status.js'
import type { ChatGPTAPI } from './chatgpt-api.js'
import { type ChatGPTAccountPoolOptions, type PoolCallOptions, resolvePoolOptions } from './chatgpt-account-pool-options.js'
import { ChatGPTConversation } from './chatgpt-conversation.js'
import { ChatGPTMessageStream } from './chatgpt-message-stream.js'
import type { ConversationHistory } from './conversation-history.js'
import type { AccountLease, PoolCoordinator } from './coordinator.js'
import { ChatGPTError } from './errors.js'
import { InProcessCoordinator } from './in-process-coordinator.js'
import { type ConversationStore, MemoryStore } from './store.js'
import type {
  CallOptions,
  ChatGPTReply,
  MessageFeedback,
  MessageFeedbackResult,
  Model,
  ReplyActionOptions,
  SendMessageOptions
} from './types.js'
import { accountState } from './internal/account-state.js'
import { backoffBeforeRetry } from './internal/backoff.js'
import { withCallScope } from './internal/call-scope.js'
import { CallSignal } from './internal/call-signal.js'
import { type UpdateObserver, clientHooks, registerClientHooks } from './internal/client-hooks.js'
import { cooldownMs, nextStrikes } from './internal/cooldown.js'
import { linkedSignal } from './internal/linked-signal.js'
import { pickAccounts } from './internal/pick-accounts.js'
import { closedError, deadAccountsError, noAccountError, queueTimeoutError } from './internal/pool-errors.js'
import { judgeFailure } from './internal/pool-failure.js'
import { raceAbort } from './internal/race-abort.js'
import {
  assertCount,
  assertDuration,
  assertMessage,
  assertRequiredUuid,
  assertUuid,
  validModel
} from './internal/validate.js'

/** An account as the pool runs it: its client, and what this process knows of it. */
type PoolAccount = {
  readonly id: string
  readonly client: ChatGPTAPI
  /** The models it offers, once known. */
  models: Set<string> | undefined
  /** The sequence number of the call it last took (0: never), for least-recently-used order. */
  lastUse: number
  lastUsedAt: number | undefined
  busy: boolean
  refreshing: boolean
  replies: number
  /** What the last event said, to tell a change from a repeat. */
  shown: { state: AccountState; signature: string }
  stopObservingAuth: () => void
}

/** A sent message's outcome on one account. */
type Attempt =
  | { ok: true; reply: ChatGPTReply; account: PoolAccount }
  | { ok: false; error: unknown; next: 'move' | 'backoff' }

/** Sends the message of a call on the account's client, with the options the pool set. */
type Send = (client: ChatGPTAPI, opts: SendMessageOptions) => Promise<ChatGPTReply>

/** A pool call's options. */
type PoolSendOptions = SendMessageOptions & PoolCallOptions

/**
 * Many ChatGPT accounts behind the calls of one {@link ChatGPTAPI}: each message goes to the least
 * recently used healthy account that has its model, one reply at a time per account, and a
 * conversation stays on the account that started it.
 *
 * - **Picking:** a new conversation goes to the least recently used account that is not dead,
 *   not cooling down for the model, and offers it (see the account's `models`).
 * - **Affinity:** a follow-up (`conversationId`) goes to the conversation's account, found in the
 *   `store`, and waits its turn there even when other accounts are idle. A conversation the store
 *   does not know fails with `conversation_not_found`: it cannot move to another account.
 * - **One reply in flight per account:** calls wait for a free account in the order they came,
 *   each within its own `timeoutMs` and `abortSignal`. With a shared `coordinator` (Redis, from
 *   the server-side package) the rule holds across processes.
 * - **429:** the (account, model) pair cools down for the server's `Retry-After` (or `clears_in`),
 *   or a back-off that grows with every 429 in a row; the message goes to another account at
 *   once (a 429 means it was not sent). When every account is cooling, the call fails at once
 *   with `rate_limited` and the soonest `retryAfterMs`; it never spins.
 * - **Dead sessions:** an account whose sign-in fails with `session_expired` or `unauthorized`
 *   is marked dead with that reason, and the message goes to another account.
 * - **Observable:** {@link ChatGPTAccountPool.status} and {@link ChatGPTAccountPool.onStateChange}.
 *
 * Not offered, because they belong to one account rather than to the pool: listing, iterating and
 * clearing conversations, moderation, and the sign-in calls (`ensureAuth`, `refreshAccessToken`,
 * `getIsAuthenticated`, `user`). Use a {@link ChatGPTAPI} of that account for them.
 *
 * @example
 * ```ts
 * import { ChatGPTAccountPool } from 'chatgpt'
 *
 * const pool = new ChatGPTAccountPool({
 *   accounts: [
 *     { id: 'alice', sessionToken: process.env.ALICE_SESSION_TOKEN! },
 *     { id: 'bob', sessionToken: process.env.BOB_SESSION_TOKEN! }
 *   ],
 *   onStateChange: ({ accountId, state }) => console.log(accountId, state)
 * })
 * const first = await pool.sendMessageDetailed('Name a colour')
 * // Goes to the same account as `first`, whatever the others are doing:
 * const second = await pool.sendMessage('Another one', {
 *   conversationId: first.conversationId,
 *   parentMessageId: first.messageId
 * })
 * await pool.close()
 * ```
 */
export class ChatGPTAccountPool {
  readonly #accounts: PoolAccount[]
  readonly #byId: Map<string, PoolAccount>
  readonly #model: string
  readonly #markdown: boolean
  readonly #maxRetries: number
  readonly #maxQueueSize: number
  readonly #queueTimeoutMs: number | undefined
  readonly #store: ConversationStore
  readonly #ownsStore: boolean
  readonly #coordinator: PoolCoordinator
  readonly #ownsCoordinator: boolean
  readonly #debug: ((line: string) => void) | undefined
  readonly #listeners = new Set<(change: AccountStateChange) => void>()
  readonly #closing = new AbortController()
  readonly #running = new Set<Promise<unknown>>()
  readonly #unsubscribe: () => void
  #closed: Promise<void> | undefined
  #waiting = 0
  #uses = 0

  /**
   * Creates a pool over the given accounts. Nothing is sent until the first call.
   *
   * @param opts - See {@link ChatGPTAccountPoolOptions}.
   * @throws ChatGPTError `invalid_argument` for unusable options: no accounts, an id that is
   *   missing, malformed or used twice, two ids for one session token or client, `model` or
   *   `markdown` set on an account, an account's own bad option (its message names the account).
   */
  constructor(opts: ChatGPTAccountPoolOptions) {
    const options = resolvePoolOptions(opts)
    this.#model = options.model
    this.#markdown = options.markdown
    this.#maxRetries = options.maxRetries
    this.#maxQueueSize = options.maxQueueSize
    this.#queueTimeoutMs = options.queueTimeoutMs
    this.#debug = options.debug
    this.#ownsStore = options.store === undefined
    this.#store = options.store ?? new MemoryStore()
    this.#ownsCoordinator = options.coordinator === undefined
    this.#coordinator = options.coordinator ?? new InProcessCoordinator()
    if (options.onStateChange) this.#listeners.add(options.onStateChange)
    this.#accounts = options.accounts.map((built) => {
      const account: PoolAccount = {
        ...built,
        lastUse: 0,
        lastUsedAt: undefined,
        busy: false,
        refreshing: false,
        replies: 0,
        shown: { state: 'active', signature: '' },
        stopObservingAuth: () => {}
      }
      account.shown = this.#shownOf(this.#statusOf(account, Date.now()))
      account.stopObservingAuth =
        clientHooks(built.client).observeAuth?.((event) => {
          account.refreshing = event.refreshing
          if (!event.refreshing && event.error !== undefined && judgeFailure(event.error, false).mark === 'dead') {
            this.#markDead(account, event.error).catch((error) => this.#log(`${account.id}: could not share the dead mark: ${messageOf(error)}`))
          }
          this.#publish()
        }) ?? (() => {})
      return account
    })
    this.#byId = new Map(this.#accounts.map((account) => [account.id, account]))
    this.#unsubscribe = this.#coordinator.subscribe(() => this.#publish())
    registerClientHooks(this, {
      sendWithUpdates: (message, sendOpts, onUpdate) => this.#sendNext(message, sendOpts, onUpdate),
      plainText: !this.#markdown
    })
  }

  /**
   * Sends a message on an account of the pool and resolves to the reply's text; see
   * {@link ChatGPTAPI.sendMessage}. With `conversationId`, it goes to that conversation's account.
   *
   * @param message - The prompt message to send
   * @param opts - See {@link SendMessageOptions}; `timeoutMs` and `abortSignal` cover the wait for
   *   an account too.
   * @returns The response from ChatGPT
   * @throws ChatGPTError (see {@link ChatGPTAccountPool.sendMessageDetailed}), or the abort
   *   signal's reason when aborted.
   */
  async sendMessage(message: string, opts: SendMessageOptions & PoolCallOptions = {}): Promise<string> {
    return (await this.sendMessageDetailed(message, opts)).text
  }

  /**
   * Like {@link ChatGPTAccountPool.sendMessage}, but resolves to the reply with its ids; pass them
   * to the next message to continue the conversation (on the same account).
   *
   * @throws ChatGPTError:
   *   - `rate_limited` when every account that could take the message is cooling down, with
   *     `retryAfterMs` the soonest one comes back (the conversation's account, for a follow-up);
   *   - `session_expired` / `unauthorized` when every account that could take it is dead;
   *   - `conversation_not_found` for a `conversationId` the store does not know (or whose account
   *     is not in the pool);
   *   - `invalid_argument` for bad options, or a model no account offers;
   *   - `queue_full` when too many calls wait for an account;
   *   - `store_unavailable` when the store or the coordinator cannot be reached, or the store
   *     could not record the new conversation (the reply had arrived: `partialText` holds it);
   *   - `aborted` when the pool was closed while the call waited;
   *   - anything {@link ChatGPTAPI.sendMessageDetailed} rejects with.
   *
   * @example
   * ```ts
   * const first = await pool.sendMessageDetailed('Name a colour')
   * const second = await pool.sendMessageDetailed('Another one', {
   *   conversationId: first.conversationId,
   *   parentMessageId: first.messageId
   * })
   * ```
   */
  async sendMessageDetailed(message: string, opts: SendMessageOptions & PoolCallOptions = {}): Promise<ChatGPTReply> {
    return this.#sendNext(message, opts)
  }

  /**
   * Sends a message on an account of the pool and streams the reply; see
   * {@link ChatGPTAPI.streamMessage}. A message refused before any of it arrived (429, a dead
   * session) moves to another account unseen by the stream.
   *
   * @param message - The prompt message to send
   * @param opts - See {@link SendMessageOptions}.
   * @returns The stream: iterate it for updates, or await its `result`.
   *
   * @example
   * ```ts
   * for await (const { delta } of pool.streamMessage('Tell me a story')) process.stdout.write(delta)
   * ```
   */
  streamMessage(message: string, opts: SendMessageOptions & PoolCallOptions = {}): ChatGPTMessageStream {
    return new ChatGPTMessageStream(
      (abortSignal, onUpdate) => this.#sendNext(message, { ...opts, abortSignal }, onUpdate),
      { abortSignal: opts.abortSignal, plainText: !this.#markdown }
    )
  }

  /**
   * Regenerates a reply on its conversation's account; see {@link ChatGPTAPI.regenerateReply}.
   *
   * @throws as {@link ChatGPTAccountPool.sendMessageDetailed}, and ChatGPTError `invalid_argument`
   *   when `messageId` is not an assistant reply of the conversation.
   */
  async regenerateReply(opts: ReplyActionOptions): Promise<ChatGPTReply> {
    const { conversationId, messageId } = opts ?? {}
    assertRequiredUuid('conversationId', conversationId)
    assertRequiredUuid('messageId', messageId)
    return this.#reply(opts, conversationId, (client, sendOpts) =>
      client.regenerateReply({ ...sendOpts, conversationId, messageId })
    )
  }

  /**
   * Continues a reply that stopped at the model's token limit, on its conversation's account; see
   * {@link ChatGPTAPI.continueReply}.
   *
   * @throws as {@link ChatGPTAccountPool.sendMessageDetailed}.
   */
  async continueReply(opts: ReplyActionOptions): Promise<ChatGPTReply> {
    const { conversationId, messageId } = opts ?? {}
    assertRequiredUuid('conversationId', conversationId)
    assertRequiredUuid('messageId', messageId)
    return this.#reply(opts, conversationId, (client, sendOpts) =>
      client.continueReply({ ...sendOpts, conversationId, messageId })
    )
  }

  /**
   * A conversation object on the pool: its first message picks an account, and every later one
   * goes to that account. See {@link ChatGPTConversation}.
   *
   * @param opts.conversationId - A conversation started through this pool's store, to continue.
   * @param opts.parentMessageId - The message to continue from.
   *
   * @example
   * ```ts
   * const chat = pool.getConversation()
   * await chat.sendMessage('Suggest a name for a cat')
   * await chat.sendMessage('And one for a dog') // same account
   * ```
   */
  getConversation(
    opts: { conversationId?: string; parentMessageId?: string } = {}
  ): ChatGPTConversation<ChatGPTAccountPool> {
    return new ChatGPTConversation(this, opts)
  }

  /**
   * A conversation's history, from its account; see {@link ChatGPTAPI.getConversationHistory}.
   *
   * @throws ChatGPTError `conversation_not_found` for a conversation the store does not know, or
   *   as the account's call fails.
   */
  async getConversationHistory(conversationId: string, opts: CallOptions = {}): Promise<ConversationHistory> {
    return this.#onAccountOf(conversationId, opts, (client, callOpts) =>
      client.getConversationHistory(conversationId, callOpts)
    )
  }

  /**
   * Renames a conversation on its account; see {@link ChatGPTAPI.renameConversation}.
   * @throws as {@link ChatGPTAccountPool.getConversationHistory}.
   */
  async renameConversation(conversationId: string, title: string, opts: CallOptions = {}): Promise<void> {
    return this.#onAccountOf(conversationId, opts, (client, callOpts) =>
      client.renameConversation(conversationId, title, callOpts)
    )
  }

  /**
   * Deletes a conversation on its account and forgets its binding; see
   * {@link ChatGPTAPI.deleteConversation}.
   * @throws as {@link ChatGPTAccountPool.getConversationHistory}; `store_unavailable` when the
   *   binding could not be forgotten (the conversation is deleted).
   */
  async deleteConversation(conversationId: string, opts: CallOptions = {}): Promise<void> {
    return this.#onAccountOf(conversationId, opts, async (client, callOpts) => {
      await client.deleteConversation(conversationId, callOpts)
      await this.#fromStore(() => this.#store.deleteBinding(conversationId), callOpts.abortSignal!)
    })
  }

  /**
   * Has ChatGPT title a conversation, on its account; see {@link ChatGPTAPI.generateTitle}.
   * @throws as {@link ChatGPTAccountPool.getConversationHistory}.
   */
  async generateTitle(
    conversationId: string,
    messageId: string,
    opts: CallOptions & { model?: string } = {}
  ): Promise<string> {
    const model = opts?.model === undefined ? this.#model : validModel('model', opts.model)
    return this.#onAccountOf(conversationId, opts, (client, callOpts) =>
      client.generateTitle(conversationId, messageId, { ...callOpts, model })
    )
  }

  /**
   * Rates a reply, on its conversation's account; see {@link ChatGPTAPI.sendMessageFeedback}.
   * @throws as {@link ChatGPTAccountPool.getConversationHistory}.
   */
  async sendMessageFeedback(feedback: MessageFeedback, opts: CallOptions = {}): Promise<MessageFeedbackResult> {
    return this.#onAccountOf(feedback?.conversationId, opts, (client, callOpts) =>
      client.sendMessageFeedback(feedback, callOpts)
    )
  }

  /**
   * The models of every account that is not dead, each slug once (in the order the accounts
   * list them). The pool also learns from the answers which account offers which model, and
   * from then on sends a call for a model only to accounts that offer it.
   *
   * @param opts - `timeoutMs`, `abortSignal`, for each account's request.
   * @returns The models of the accounts that answered.
   * @throws The first account's error when none answered; ChatGPTError `session_expired` or
   *   `unauthorized` when every account is dead.
   *
   * @example
   * ```ts
   * const slugs = (await pool.getModels()).map((m) => m.slug)
   * pool.status().accounts.map((a) => [a.id, a.models])
   * ```
   */
  async getModels(opts: CallOptions = {}): Promise<Model[]> {
    this.#assertOpen()
    const live = this.#accounts.filter((account) => !this.#coordinator.deadMarkOf(account.id))
    if (live.length === 0) throw deadAccountsError(this.#accounts.map((a) => this.#coordinator.deadMarkOf(a.id)!), undefined)
    const answers = await Promise.allSettled(live.map((account) => account.client.getModels(opts)))
    const union = new Map<string, Model>()
    for (const [index, answer] of answers.entries()) {
      if (answer.status !== 'fulfilled') continue
      live[index]!.models = new Set(answer.value.map((model) => model.slug))
      for (const model of answer.value) if (!union.has(model.slug)) union.set(model.slug, model)
    }
    const failed = answers.find((answer) => answer.status === 'rejected')
    if (union.size === 0 && failed) throw failed.reason
    return [...union.values()]
  }

  /**
   * Every account's state, cool-downs and dead mark, and how many calls wait. A copy, without
   * secrets (safe to log or serve on a status page).
   *
   * @example
   * ```ts
   * for (const { id, state, cooldowns } of pool.status().accounts) console.log(id, state, cooldowns)
   * ```
   */
  status(): AccountPoolStatus {
    const now = Date.now()
    return { accounts: this.#accounts.map((account) => this.#statusOf(account, now)), waiting: this.#waiting }
  }

  /**
   * Calls `listener` with every change of an account's state (`active`, `cooling`, `refreshing`,
   * `dead`), cool-downs or dead mark (see {@link AccountStateChange}), including a cool-down that
   * runs out and changes made by other processes through a shared coordinator. A listener that
   * throws is reported to `debug` and does not stop the others.
   *
   * @returns A function that stops the calls.
   *
   * @example
   * ```ts
   * const stop = pool.onStateChange(({ accountId, previous, state, status }) => {
   *   if (state === 'dead') console.warn(`${accountId} needs a new session token: ${status.dead?.message}`)
   * })
   * ```
   */
  onStateChange(listener: (change: AccountStateChange) => void): () => void {
    if (typeof listener !== 'function') throw new ChatGPTError('listener must be a function', { code: 'invalid_argument' })
    const wrapped = (change: AccountStateChange) => listener(change)
    this.#listeners.add(wrapped)
    return () => {
      this.#listeners.delete(wrapped)
    }
  }

  /**
   * Forgets an account's dead mark (in every process that shares the coordinator), so that calls
   * go to it again; if its session still fails, it is marked dead again.
   *
   * @param accountId - The account's id.
   * @throws ChatGPTError `invalid_argument` for an id not in the pool; `store_unavailable` when
   *   the coordinator cannot be reached.
   */
  async revive(accountId: string): Promise<void> {
    this.#assertOpen()
    if (typeof accountId !== 'string' || !this.#byId.has(accountId)) {
      throw new ChatGPTError('revive needs the id of an account of this pool', { code: 'invalid_argument' })
    }
    await this.#shared(this.#coordinator.revive(accountId))
  }

  /**
   * Stops the pool: calls waiting for an account fail with ChatGPTError `aborted`, later calls
   * too; replies already running finish first. Then closes the store and coordinator the pool
   * made itself (not the ones you passed in). Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort(closedError())
      await Promise.allSettled([...this.#running])
      this.#unsubscribe()
      for (const account of this.#accounts) account.stopObservingAuth()
      if (this.#ownsCoordinator) await this.#coordinator.close()
      if (this.#ownsStore) await this.#store.close()
    })()
    return this.#closed
  }

  /** A plain message: validated at once, then sent as a pool call. */
  #sendNext(message: string, opts: PoolSendOptions, onUpdate?: UpdateObserver): Promise<ChatGPTReply> {
    assertMessage(message)
    assertUuid('conversationId', opts.conversationId)
    assertUuid('parentMessageId', opts.parentMessageId)
    assertUuid('messageId', opts.messageId)
    return this.#reply(opts, opts.conversationId, (client, sendOpts) =>
      onUpdate
        ? clientHooks(client).sendWithUpdates(message, sendOpts, onUpdate)
        : client.sendMessageDetailed(message, sendOpts)
    )
  }

  /**
   * The one path of every reply: the call's bounds resolved once; the conversation's account
   * looked up (a follow-up); attempts on accounts until one answers or the call must fail; the
   * conversation's binding recorded.
   */
  async #reply(opts: PoolSendOptions, conversationId: string | undefined, send: Send): Promise<ChatGPTReply> {
    this.#assertOpen()
    assertDuration('timeoutMs', opts.timeoutMs)
    assertDuration('queueTimeoutMs', opts.queueTimeoutMs)
    assertCount('maxRetries', opts.maxRetries)
    assertCount('autoContinue', opts.autoContinue)
    const model = opts.model === undefined ? this.#model : validModel('model', opts.model)
    const call = new CallSignal(opts.timeoutMs, opts.abortSignal)
    const done = this.#track()
    try {
      call.throwIfAborted()
      const bound = conversationId === undefined ? undefined : await this.#accountOf(conversationId, call.signal)
      const maxRetries = opts.maxRetries ?? this.#maxRetries
      const refused = new Set<string>()
      for (let retries = 0; ; ) {
        const attempt = await this.#attempt(opts, model, bound?.id, refused, call, send)
        if (attempt.ok) {
          await this.#bind(attempt.reply, attempt.account, call.signal)
          return attempt.reply
        }
        if (attempt.next === 'move') continue
        const backoff = { what: 'the message', maxRetries, idempotent: false, log: (line: string) => this.#log(line), call }
        if (!(await backoffBeforeRetry(backoff, attempt.error, retries))) throw attempt.error
        retries++
      }
    } catch (error) {
      // Once aborted, the caller's own reason (or our timeout, with the text that had arrived).
      throw call.aborted ? call.reason : error
    } finally {
      call.dispose()
      done()
    }
  }

  /**
   * One try: a lease on an account that may take the call, the message sent there, and what a
   * failure means for the account (a cool-down, a dead mark) and for the call.
   */
  async #attempt(
    opts: PoolSendOptions,
    model: string,
    bound: string | undefined,
    refused: Set<string>,
    call: CallSignal,
    send: Send
  ): Promise<Attempt> {
    const waitStart = performance.now()
    const lease = await this.#lease(model, bound, refused, call, opts.queueTimeoutMs ?? this.#queueTimeoutMs)
    const account = this.#byId.get(lease.accountId)!
    try {
      opts.onLease?.({ accountId: account.id, waitedMs: performance.now() - waitStart })
    } catch {
      // A listener's failure is its own; the lease is held and must be used or released below.
    }
    account.busy = true
    account.lastUse = ++this.#uses
    account.lastUsedAt = Date.now()
    // The reply stops when the call does, and when the lease is lost: another process may get
    // the account then, and the backend must never see two replies on it.
    const signal = linkedSignal([call.signal, lease.signal])
    let started = false
    const { queueTimeoutMs: _, onLease: __, ...clientOpts } = opts
    const sendOpts: SendMessageOptions = {
      ...clientOpts,
      model,
      abortSignal: signal.signal,
      // The call's own timeout is running already (it covers the wait for an account).
      timeoutMs: undefined,
      // The pool retries, on another account when it can; the client must not sleep on this one.
      maxRetries: 0,
      onConversationResponse: (event) => {
        started = true
        opts.onConversationResponse?.(event)
      }
    }
    const backoff = {
      what: account.id,
      maxRetries: opts.maxRetries ?? this.#maxRetries,
      idempotent: false,
      log: (line: string) => this.#log(line),
      call
    }
    try {
      for (let collisions = 0; ; collisions++) {
        try {
          const reply = await send(account.client, sendOpts)
          account.replies++
          this.#clearCooldown(account, model)
          return { ok: true, reply, account }
        } catch (error) {
          if (call.aborted) throw call.reason
          const verdict = judgeFailure(error, started)
          if (verdict.next === 'again' && (await backoffBeforeRetry(backoff, error, collisions))) continue
          if (verdict.mark === 'cool') await this.#coolDown(account, model, error as ChatGPTError)
          if (verdict.mark === 'dead') await this.#markDead(account, error as ChatGPTError)
          if (verdict.next === 'move') {
            refused.add(account.id)
            this.#log(`${account.id}: ${(error as ChatGPTError).code}; the message goes to another account`)
            return { ok: false, error, next: 'move' }
          }
          if (verdict.next === 'backoff') return { ok: false, error, next: 'backoff' }
          throw error
        }
      }
    } finally {
      signal.dispose()
      account.busy = false
      // Not waited for: a lease that cannot be released expires by itself (see AccountLease).
      Promise.resolve()
        .then(() => lease.release())
        .catch((error) => this.#log(`${account.id}: lease release failed: ${messageOf(error)}`))
    }
  }

  /** A lease on the best account that may take the call, waiting in order while none is free. */
  async #lease(
    model: string,
    bound: string | undefined,
    refused: Set<string>,
    call: CallSignal,
    queueTimeoutMs: number | undefined
  ): Promise<AccountLease> {
    this.#assertOpen()
    if (this.#waiting >= this.#maxQueueSize) {
      throw new ChatGPTError(
        `Too many messages are waiting for an account (${this.#maxQueueSize}); try again when some have finished`,
        { code: 'queue_full' }
      )
    }
    this.#waiting++
    const waited = new AbortController()
    const timer =
      queueTimeoutMs === undefined ? undefined : setTimeout(() => waited.abort(queueTimeoutError(queueTimeoutMs)), queueTimeoutMs)
    const signal = linkedSignal([call.signal, this.#closing.signal, waited.signal])
    try {
      return await this.#shared(
        this.#coordinator.acquire({ candidates: () => this.#candidates(model, bound, refused), signal: signal.signal }),
        signal.signal
      )
    } finally {
      clearTimeout(timer)
      signal.dispose()
      this.#waiting--
    }
  }

  /** The accounts that may take a call now, best first; throws when none may. */
  #candidates(model: string, bound: string | undefined, refused: ReadonlySet<string>): readonly string[] {
    const pick = pickAccounts({
      accounts: this.#accounts,
      model,
      now: Date.now(),
      bound,
      refused,
      deadMarkOf: (id) => this.#coordinator.deadMarkOf(id),
      coolingUntil: (id) => this.#coordinator.cooldownOf(id, model)?.until
    })
    if (pick.ok) return pick.candidates
    throw noAccountError(pick, model, bound)
  }

  /** The account a conversation lives on, from the store. */
  async #accountOf(conversationId: string, signal: AbortSignal): Promise<PoolAccount> {
    const binding = await this.#fromStore(() => this.#store.getBinding(conversationId), signal)
    if (!binding) {
      throw new ChatGPTError(
        `This pool has no record of conversation ${conversationId}; only conversations started through its store can be continued`,
        { code: 'conversation_not_found' }
      )
    }
    const account = this.#byId.get(binding.accountId)
    if (!account) {
      throw new ChatGPTError(
        `Conversation ${conversationId} lives on the account '${binding.accountId}', which is not in this pool`,
        { code: 'conversation_not_found' }
      )
    }
    return account
  }

  /** Records which account a reply's conversation lives on, and where it continues from. */
  async #bind(reply: ChatGPTReply, account: PoolAccount, signal: AbortSignal): Promise<void> {
    if (!reply.conversationId) return
    const binding = {
      conversationId: reply.conversationId,
      accountId: account.id,
      ...(reply.messageId && { lastMessageId: reply.messageId }),
      updatedAt: Date.now()
    }
    try {
      await this.#fromStore(() => this.#store.putBinding(binding), signal)
    } catch (error) {
      if (error instanceof ChatGPTError && error.code === 'store_unavailable') {
        error.message = `The reply arrived but the store could not record its conversation: ${error.message}`
        error.partialText = reply.text
      }
      throw error
    }
  }

  /** A call on the account of a conversation that needs no lease (not a reply). */
  async #onAccountOf<T>(
    conversationId: string,
    opts: CallOptions,
    run: (client: ChatGPTAPI, callOpts: CallOptions) => Promise<T>
  ): Promise<T> {
    this.#assertOpen()
    assertRequiredUuid('conversationId', conversationId)
    const done = this.#track()
    try {
      return await withCallScope(opts?.timeoutMs, opts?.abortSignal, async (abortSignal) => {
        const account = await this.#accountOf(conversationId, abortSignal)
        return run(account.client, { abortSignal })
      })
    } finally {
      done()
    }
  }

  /** A store call: raced against the call's signal; a failure that is not ours is `store_unavailable`. */
  async #fromStore<T>(run: () => Promise<T>, signal: AbortSignal): Promise<T> {
    let pending: Promise<T>
    try {
      pending = Promise.resolve(run())
    } catch (error) {
      pending = Promise.reject(error)
    }
    return this.#shared(raceAbort(pending, signal), signal, 'conversation store')
  }

  /** A store's or coordinator's failure that is not a ChatGPTError, as `store_unavailable`. */
  async #shared<T>(pending: Promise<T>, signal?: AbortSignal, what = 'pool coordinator'): Promise<T> {
    try {
      return await pending
    } catch (error) {
      if (error instanceof ChatGPTError || signal?.aborted || this.#closing.signal.aborted) throw error
      throw new ChatGPTError(`The ${what} failed; try again when it is back`, {
        code: 'store_unavailable',
        originalError: error
      })
    }
  }

  async #coolDown(account: PoolAccount, model: string, error: ChatGPTError): Promise<void> {
    const now = Date.now()
    const strikes = nextStrikes(this.#coordinator.cooldownOf(account.id, model), now)
    const ms = cooldownMs(strikes, error.retryAfterMs)
    this.#log(`${account.id}: 429 for '${model}'; cooling down for ${Math.round(ms)} ms (429 number ${strikes} in a row)`)
    await this.#shared(this.#coordinator.setCooldown({ accountId: account.id, model, until: now + ms, strikes }))
  }

  /** A pair answered: its strikes start again. Not waited for: the reply is what matters. */
  #clearCooldown(account: PoolAccount, model: string): void {
    if (!this.#coordinator.cooldownOf(account.id, model)) return
    this.#coordinator
      .clearCooldown(account.id, model)
      .catch((error) => this.#log(`${account.id}: could not clear the cool-down of '${model}': ${messageOf(error)}`))
  }

  async #markDead(account: PoolAccount, error: unknown): Promise<void> {
    if (this.#coordinator.deadMarkOf(account.id)) return
    const { code, message } = error as ChatGPTError
    this.#log(`${account.id}: dead (${code}): ${message}`)
    await this.#shared(
      this.#coordinator.markDead({ accountId: account.id, code, message: message.slice(0, 300), at: Date.now() })
    )
  }

  #statusOf(account: PoolAccount, now: number): AccountStatus {
    const cooldowns = this.#coordinator
      .cooldownsOf(account.id)
      .filter((mark) => mark.until > now)
      .map(({ model, until, strikes }) => ({ model, until, strikes }))
    const mark = this.#coordinator.deadMarkOf(account.id)
    return {
      id: account.id,
      state: accountState({ dead: !!mark, refreshing: account.refreshing, cooling: cooldowns.length > 0 }),
      busy: account.busy,
      cooldowns,
      ...(mark && { dead: { code: mark.code, message: mark.message, at: mark.at } }),
      ...(account.models && { models: [...account.models] }),
      ...(account.lastUsedAt !== undefined && { lastUsedAt: account.lastUsedAt }),
      replies: account.replies
    }
  }

  #shownOf(status: AccountStatus): PoolAccount['shown'] {
    return { state: status.state, signature: JSON.stringify([status.state, status.cooldowns, status.dead]) }
  }

  /** Tells the listeners of every account whose state, cool-downs or dead mark changed. */
  #publish(): void {
    const now = Date.now()
    for (const account of this.#accounts) {
      const status = this.#statusOf(account, now)
      const shown = this.#shownOf(status)
      if (shown.signature === account.shown.signature) continue
      const previous = account.shown.state
      account.shown = shown
      for (const listener of [...this.#listeners]) {
        try {
          listener({ accountId: account.id, previous, state: status.state, status })
        } catch (error) {
          this.#log(`a state listener threw: ${messageOf(error)}`)
        }
      }
    }
  }

  /** Counts a call as running until `done()`, so that close() can wait for it. */
  #track(): () => void {
    let finish!: () => void
    const running = new Promise<void>((resolve) => (finish = resolve))
    this.#running.add(running)
    return () => {
      this.#running.delete(running)
      finish()
    }
  }

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw closedError()
  }

  #log(line: string): void {
    this.#debug?.(`pool: ${line}`)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
