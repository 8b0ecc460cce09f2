/**
 * What a failed call of a client rejects with, the one rule of both clients: once aborted, the
 * caller's own reason untouched (or our timeout error, with the text that had arrived); our
 * errors redacted, their `partialText` the text as the caller saw it; anything else — a caller's
 * callback that threw — as it is.
 */
import { ChatGPTError } from '../errors.js'
import type { CallSignal } from './call-signal.js'
import type { Secrets } from './secrets.js'

export function settledError(error: unknown, call: CallSignal, secrets: Secrets, shownText?: string): unknown {
  if (call.aborted) {
    const reason = call.reason
    if (reason instanceof ChatGPTError && reason.code === 'timeout') {
      if (shownText) reason.partialText = shownText
      return secrets.redactError(reason)
    }
    return reason
  }
  if (!(error instanceof ChatGPTError)) return error
  if (error.partialText !== undefined && shownText !== undefined) error.partialText = shownText
  return secrets.redactError(error)
}
