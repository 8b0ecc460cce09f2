import { whenAborted } from './abort-fanout.js'
import { MAX_TIMER_MS } from './durations.js'

/** A wait that ends early, with the signal's reason, when the call is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unlink()
      resolve()
    }, Math.min(ms, MAX_TIMER_MS))
    const unlink = signal
      ? whenAborted(signal, () => {
          // Clear the timer so an abandoned wait does not keep the process alive.
          clearTimeout(timer)
          reject(signal.reason)
        })
      : () => {}
  })
}
