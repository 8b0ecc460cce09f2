/**
 * A Lua script run by its SHA (EVALSHA), sent whole only when Redis doesn't know it yet
 * (NOSCRIPT: a restart or SCRIPT FLUSH), so the usual cost is one short round trip.
 */
import { createHash } from 'node:crypto'

import type { Redis } from 'ioredis'

export class LuaScript {
  readonly #source: string
  readonly #sha: string

  constructor(source: string) {
    this.#source = source
    this.#sha = createHash('sha1').update(source).digest('hex')
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
      return await redis.eval(this.#source, keys.length, ...keys, ...args)
    }
  }
}
