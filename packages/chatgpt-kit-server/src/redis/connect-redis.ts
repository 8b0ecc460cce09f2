/**
 * One Redis connection with the settings shared state needs: a command fails within
 * `commandTimeoutMs` instead of queueing while Redis is away (so a caller learns in bounded time
 * that coordination is down), and the client reconnects by itself so calls resume when Redis
 * comes back.
 */
import { Redis } from 'ioredis'

import { storeUnavailable } from './store-unavailable.js'

export interface RedisConnectionOptions {
  /** How long one command may take before it fails with `store_unavailable`. @defaultValue 2000 */
  commandTimeoutMs?: number
  /** How long the first connection may take. @defaultValue 2000 */
  connectTimeoutMs?: number
}

/** `host:port` (or the socket path) of a Redis URL, for messages: never its password. */
export function redisWhere(url: string): string {
  try {
    const parsed = new URL(url)
    return parsed.host || parsed.pathname
  } catch {
    return 'the configured URL'
  }
}

/**
 * Connects to `url` (`redis://[:password@]host:port[/db]`, `rediss://…`) and resolves once the
 * connection is ready.
 *
 * @throws ChatGPTError `store_unavailable` when Redis doesn't answer within `connectTimeoutMs`.
 */
export async function connectRedis(url: string, options: RedisConnectionOptions = {}): Promise<Redis> {
  const where = redisWhere(url)
  const connectTimeout = options.connectTimeoutMs ?? 2000
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout,
    // Back off up to a second between reconnects, forever: a Redis restart heals by itself.
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000)
  })
  // Without a listener, ioredis reports every failed reconnect as an unhandled 'error' event.
  redis.on('error', () => {})
  try {
    await withTimeout(redis.connect(), connectTimeout)
    return redis
  } catch (error) {
    redis.disconnect()
    throw storeUnavailable(where, error)
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
