/**
 * After an outage a subscribed connection and the command connection come back each on its own
 * schedule. Work a subscriber's 'ready' triggers (read the marks again, let waiters look again)
 * runs commands, so it waits for the command connection: run at once, it fails with "Stream
 * isn't writeable" and a waiter is failed although Redis is back.
 */
import type { Redis } from 'ioredis'

const pending = new WeakMap<Redis, Set<() => void>>()

/** Runs `then` once `redis` takes commands: now if it does, else on its next 'ready' (once, however often asked). */
export function whenReady(redis: Redis, then: () => void): void {
  if (redis.status === 'ready') return then()
  let waiting = pending.get(redis)
  if (!waiting) {
    const set = new Set<() => void>()
    pending.set(redis, (waiting = set))
    redis.once('ready', () => {
      pending.delete(redis)
      for (const run of set) run()
    })
  }
  waiting.add(then)
}
