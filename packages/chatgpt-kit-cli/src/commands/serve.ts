/**
 * `chatgpt serve`: the OpenAI-compatible gateway over an account pool. When it listens it prints
 * exactly one line on stdout, `listening http://HOST:PORT` (with the real port, for scripts);
 * its log (one JSON line per request) goes to stderr. SIGTERM stops it gracefully: no new
 * requests, replies in flight get up to 10 s to finish, leases are released, exit 0. Ctrl-C does
 * the same and exits 130.
 *
 * The server side (`chatgpt-kit-server`: hono, Redis, SQLite) is loaded only by this command, so
 * that installing the command for chatting needs no native build.
 */
import { isIP } from 'node:net'
import { join } from 'node:path'

import { ChatGPTAPI, type ChatGPTAccountPool, type ChatGPTPoolAccount, type ChatGPTProtocol, type ConversationStore, type PoolCoordinator } from 'chatgpt-kit'

import { readAccountsFile, type AccountEntry } from '../accounts-file.js'
import { loadSettings, type GlobalOptions } from '../client.js'
import { CliError, InterruptedError, UsageError } from '../cli-error.js'
import type { Context } from '../context.js'
import { listenError, untilStopped } from '../until-stopped.js'
import { stateDir } from '../paths.js'

export type ServeOptions = {
  host?: string
  port?: string
  accounts?: string
  apiKey?: string[]
  metricsKey?: string
  redis?: string
  redisPrefix?: string
  store?: string
  queueTimeout?: string
  requestsPerMinute?: string
  concurrentRequests?: string
}

/** How long replies in flight get to finish on SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000

type ServerModule = typeof import('chatgpt-kit-server')

export async function serve(ctx: Context, options: ServeOptions, globals: GlobalOptions): Promise<void> {
  const host = options.host ?? '127.0.0.1'
  const port = Number(options.port ?? 8787)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a port number (0-65535; 0 picks a free one)')
  const envKeys = splitList(ctx.env.GATEWAY_API_KEYS)
  // Set, yet naming no key ("," from "$KEY1,$KEY2" with both unset): serving without a key is
  // surely not what was meant.
  if (envKeys.length === 0 && (ctx.env.GATEWAY_API_KEYS ?? '') !== '') {
    throw new UsageError('GATEWAY_API_KEYS is set but names no key: give comma-separated keys, or unset it')
  }
  const apiKeys = [...(options.apiKey ?? []), ...envKeys]
  for (const key of apiKeys) if (!/^\S{8,}$/.test(key)) throw new UsageError('an API key must be at least 8 characters, without spaces')
  const metricsKey = options.metricsKey ?? (ctx.env.GATEWAY_METRICS_KEY || undefined)
  // Checked here with the API keys: a usage error (exit 2) naming the flag, before anything opens.
  if (metricsKey !== undefined && !/^\S{8,}$/.test(metricsKey)) throw new UsageError('--metrics-key (or GATEWAY_METRICS_KEY) must be at least 8 characters, without spaces')
  if (apiKeys.length === 0 && !isLoopback(host)) {
    throw new UsageError(`refusing to serve on ${host} without an API key: anyone who can reach it could use your accounts; add --api-key (or GATEWAY_API_KEYS), or keep --host 127.0.0.1`)
  }
  const redisUrl = options.redis ?? (ctx.env.REDIS_URL || undefined)
  const store = storeChoice(options.store, redisUrl, ctx.env)
  const queueTimeoutMs = seconds('--queue-timeout', options.queueTimeout) ?? 60_000
  const limits = {
    requestsPerMinute: count('--requests-per-minute', options.requestsPerMinute),
    concurrentRequests: count('--concurrent-requests', options.concurrentRequests)
  }
  const settings = loadSettings(ctx, globals)
  const accounts = accountsOf(ctx, options, settings)

  const server = await loadServer()
  const logger = server.createJsonLogger({ level: globals.debug ? 'debug' : 'info' })
  const closers: (() => Promise<void> | void)[] = []
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await Promise.resolve(close()).catch(() => {})
  }
  try {
    const shared = await openShared(server, { redisUrl, prefix: options.redisPrefix ?? 'chatgpt-kit:', store }, closers)
    const { ChatGPTAccountPool } = await import('chatgpt-kit')
    const pool: ChatGPTAccountPool = new ChatGPTAccountPool({
      accounts: accounts.map((account) => poolAccount(account, settings.baseUrl)),
      store: shared.store,
      coordinator: shared.coordinator,
      debug: globals.debug ? (line) => logger.debug({ pool: line }) : undefined
    })
    closers.push(() => pool.close())
    const gateway = server.createGateway({
      pool,
      store: shared.store,
      apiKeys,
      metricsKey,
      queueTimeoutMs,
      limits,
      readinessChecks: shared.ping ? [shared.ping] : [],
      logger
    })
    const listening = await server.serveGateway(gateway, { host, port }).catch((error: unknown) => {
      throw listenError(error, port, host, 'or 0 for a free one')
    })
    // SIGTERM is taken before the line says so: a supervisor may send it the instant it reads the
    // line, and without a handler by then the signal would kill the process outright.
    const stopped = untilStopped(ctx.interrupt.signal)
    ctx.stdout.write(`listening ${listening.url}\n`)
    logger.info({ url: listening.url, accounts: accounts.length, store: store.kind, redis: redisUrl !== undefined, keys: apiKeys.length }, 'listening')
    await stopped
    logger.info({ inFlight: gateway.inFlight }, 'shutting down')
    await listening.close({ graceMs: SHUTDOWN_GRACE_MS })
  } finally {
    await closeAll()
  }
  if (ctx.interrupt.signal.aborted) throw new InterruptedError()
}

type StoreChoice = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'redis' }

function storeChoice(value: string | undefined, redisUrl: string | undefined, env: NodeJS.ProcessEnv): StoreChoice {
  if (value === undefined) return redisUrl ? { kind: 'redis' } : { kind: 'sqlite', path: join(stateDir(env), 'gateway.sqlite') }
  if (value === 'memory') return { kind: 'memory' }
  if (value === 'redis') {
    if (!redisUrl) throw new UsageError('--store redis needs --redis URL (or REDIS_URL)')
    return { kind: 'redis' }
  }
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) return { kind: 'sqlite', path: value.slice('sqlite:'.length) }
  throw new UsageError("--store takes 'memory', 'sqlite:PATH' or 'redis'")
}

/** Redis (coordinator, and store when chosen) and the store, each closed in reverse order at the end. */
async function openShared(
  server: ServerModule,
  opts: { redisUrl: string | undefined; prefix: string; store: StoreChoice },
  closers: (() => Promise<void> | void)[]
): Promise<{ store: ConversationStore; coordinator?: PoolCoordinator; ping?: () => Promise<unknown> }> {
  let coordinator: PoolCoordinator | undefined
  let ping: (() => Promise<unknown>) | undefined
  let redis: Awaited<ReturnType<ServerModule['connectRedis']>> | undefined
  if (opts.redisUrl) {
    redis = await server.connectRedis(opts.redisUrl).catch((error: unknown) => {
      throw new CliError(`cannot reach Redis at ${server.redisWhere(opts.redisUrl!)}: ${(error as Error).message}`)
    })
    const connection = redis
    closers.push(() => connection.disconnect())
    coordinator = await server.RedisCoordinator.open({ redis, prefix: opts.prefix })
    closers.push(() => coordinator!.close())
    ping = () => connection.ping()
  }
  let store: ConversationStore
  if (opts.store.kind === 'redis') store = new server.RedisStore({ redis: redis!, prefix: opts.prefix })
  else if (opts.store.kind === 'sqlite') {
    const path = opts.store.path
    store = await Promise.resolve()
      .then(() => server.SqliteStore.open({ path }))
      .catch((error: unknown) => {
        throw new CliError(`cannot open the SQLite store ${path}: ${(error as Error).message}`)
      })
  } else {
    const { MemoryStore } = await import('chatgpt-kit')
    store = new MemoryStore()
  }
  closers.push(() => store.close())
  return { store, coordinator, ping }
}

function accountsOf(ctx: Context, options: ServeOptions, settings: ReturnType<typeof loadSettings>): AccountEntry[] {
  const file = options.accounts ?? (ctx.env.CHATGPT_ACCOUNTS_FILE || undefined)
  if (file) {
    const { accounts, tooOpen } = readAccountsFile(file)
    if (tooOpen) ctx.warn(`${file} holds tokens and others may read it: chmod 600 ${file}`)
    return accounts
  }
  const { sessionToken, clearanceToken, accessToken, userAgent } = settings.credentials
  if (!sessionToken && !accessToken) {
    throw new CliError(`no accounts: give --accounts FILE (or CHATGPT_ACCOUNTS_FILE), or sign in first (\`chatgpt login\`, SESSION_TOKEN) to serve your own account`)
  }
  return [{ id: 'default', sessionToken, clearanceToken, accessToken, userAgent }]
}

function poolAccount(account: AccountEntry, baseUrl: string): ChatGPTPoolAccount {
  const urls = { apiBaseUrl: `${baseUrl}/api`, backendApiBaseUrl: `${baseUrl}/backend-api` }
  const common = {
    clearanceToken: account.clearanceToken,
    userAgent: account.userAgent,
    // Checked by the library (invalid_argument names the option): '2022' or '2026', a UUID.
    protocol: account.protocol as ChatGPTProtocol | undefined,
    deviceId: account.deviceId,
    ...urls
  }
  try {
    if (account.sessionToken) return { id: account.id, sessionToken: account.sessionToken, accessToken: account.accessToken, ...common }
    return { id: account.id, client: ChatGPTAPI.fromAccessToken({ accessToken: account.accessToken!, ...common }) }
  } catch (error) {
    throw new UsageError(`account "${account.id}": ${(error as Error).message}`)
  }
}

async function loadServer(): Promise<ServerModule> {
  try {
    return await import('chatgpt-kit-server')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError('`chatgpt serve` needs the server side: npm install -g chatgpt-kit-server (next to chatgpt-kit-cli)')
    }
    throw error
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${flag} takes seconds (more than 0)`)
  return Math.round(n * 1000)
}

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a whole number of 1 or more`)
  return n
}
