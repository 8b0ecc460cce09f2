/**
 * The options of {@link ChatGPTAccountPool}: their types, defaults in one place, and the checks
 * that turn an unusable value into an `invalid_argument` error before anything is sent.
 */
import type { AccountStateChange } from './account-status.js'
import { ChatGPTAPI } from './chatgpt-api.js'
import { CHATGPT_API_DEFAULTS } from './chatgpt-api-options.js'
import type { PoolCoordinator } from './coordinator.js'
import { ChatGPTError } from './errors.js'
import type { ConversationStore } from './store.js'
import type { ChatGPTAPIOptions, SendMessageOptions } from './types.js'
import { clientHooks } from './internal/client-hooks.js'
import { assertCount, assertDuration, assertPositiveCount, invalidArgument, validModel } from './internal/validate.js'

/**
 * One account of a pool: either the options of a {@link ChatGPTAPI} (the pool builds the client)
 * or a client you built, with an `id` either way.
 *
 * `model` and `markdown` are the pool's, not an account's: every account answers the same way
 * unless a call names another model.
 */
export type ChatGPTPoolAccount =
  | (Omit<ChatGPTAPIOptions, 'model' | 'markdown'> & {
      /**
       * The account's name in the pool: in `status()`, events, errors, and the conversation
       * store's bindings (so keep it stable across restarts). Printable ASCII without spaces, at
       * most 128 characters. Not a secret.
       */
      id: string
      /**
       * The model slugs the account offers, when you know them: calls for another model never go
       * to it. Without it, the pool learns them from {@link ChatGPTAccountPool.getModels}, and
       * until then takes the account for any model.
       */
      models?: string[]
      client?: undefined
    })
  | {
      id: string
      /**
       * A client you built. The pool names the model of every call itself (so the client's own
       * `model` is not used); its `markdown` must match the pool's. Do not send messages through
       * it yourself while the pool runs: its lease would not know of them.
       */
      client: ChatGPTAPI
      models?: string[]
    }

/** Options of {@link ChatGPTAccountPool}. */
export type ChatGPTAccountPoolOptions = {
  /** **Required.** The accounts, at least one, each with a unique `id`; see {@link ChatGPTPoolAccount}. */
  accounts: ChatGPTPoolAccount[]
  /**
   * The model of a call that names none.
   * @defaultValue `'text-davinci-002-render'`, as {@link ChatGPTAPI}
   */
  model?: string
  /**
   * `true`: replies are markdown, as ChatGPT writes them. `false`: plain text.
   * @defaultValue `true`
   */
  markdown?: boolean
  /**
   * Where the pool records which account each conversation lives on, so that a follow-up goes
   * there. Share one (SQLite, Redis) between processes that share conversations.
   * @defaultValue a new {@link MemoryStore}, closed with the pool
   */
  store?: ConversationStore
  /**
   * What the pool shares with other processes: account leases, cool-downs, dead marks.
   * @defaultValue a new {@link InProcessCoordinator} (this process only), closed with the pool
   */
  coordinator?: PoolCoordinator
  /**
   * How many times a message that could not have run (the connection was never made; a 503
   * with a wait hint) is sent again, after a back-off, on any account that may take it; and,
   * separately, how many times it is sent again on its account after "only one message at a
   * time" (the account was still ending another reply). A 429 or an expired session moves the
   * message to another account at once and counts for nothing here. Per call too
   * (`opts.maxRetries`).
   * @defaultValue 2
   */
  maxRetries?: number
  /**
   * How many calls of this process may wait for an account; one more fails with `queue_full`.
   * @defaultValue 100 per account
   */
  maxQueueSize?: number
  /**
   * How long a call may wait for an account (each time it needs one); past it, the call fails
   * with `queue_full`, and nothing was sent. A gateway uses it to answer "busy, retry later"
   * instead of holding a client for minutes. Per call too (`opts.queueTimeoutMs`). The call's
   * own `timeoutMs` covers the wait as well.
   * @defaultValue no bound but the call's `timeoutMs`
   */
  queueTimeoutMs?: number
  /**
   * Called with every change of an account's state (`active`, `cooling`, `refreshing`, `dead`),
   * cool-downs or dead mark, made by this process or (with a shared coordinator) another. See
   * also {@link ChatGPTAccountPool.onStateChange}.
   */
  onStateChange?: (change: AccountStateChange) => void
  /**
   * Receives one line per pool decision (a cool-down, a dead account, a retry on another
   * account), and, for accounts built from options without their own `debug`, their lines
   * prefixed with the account id. Never a token.
   */
  debug?: (line: string) => void
}

/** What a pool call takes besides {@link SendMessageOptions}. */
export type PoolCallOptions = {
  /**
   * How long this call may wait for an account; see {@link ChatGPTAccountPoolOptions.queueTimeoutMs}.
   * @defaultValue the pool's `queueTimeoutMs`
   */
  queueTimeoutMs?: number
  /**
   * Called each time the call gets an account, just before its message is sent there: which one,
   * and how long the call waited for it (for logs and metrics). A listener that throws is ignored.
   */
  onLease?: (lease: { accountId: string; waitedMs: number }) => void
}

/** The defaults of {@link ChatGPTAccountPool}'s options, in one place. */
export const CHATGPT_ACCOUNT_POOL_DEFAULTS = {
  model: CHATGPT_API_DEFAULTS.model,
  markdown: true,
  maxRetries: 2,
  /** Times the number of accounts. */
  maxQueueSizePerAccount: 100
} as const

/** An account as the pool runs it. */
export type BuiltAccount = {
  id: string
  client: ChatGPTAPI
  models: Set<string> | undefined
}

// What an id may be: it goes into keys of shared stores, log lines and error messages.
const ACCOUNT_ID = /^[\x21-\x7e]{1,128}$/

/**
 * Checks the accounts and builds a client for each that came as options.
 * @throws ChatGPTError `invalid_argument` naming the account and what is wrong; the client's own
 *   constructor error (prefixed with the account) for unusable client options.
 */
export function buildAccounts(
  accounts: unknown,
  pool: { markdown: boolean; debug: ((line: string) => void) | undefined }
): BuiltAccount[] {
  if (!Array.isArray(accounts) || accounts.length === 0) {
    throw invalidArgument('accounts must be a non-empty array of accounts, each with an id')
  }
  const built: BuiltAccount[] = []
  const ids = new Set<string>()
  const clients = new Map<ChatGPTAPI, string>()
  const sessions = new Map<string, string>()
  for (const [index, entry] of accounts.entries()) {
    if (typeof entry !== 'object' || entry === null) throw invalidArgument(`accounts[${index}] must be an object`)
    const { id, models, client, ...options } = entry as Record<string, unknown>
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
      throw invalidArgument(`accounts[${index}].id must be 1 to 128 printable ASCII characters without spaces`)
    }
    if (ids.has(id)) throw invalidArgument(`account id '${id}' appears twice; each account needs its own id`)
    ids.add(id)
    const api = client === undefined ? buildClient(id, options, pool) : checkClient(id, client, options, pool.markdown)
    // Two ids on one account would let two replies run on it at once, which the backend refuses.
    const sameClient = clients.get(api)
    if (sameClient !== undefined) throw invalidArgument(`accounts '${sameClient}' and '${id}' are the same client`)
    clients.set(api, id)
    if (typeof options.sessionToken === 'string') {
      const sameSession = sessions.get(options.sessionToken)
      if (sameSession !== undefined) throw invalidArgument(`accounts '${sameSession}' and '${id}' have the same session token`)
      sessions.set(options.sessionToken, id)
    }
    built.push({ id, client: api, models: modelSet(id, models) })
  }
  return built
}

function buildClient(
  id: string,
  options: Record<string, unknown>,
  pool: { markdown: boolean; debug: ((line: string) => void) | undefined }
): ChatGPTAPI {
  for (const name of ['model', 'markdown']) {
    if (options[name] !== undefined) {
      throw invalidArgument(`account '${id}': set ${name} on the pool, not on an account (every account answers alike)`)
    }
  }
  const { debug } = pool
  try {
    return new ChatGPTAPI({
      ...(options as ChatGPTAPIOptions),
      markdown: pool.markdown,
      debug: (options.debug as ((line: string) => void) | undefined) ?? (debug && ((line) => debug(`${id}: ${line}`)))
    })
  } catch (error) {
    if (error instanceof ChatGPTError) error.message = `account '${id}': ${error.message}`
    throw error
  }
}

function checkClient(id: string, client: unknown, options: Record<string, unknown>, markdown: boolean): ChatGPTAPI {
  if (!(client instanceof ChatGPTAPI)) throw invalidArgument(`account '${id}': client must be a ChatGPTAPI`)
  const extra = Object.keys(options).filter((name) => options[name] !== undefined)
  if (extra.length > 0) {
    throw invalidArgument(`account '${id}': give either a client or its options (${extra.join(', ')}), not both`)
  }
  if (clientHooks(client).plainText === markdown) {
    throw invalidArgument(`account '${id}': the client's markdown option differs from the pool's (markdown: ${markdown})`)
  }
  return client
}

function modelSet(id: string, models: unknown): Set<string> | undefined {
  if (models === undefined) return undefined
  if (!Array.isArray(models) || models.length === 0) {
    throw invalidArgument(`account '${id}': models must be a non-empty array of model slugs`)
  }
  return new Set(models.map((model) => validModel(`account '${id}' models`, model)))
}

/** The pool's own options, checked, with defaults. */
export function resolvePoolOptions(opts: ChatGPTAccountPoolOptions) {
  if (typeof opts !== 'object' || opts === null) throw invalidArgument('the pool needs options with accounts')
  const markdown = opts.markdown ?? CHATGPT_ACCOUNT_POOL_DEFAULTS.markdown
  if (typeof markdown !== 'boolean') throw invalidArgument('markdown must be true or false')
  const model = validModel('model', opts.model ?? CHATGPT_ACCOUNT_POOL_DEFAULTS.model)
  const maxRetries = opts.maxRetries ?? CHATGPT_ACCOUNT_POOL_DEFAULTS.maxRetries
  assertCount('maxRetries', maxRetries)
  assertPositiveCount('maxQueueSize', opts.maxQueueSize)
  assertDuration('queueTimeoutMs', opts.queueTimeoutMs)
  for (const name of ['onStateChange', 'debug'] as const) {
    if (opts[name] !== undefined && typeof opts[name] !== 'function') throw invalidArgument(`${name} must be a function`)
  }
  assertMethods('store', opts.store, ['getBinding', 'putBinding', 'deleteBinding', 'close'])
  assertMethods('coordinator', opts.coordinator, [
    'acquire',
    'cooldownOf',
    'cooldownsOf',
    'deadMarkOf',
    'setCooldown',
    'clearCooldown',
    'markDead',
    'revive',
    'subscribe',
    'close'
  ])
  const accounts = buildAccounts(opts.accounts, { markdown, debug: opts.debug })
  return {
    accounts,
    model,
    markdown,
    maxRetries,
    maxQueueSize: opts.maxQueueSize ?? CHATGPT_ACCOUNT_POOL_DEFAULTS.maxQueueSizePerAccount * accounts.length,
    queueTimeoutMs: opts.queueTimeoutMs,
    store: opts.store,
    coordinator: opts.coordinator,
    onStateChange: opts.onStateChange,
    debug: opts.debug
  }
}

function assertMethods(name: string, value: unknown, methods: string[]): void {
  if (value === undefined) return
  const missing =
    typeof value === 'object' && value !== null
      ? methods.filter((method) => typeof (value as Record<string, unknown>)[method] !== 'function')
      : methods
  if (missing.length > 0) throw invalidArgument(`${name} must implement ${missing.join(', ')}`)
}
