/**
 * One deadline and abort for a call made of several requests (a history lookup then a reply,
 * or a reply and its continuations), so that `timeoutMs` bounds the whole call as it does a
 * single message.
 */
import { CallSignal } from './call-signal.js'
import { assertDuration } from './validate.js'

/**
 * Runs `run` with a signal that aborts when `timeoutMs` passes or `abortSignal` aborts. The inner
 * requests get that signal and no timeout of their own: they reject with its reason, which is the
 * same timeout ChatGPTError (or the caller's own reason) a single request rejects with.
 */
export async function withCallScope<T>(
  timeoutMs: number | undefined,
  abortSignal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  assertDuration('timeoutMs', timeoutMs)
  const call = new CallSignal(timeoutMs, abortSignal)
  try {
    call.throwIfAborted()
    // Not raced against the signal: every inner request settles on its own once it aborts, and
    // racing would reject before the inner call had put its `partialText` on the timeout error.
    return await run(call.signal)
  } finally {
    call.dispose()
  }
}
