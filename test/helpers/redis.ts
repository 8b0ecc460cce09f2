/**
 * A real redis-server for the tests: the shared one on 127.0.0.1:6379 (`.ci/redis` makes sure it
 * runs) under a key prefix of the test's own, or a private one on a free port that a test may stop
 * and start again.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'

import { Redis } from 'ioredis'

export const SHARED_REDIS_URL = process.env.CHATGPT_KIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A prefix no other run or test uses. */
export function testPrefix(label = 'test'): string {
  return `chatgpt-kit-test:${label}:${randomUUID().slice(0, 8)}:`
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(prefix: string, url = SHARED_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** A redis-server of the test's own, on a free port, that keeps nothing on disk. */
export class PrivateRedis {
  #child: ChildProcess | undefined
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort())
    await redis.start()
    return redis
  }

  /** Starts (again) on the same port, and resolves once it answers. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit']
    })
    this.#child = child
    let output = ''
    child.stdout!.setEncoding('utf8')
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        output += chunk
        if (output.includes('Ready to accept connections')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)))
    })
    child.stdout!.resume()
  }

  /** Stops it at once (SIGKILL: no goodbye to its clients). */
  async stop(): Promise<void> {
    const child = this.#child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await once(child, 'exit')
  }
}
