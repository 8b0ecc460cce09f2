/**
 * A pause that lets everything already waiting run: I/O callbacks, timers, other calls' work.
 * `setImmediate` runs after the poll phase, so pending I/O is served before the solver goes on
 * (a resolved promise would not: microtasks run before any I/O). Runtimes without
 * `setImmediate` (some fetch runtimes) get a zero timeout, also a macrotask.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve)
    else setTimeout(resolve, 0)
  })
}
