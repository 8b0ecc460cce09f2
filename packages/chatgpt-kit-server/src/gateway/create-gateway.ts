/**
 * The gateway: a standard `fetch` handler that puts an account pool behind the OpenAI Chat
 * Completions API. It runs wherever `fetch` handlers do (Node through {@link serveGateway}, Bun,
 * Deno, edge runtimes).
 */
import { MemoryStore } from 'chatgpt-kit'
import { Hono } from 'hono'

import { AnsweredTranscripts } from './answered-transcripts.js'
import { apiError, errorResponse } from './api-error.js'
import { ApiKeys, type Caller } from './api-keys.js'
import { ChatCompletions } from './chat-completions.js'
import { GatewayMetrics } from './gateway-metrics.js'
import { type GatewayOptions, resolveGatewayOptions } from './gateway-options.js'
import { KeyLimits } from './key-limits.js'
import { ModelCatalog } from './model-catalog.js'
import { readiness } from './readiness.js'
import { RequestTrace } from './request-trace.js'

/** A gateway: hand `fetch` to any server that takes a `fetch` handler. */
export type Gateway = {
  /** Answers one HTTP request. */
  fetch: (request: Request) => Promise<Response>
  /** The prom-client registry with the gateway's metrics. */
  readonly metrics: GatewayMetrics
  /** Requests being answered now (a stream counts until its last byte). */
  readonly inFlight: number
  /**
   * Stops taking requests (new ones get 503, `/readyz` says 503), waits up to `graceMs` for
   * those in flight to finish, then aborts what is left (which frees their accounts). Resolves
   * when no request is in flight. It does not close the pool or the store: their owner does, next.
   */
  shutdown(opts?: { graceMs?: number }): Promise<void>
}

/** How long aborted requests get to end after the grace period, before `shutdown` resolves anyway. */
const ABORTED_REQUESTS_GRACE_MS = 1_000

type Env = { Variables: { caller: Caller; trace: RequestTrace } }

/**
 * Creates a gateway over a pool.
 *
 * @param opts - See {@link GatewayOptions}.
 * @throws ChatGPTError `invalid_argument` for unusable options.
 * @example
 * ```ts
 * import { createGateway, serveGateway } from 'chatgpt-kit-server'
 * const gateway = createGateway({ pool, apiKeys: ['sk-team-1-…'] })
 * const server = await serveGateway(gateway, { port: 8787 })
 * console.log(`listening ${server.url}`)
 * ```
 */
export function createGateway(opts: GatewayOptions): Gateway {
  const options = resolveGatewayOptions(opts)
  const { pool, logger } = options
  const metrics = new GatewayMetrics(pool, options.registry)
  const unsubscribe = pool.onStateChange((change) => metrics.onStateChange(change))
  const keys = new ApiKeys(options.apiKeys)
  const metricsKeys = options.metricsKey === undefined ? undefined : new ApiKeys([options.metricsKey])
  const limits = new KeyLimits(options.limits)
  const catalog = new ModelCatalog(pool, options.modelsMaxAgeMs)
  const shutdown = new AbortController()
  let draining = false
  let inFlight = 0
  const idle: (() => void)[] = []
  const chat = new ChatCompletions({
    pool,
    transcripts: new AnsweredTranscripts(options.store ?? new MemoryStore()),
    catalog,
    metrics,
    logger,
    queueTimeoutMs: options.queueTimeoutMs,
    timeoutMs: options.timeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    shutdownSignal: shutdown.signal
  })

  const app = new Hono<Env>()

  // Every request: traced (one log line, metrics), counted while in flight, refused while draining.
  app.use(async (c, next) => {
    const path = new URL(c.req.url).pathname
    const route = routeOf(c.req.method, path)
    const trace = new RequestTrace(route, { method: c.req.method, path: path.slice(0, 200) }, metrics, logger)
    c.set('trace', trace)
    inFlight++
    trace.onFinish(() => {
      inFlight--
      if (inFlight === 0) for (const wake of idle.splice(0)) wake()
    })
    if (draining && route !== 'healthz' && route !== 'readyz' && route !== 'metrics') {
      c.res = errorResponse(apiError(503, 'The gateway is shutting down; try again', { code: 'shutting_down', retryAfterSeconds: 1 }))
    } else {
      // A handler's throw reaches `onError` below, which answers; this goes on to trace it.
      await next()
    }
    trace.status = c.res.status
    if (!trace.deferred) trace.finish()
  })

  // The API: a key when keys are configured, then the key's limits.
  app.use('/v1/*', async (c, next) => {
    const caller = keys.callerOf(c.req.header('authorization') ?? null)
    if (!caller) {
      c.res = errorResponse(apiError(401, 'Incorrect or missing API key: send Authorization: Bearer KEY', { code: 'invalid_api_key' }))
      return
    }
    const trace = c.get('trace')
    trace.fields.key = caller.label
    const slot = limits.take(caller.label)
    if (!slot.ok) {
      c.res = errorResponse(slot.error)
      return
    }
    trace.onFinish(slot.release)
    c.set('caller', caller)
    await next()
  })

  app.post('/v1/chat/completions', (c) => chat.handle(c.req.raw, c.get('caller'), c.get('trace')))

  app.get('/v1/models', async (c) => {
    try {
      const models = await catalog.list()
      const created = Math.floor(startedAt / 1000)
      return c.json({ object: 'list', data: models.map((model) => ({ id: model.slug, object: 'model', created, owned_by: 'chatgpt' })) })
    } catch {
      return errorResponse(apiError(503, 'No account could list its models', { code: 'no_usable_account' }))
    }
  })

  app.get('/healthz', (c) => c.json({ status: 'ok' }))

  app.get('/readyz', async (c) => {
    if (draining) return c.json({ status: 'shutting_down' }, 503)
    const ready = await readiness(pool, options.readinessChecks)
    return c.json(ready, ready.status === 'ready' ? 200 : 503)
  })

  app.get('/metrics', async (c) => {
    if (metricsKeys && !metricsKeys.callerOf(c.req.header('authorization') ?? null)) {
      return errorResponse(apiError(401, 'Incorrect or missing metrics key', { code: 'invalid_api_key' }))
    }
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType })
  })

  // Whatever a handler throws: an API-shaped 500 and one log line, never a stack in the answer.
  app.onError((error, c) => {
    c.get('trace').fields.error = 'internal'
    logger?.error({ err: (error instanceof Error ? error.message : String(error)).slice(0, 300) }, 'request failed unexpectedly')
    return errorResponse(apiError(500, 'The gateway failed to answer', { code: 'internal_error' }))
  })

  app.notFound(() => errorResponse(apiError(404, 'No such route; this gateway serves /v1/chat/completions and /v1/models', { code: 'unknown_route' })))

  const startedAt = Date.now()
  return {
    fetch: async (request) => app.fetch(request),
    metrics,
    get inFlight() {
      return inFlight
    },
    async shutdown({ graceMs = 10_000 } = {}) {
      draining = true
      unsubscribe()
      if (inFlight > 0) {
        const allDone = new Promise<void>((resolve) => idle.push(resolve))
        let timer: ReturnType<typeof setTimeout> | undefined
        const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))
        await Promise.race([allDone, grace])
        clearTimeout(timer)
        if (inFlight > 0) {
          shutdown.abort(new Error('The gateway shut down'))
          // A stream ends once its client reads again; one that never does is the server's to cut.
          await Promise.race([allDone, new Promise<void>((resolve) => setTimeout(resolve, ABORTED_REQUESTS_GRACE_MS).unref())])
        }
      }
    }
  }
}

/** The route's name in metrics: a fixed set, whatever paths clients try. */
function routeOf(method: string, path: string): string {
  if (method === 'POST' && path === '/v1/chat/completions') return 'chat_completions'
  if (method === 'GET' && path === '/v1/models') return 'models'
  if (method === 'GET' && (path === '/healthz' || path === '/readyz' || path === '/metrics')) return path.slice(1)
  return 'other'
}
