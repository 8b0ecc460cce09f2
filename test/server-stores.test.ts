/**
 * The server package's conversation stores, SQLite and Redis: the same contract suite as the
 * memory store, and a writer killed with SIGKILL in the middle of large writes, after which every
 * record reads whole or not at all.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import Database from 'better-sqlite3'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { ConversationStore, StoredMessage } from '../packages/chatgpt-kit/src/index.js'
import { connectRedis } from '../packages/chatgpt-kit-server/src/redis/connect-redis.js'
import { RedisStore } from '../packages/chatgpt-kit-server/src/stores/redis-store.js'
import { SqliteStore } from '../packages/chatgpt-kit-server/src/stores/sqlite-store.js'
import { SHARED_REDIS_URL, deletePrefix, testPrefix } from './helpers/redis.js'
import { describeStoreContract } from './helpers/store-contract.js'

const SERVER_BUILD = fileURLToPath(new URL('../packages/chatgpt-kit-server/build/index.js', import.meta.url))

let dir: string
let redis: Redis
const prefixes: string[] = []
const paths = new WeakMap<ConversationStore, string>()
const storePrefixes = new WeakMap<ConversationStore, string>()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatgpt-kit-stores-'))
  redis = await connectRedis(SHARED_REDIS_URL)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)))
  redis.disconnect()
})

let files = 0
describeStoreContract('SqliteStore', {
  async create() {
    const path = join(dir, `contract-${files++}`, 'store.sqlite')
    const store = SqliteStore.open({ path })
    paths.set(store, path)
    return store
  },
  async reopen(closed) {
    const store = SqliteStore.open({ path: paths.get(closed)! })
    paths.set(store, paths.get(closed)!)
    return store
  }
})

describeStoreContract('RedisStore', {
  async create() {
    const prefix = testPrefix('store')
    prefixes.push(prefix)
    const store = new RedisStore({ redis, prefix })
    storePrefixes.set(store, prefix)
    return store
  },
  async reopen(closed) {
    const prefix = storePrefixes.get(closed)!
    const store = new RedisStore({ redis, prefix })
    storePrefixes.set(store, prefix)
    return store
  }
})

/** A message big enough that a kill often lands inside its write; its text says what it must be. */
const RECORD_CHARS = 400_000
const expectedText = (n: number) => `${n}:`.padEnd(RECORD_CHARS, String.fromCharCode(97 + (n % 26)))

/**
 * Starts a process that rewrites messages `m0`…`m19` in a loop through `storeExpression`, each
 * put carrying a new generation `n`, and kills it with SIGKILL once it has written for a while.
 */
async function killWriterMidWay(storeExpression: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import * as server from ${JSON.stringify(SERVER_BUILD)}
       const store = await (${storeExpression})
       const text = (n) => (n + ':').padEnd(${RECORD_CHARS}, String.fromCharCode(97 + (n % 26)))
       for (let n = 0; ; n++) {
         await store.putMessage({ id: 'm' + (n % 20), role: 'assistant', text: text(n), createdAt: n, metadata: { n } })
         if (n === 60) console.log('writing')
       }`
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  const [line] = (await once(child.stdout!, 'data')) as [Buffer]
  expect(line.toString()).toContain('writing')
  // Let it get well into the next writes, then cut it off without warning.
  await new Promise((resolve) => setTimeout(resolve, 150))
  child.kill('SIGKILL')
  await once(child, 'exit')
}

async function expectEveryRecordWhole(store: ConversationStore): Promise<void> {
  let seen = 0
  for (let i = 0; i < 20; i++) {
    const message = (await store.getMessage(`m${i}`)) as StoredMessage | undefined
    if (message === undefined) continue
    seen++
    const n = (message.metadata as { n: number }).n
    expect(message.createdAt).toBe(n)
    expect(message.text.length).toBe(RECORD_CHARS)
    expect(message.text === expectedText(n), `m${i} holds generation ${n} whole`).toBe(true)
  }
  expect(seen).toBe(20)
}

describe('a writer killed mid-way', () => {
  it('SqliteStore: every record reads whole, and the file passes an integrity check', async () => {
    const path = join(dir, 'killed', 'store.sqlite')
    await killWriterMidWay(`server.SqliteStore.open({ path: ${JSON.stringify(path)} })`)
    const store = SqliteStore.open({ path })
    await expectEveryRecordWhole(store)
    await store.close()
    const db = new Database(path, { readonly: true })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()
  })

  it('RedisStore: every record reads whole', async () => {
    const prefix = testPrefix('killed')
    prefixes.push(prefix)
    await killWriterMidWay(
      `server.connectRedis(${JSON.stringify(SHARED_REDIS_URL)}).then((redis) => new server.RedisStore({ redis, prefix: ${JSON.stringify(prefix)} }))`
    )
    await expectEveryRecordWhole(new RedisStore({ redis, prefix }))
  })
})

describe('SqliteStore and RedisStore errors', () => {
  it('a SQLite path that cannot be a database fails with store_unavailable naming the path', async () => {
    const error = (() => {
      try {
        SqliteStore.open({ path: '/dev/null/store.sqlite' })
      } catch (e) {
        return e as { code?: string; message: string }
      }
    })()
    expect(error?.code).toBe('store_unavailable')
    expect(error?.message).toContain('/dev/null/store.sqlite')
  })

  it('a SQLite file that is not a database fails with store_unavailable', async () => {
    const path = join(dir, 'not-a-db.sqlite')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(path, 'this is not a database, it is a text file that someone put here'.repeat(100))
    expect(() => SqliteStore.open({ path })).toThrow(expect.objectContaining({ code: 'store_unavailable' }))
  })

  it('a Redis key under the prefix that is not a record fails with store_unavailable, not garbage', async () => {
    const prefix = testPrefix('garbage')
    prefixes.push(prefix)
    await redis.set(`${prefix}binding:c1`, '{"conversationId":')
    const store = new RedisStore({ redis, prefix })
    await expect(store.getBinding('c1')).rejects.toMatchObject({ code: 'store_unavailable' })
  })
})
