import { whenAborted } from './abort-fanout.js'

/**
 * One signal that aborts when any of `signals` does, with that one's reason (`AbortSignal.any`
 * needs Node 20.3). `dispose` stops listening, so that a long-lived signal (a pool's own, a
 * caller's shutdown signal) keeps nothing of a finished call.
 */
export function linkedSignal(signals: readonly AbortSignal[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  const unlinks: (() => void)[] = []
  for (const signal of signals) {
    if (controller.signal.aborted) break
    unlinks.push(whenAborted(signal, () => controller.abort(signal.reason)))
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const unlink of unlinks) unlink()
    }
  }
}
