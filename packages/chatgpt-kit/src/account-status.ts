/**
 * What {@link ChatGPTAccountPool.status} and its state-change events say about the accounts.
 */
import type { ChatGPTErrorCode } from './errors.js'

/**
 * The state of a pool account:
 *
 * - `active`: takes calls.
 * - `cooling`: a model of it answered 429 and waits out its cool-down (see `cooldowns`); it still
 *   takes calls for its other models. It turns `active` again by itself.
 * - `refreshing`: signing in (getting a fresh access token); its calls wait for that.
 * - `dead`: its session no longer signs in (expired or refused, see `dead`); it takes no calls
 *   until {@link ChatGPTAccountPool.revive}.
 *
 * `dead` wins over the others, then `refreshing`, then `cooling`.
 */
export type AccountState = 'active' | 'cooling' | 'refreshing' | 'dead'

/** A running cool-down of one model of an account. */
export type AccountCooldown = {
  model: string
  /** When it ends, in milliseconds since the epoch. */
  until: number
  /** 429s in a row on this model: without a server hint, each cool-down is longer than the last. */
  strikes: number
}

/** One account of a pool, as {@link ChatGPTAccountPool.status} describes it. No secrets. */
export type AccountStatus = {
  /** The account's `id` in the pool's options. */
  id: string
  state: AccountState
  /** Whether a reply of this process is running on it. */
  busy: boolean
  /** Its running cool-downs, one per model that answered 429. */
  cooldowns: AccountCooldown[]
  /** Why it is dead: the sign-in's error code and message, and when (ms since the epoch). */
  dead?: { code: ChatGPTErrorCode; message: string; at: number }
  /** The models it offers, once known (its `models` option, or {@link ChatGPTAccountPool.getModels}). */
  models?: string[]
  /** When this process last gave it a call, in milliseconds since the epoch. */
  lastUsedAt?: number
  /** How many replies it has given this process. */
  replies: number
}

/** The whole pool, as {@link ChatGPTAccountPool.status} describes it. */
export type AccountPoolStatus = {
  /** Every account, in the order of the pool's options. */
  accounts: AccountStatus[]
  /** How many calls of this process are waiting for an account. */
  waiting: number
}

/** A change of an account's state, its cool-downs or its dead mark. */
export type AccountStateChange = {
  accountId: string
  /** The state before the change. */
  previous: AccountState
  /** The state now (the same as `previous` when only the cool-downs changed). */
  state: AccountState
  /** The account's whole status after the change. */
  status: AccountStatus
}
