/**
 * One call's deadline and abort, as a single AbortSignal for everything the call does (waiting
 * for auth, the request, the stream), and the rule for what the call rejects with:
 * a timeout → ChatGPTError `timeout`; the caller's signal → that signal's own reason.
 */
import { ChatGPTError } from '../errors.js'
import { whenAborted } from './abort-fanout.js'
import { raceAbort } from './race-abort.js'
import { timerDelay } from './durations.js'

export const TIMEOUT_MESSAGE = 'ChatGPT timed out waiting for response'

export class CallSignal {
  private readonly controller = new AbortController()
  private readonly timer: ReturnType<typeof setTimeout> | undefined
  /** When the call's `timeoutMs` runs out (`Infinity`: never). */
  private readonly deadline: number
  private readonly unlinkCaller: () => void
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  private idleMs = 0

  constructor(timeoutMs: number | undefined, callerSignal: AbortSignal | undefined) {
    this.unlinkCaller = callerSignal
      ? whenAborted(callerSignal, () => this.controller.abort(callerSignal.reason))
      : () => {}
    const delay = timerDelay(timeoutMs)
    this.deadline = delay === undefined ? Infinity : Date.now() + delay
    if (delay !== undefined && !this.controller.signal.aborted) {
      this.timer = setTimeout(
        () => this.controller.abort(new ChatGPTError(TIMEOUT_MESSAGE, { code: 'timeout' })),
        delay
      )
    }
  }

  /** Milliseconds left before the call's timeout (`Infinity` without one). */
  get remainingMs(): number {
    return Math.max(0, this.deadline - Date.now())
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  get aborted(): boolean {
    return this.controller.signal.aborted
  }

  /** What the call rejects with once aborted. */
  get reason(): unknown {
    return this.controller.signal.reason
  }

  /** Throws the abort reason if the call has been aborted. */
  throwIfAborted(): void {
    if (this.aborted) throw this.reason
  }

  /** Waits for `promise`, but no longer than the call may last. */
  race<T>(promise: Promise<T>): Promise<T> {
    return raceAbort(promise, this.signal)
  }

  /**
   * Aborts the call with a `timeout` error when {@link CallSignal.touch} has not been called for
   * `idleMs`: a stream that goes silent must end even when the caller set no timeout.
   */
  watchIdle(idleMs: number): void {
    const delay = timerDelay(idleMs)
    if (delay === undefined || this.aborted) return
    this.idleMs = delay
    this.idleTimer = setTimeout(this.onIdle, delay)
  }

  /**
   * Stops the idle clock while the call waits on purpose (a retry's backoff): silence we chose
   * is not a silent server. {@link CallSignal.touch} does nothing until it is resumed.
   */
  pauseIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = undefined
  }

  /** Restarts the idle clock after {@link CallSignal.pauseIdle}. */
  resumeIdle(): void {
    if (this.idleMs && this.idleTimer === undefined && !this.aborted) {
      this.idleTimer = setTimeout(this.onIdle, this.idleMs)
    }
  }

  /** Something arrived: restart the idle clock. */
  touch(): void {
    const timer = this.idleTimer
    if (timer === undefined) return
    // Node's timers can be re-armed in place, far cheaper than clear + set on every chunk.
    if (typeof (timer as { refresh?: unknown }).refresh === 'function') {
      ;(timer as unknown as { refresh: () => void }).refresh()
    } else {
      clearTimeout(timer)
      this.idleTimer = setTimeout(this.onIdle, this.idleMs)
    }
  }

  private readonly onIdle = () => {
    const seconds = Math.round(this.idleMs / 100) / 10
    this.controller.abort(
      new ChatGPTError(`ChatGPT sent nothing for ${seconds} s; the request was abandoned`, {
        code: 'timeout'
      })
    )
  }

  /** Releases the timers and the listener on the caller's signal (a long-lived signal must not leak). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.unlinkCaller()
  }
}
