/**
 * One request, from arrival to the last byte of its answer: the fields of its log line, and the
 * metrics it counts. A streamed answer ends later than its handler returns, so whoever sends the
 * last byte calls `finish` (exactly once counts; later calls do nothing).
 */
import type { GatewayMetrics } from './gateway-metrics.js'
import type { GatewayLogger } from './gateway-options.js'

export class RequestTrace {
  /** What the log line says besides method, path, status and time: model, account, error code, … */
  readonly fields: Record<string, unknown> = {}
  /** Set by a handler whose answer outlives it (a stream): it calls `finish` itself. */
  deferred = false
  status = 0
  readonly #started = performance.now()
  #finished = false
  readonly #onFinish: (() => void)[] = []

  constructor(
    readonly route: string,
    private readonly request: { method: string; path: string },
    private readonly metrics: GatewayMetrics,
    private readonly logger: GatewayLogger | undefined
  ) {}

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return performance.now() - this.#started
  }

  /** Runs `hook` when the request finishes (a concurrency slot given back, say). */
  onFinish(hook: () => void): void {
    if (this.#finished) hook()
    else this.#onFinish.push(hook)
  }

  finish(status = this.status): void {
    if (this.#finished) return
    this.#finished = true
    this.status = status
    const ms = this.elapsedMs()
    for (const hook of this.#onFinish.splice(0)) hook()
    const key = typeof this.fields.key === 'string' ? this.fields.key : '-'
    this.metrics.requests.inc({ route: this.route, status: String(status), key })
    this.metrics.duration.observe({ route: this.route, stream: String(this.fields.stream === true) }, ms / 1000)
    this.logger?.info(
      { method: this.request.method, path: this.request.path, status, ms: Math.round(ms * 10) / 10, ...this.fields },
      'request'
    )
  }
}
