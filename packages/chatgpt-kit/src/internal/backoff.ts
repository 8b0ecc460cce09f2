/**
 * The wait between two tries of a request: the policy's decision (`retry.ts`), one `debug` line,
 * and a sleep that the call's abort ends. Shared by the session refresh and the backend calls,
 * which are never nested: each retries at its own single level.
 */
import { ChatGPTError } from '../errors.js'
import type { CallSignal } from './call-signal.js'
import { decideRetry } from './retry.js'
import { sleep } from './sleep.js'

export type BackoffContext = {
  /** "POST /backend-api/conversation", for the log line. */
  what: string
  maxRetries: number
  /** False for a POST (see `shouldRetry`). */
  idempotent: boolean
  log: (line: string) => void
  /** The call: its abort ends the wait, and its idle clock pauses while we wait on purpose. */
  call?: CallSignal
}

/**
 * After try number `retriesDone + 1` failed with `error`: waits and returns `true` when the
 * request should be sent again, returns `false` when `error` is final.
 */
export async function backoffBeforeRetry(
  context: BackoffContext,
  error: unknown,
  retriesDone: number
): Promise<boolean> {
  const { call, maxRetries } = context
  if (call?.aborted) return false
  const decision = decideRetry(error, retriesDone, maxRetries, context.idempotent)
  if (!decision.retry) return false
  // A wait the call's timeout would cut short is not started: the caller hears the server's own
  // error, with its `retryAfterMs`, instead of a timeout that says nothing of when to come back.
  if (call && decision.delayMs >= call.remainingMs) return false
  const { code, statusCode } = error as ChatGPTError
  context.log(
    `${context.what}: ${code} (${statusCode ?? 'no status'}); retry ${retriesDone + 1} of ${maxRetries} in ${Math.round(decision.delayMs)} ms`
  )
  call?.pauseIdle()
  await sleep(decision.delayMs, call?.signal)
  call?.resumeIdle()
  return true
}
