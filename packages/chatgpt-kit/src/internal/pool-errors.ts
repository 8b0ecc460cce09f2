/**
 * The errors the account pool makes itself (the others come from the accounts' clients): why no
 * account may take a call, and a closed pool. Short, human, and saying what to do.
 */
import type { DeadMark } from '../coordinator.js'
import { ChatGPTError } from '../errors.js'
import type { Pick as AccountPick } from './pick-accounts.js'

export const closedError = (): ChatGPTError => new ChatGPTError('The account pool was closed', { code: 'aborted' })

/**
 * Why no account may take a call for `model` (the conversation's account `bound`, for a follow-up):
 * `invalid_argument` when none offers the model, the sign-in error when all are dead,
 * `rate_limited` with the soonest `retryAfterMs` when all are cooling.
 */
export function noAccountError(pick: Exclude<AccountPick, { ok: true }>, model: string, bound: string | undefined): ChatGPTError {
  const conversationAccount = bound === undefined ? undefined : `The account '${bound}' of this conversation`
  switch (pick.why) {
    case 'no_model':
      return new ChatGPTError(
        conversationAccount
          ? `${conversationAccount} does not offer the model '${model}'`
          : `No account of this pool offers the model '${model}'; see getModels()`,
        { code: 'invalid_argument' }
      )
    case 'dead':
      return deadAccountsError(pick.marks, bound)
    case 'cooling': {
      const seconds = Math.ceil(pick.retryAfterMs / 1000)
      return new ChatGPTError(
        conversationAccount
          ? `${conversationAccount} is cooling down after a 429 for '${model}'; try again in ${seconds} s`
          : `Every account of this pool is cooling down after a 429 for '${model}'; try again in ${seconds} s`,
        { code: 'rate_limited', retryAfterMs: pick.retryAfterMs }
      )
    }
  }
}

/** Every account that could take a call is dead: their sign-in error's code (`unauthorized` when they differ). */
export function deadAccountsError(marks: Pick<DeadMark, 'code' | 'message'>[], bound: string | undefined): ChatGPTError {
  const codes = new Set(marks.map((mark) => mark.code))
  const code = codes.size === 1 ? [...codes][0]! : 'unauthorized'
  return new ChatGPTError(
    bound === undefined
      ? 'Every account of this pool that could take the message can no longer sign in; give them new session tokens'
      : `The account '${bound}' of this conversation can no longer sign in (${marks[0]?.message ?? code}); the conversation cannot move to another account`,
    { code }
  )
}

/**
 * No account became free for a call within its `queueTimeoutMs`: every account is busy with other
 * replies. Nothing was sent; the same call later will likely be served.
 */
export function queueTimeoutError(queueTimeoutMs: number): ChatGPTError {
  return new ChatGPTError(
    `No account became free within ${queueTimeoutMs} ms (all are busy with other replies); nothing was sent, try again later`,
    { code: 'queue_full' }
  )
}
