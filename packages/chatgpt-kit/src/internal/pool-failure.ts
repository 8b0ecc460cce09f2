/**
 * What a failed attempt of a pool call means, as a pure function: for the account (a 429 cools
 * the pair, a refused sign-in kills the account) and for the call (move to another account, try
 * again after a back-off, or fail). It applies the pipeline's one rule for sending a message
 * again — only when it cannot have run (`retry.ts`) — and never once any of the reply arrived.
 */
import { ChatGPTError } from '../errors.js'
import { shouldRetry } from './retry.js'

/** Sign-in failures that no retry will fix: the session itself is gone. */
const DEAD_CODES = new Set(['session_expired', 'unauthorized'])

/**
 * The 429 of a collision, not of a limit: the account is still busy with a reply
 * — ours that was just aborted and has not ended at the backend yet, or one sent from elsewhere.
 */
const ONE_AT_A_TIME = /only one message at a time/i

export type FailureVerdict = {
  /** What it says about the account: its (account, model) pair cools, or the account is dead. */
  mark: 'cool' | 'dead' | undefined
  /**
   * - `move`: the message was not sent and the account is out: another may take it at once.
   * - `again`: the account was still busy with another reply ("only one message at a time"):
   *   the message may be sent again on the same account, after a back-off.
   * - `backoff`: the message was not sent (the connection was never made; a 503 with a wait
   *   hint): it may be sent again after a back-off, on any account.
   * - `fail`: the call fails with the error.
   */
  next: 'move' | 'again' | 'backoff' | 'fail'
}

/**
 * @param error - What the attempt failed with.
 * @param started - Whether any of the reply had arrived (a stream event): the message was sent.
 */
export function judgeFailure(error: unknown, started: boolean): FailureVerdict {
  if (!(error instanceof ChatGPTError)) return { mark: undefined, next: 'fail' }
  // A 429 the server sent; not a `rate_limited` the pool made up itself.
  const refused = error.code === 'rate_limited' && error.statusCode === 429
  // A collision says nothing about the account's limits: no cool-down; the call keeps the
  // account (and its place) and tries again after a back-off, when the other reply has ended.
  if (refused && ONE_AT_A_TIME.test(error.message)) return { mark: undefined, next: started ? 'fail' : 'again' }
  const mark = refused ? 'cool' : DEAD_CODES.has(error.code) ? 'dead' : undefined
  if (started) return { mark, next: 'fail' }
  if (mark) return { mark, next: 'move' }
  return { mark, next: shouldRetry(error, false) ? 'backoff' : 'fail' }
}
