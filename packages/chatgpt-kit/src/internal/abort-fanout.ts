/**
 * Listening to a caller's AbortSignal with ONE listener however many calls share it: Node warns
 * (`MaxListenersExceededWarning`) past 10 listeners on one signal, and a bot that passes its
 * shutdown signal to every call would trip that with 11 calls in flight.
 */

type FanOut = { listeners: Set<() => void>; onAbort: () => void }

const fanOuts = new WeakMap<AbortSignal, FanOut>()

/**
 * Calls `onAbort` once when `signal` aborts (at once, synchronously, if it already has).
 *
 * @returns A function that stops listening; call it when the work is over, so that a
 *   long-lived signal keeps nothing of a finished call (its last one removes our listener).
 */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    onAbort()
    return () => {}
  }
  let fanOut = fanOuts.get(signal)
  if (!fanOut) {
    const listeners = new Set<() => void>()
    const created: FanOut = {
      listeners,
      onAbort: () => {
        fanOuts.delete(signal)
        for (const listener of [...listeners]) listener()
      }
    }
    fanOut = created
    fanOuts.set(signal, created)
    signal.addEventListener('abort', created.onAbort, { once: true })
  }
  const { listeners } = fanOut
  const shared = fanOut
  // A function of our own per registration, so the same callback registered twice is two listeners.
  const listener = () => onAbort()
  listeners.add(listener)
  return () => {
    if (!listeners.delete(listener) || listeners.size > 0) return
    signal.removeEventListener('abort', shared.onAbort)
    if (fanOuts.get(signal) === shared) fanOuts.delete(signal)
  }
}
