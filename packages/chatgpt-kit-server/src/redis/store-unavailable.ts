import { ChatGPTError } from 'chatgpt-kit'
import type { Redis } from 'ioredis'

/**
 * A Redis failure as the error callers see: `store_unavailable`, naming where Redis was expected
 * and what went wrong, never the URL's password. Shared state that can't be reached is an error,
 * never a silent fall-back to per-process state (that is how N replicas collide N times).
 */
export function storeUnavailable(where: string, error: unknown): ChatGPTError {
  const cause = error instanceof Error ? error.message : String(error)
  return new ChatGPTError(`Redis at ${where} is unavailable: ${cause.slice(0, 200)}`, {
    code: 'store_unavailable',
    originalError: error
  })
}

/**
 * `host:port` (or the socket path) of a connection, for messages when the caller named no
 * `where`: never its password, and better than "Redis at Redis is unavailable".
 */
export function whereOf(redis: Redis): string {
  const { path, host, port } = redis.options ?? {}
  return path || (host ? `${host}:${port ?? 6379}` : 'Redis')
}
