/**
 * Pools in separate Node processes, sharing one Redis (coordinator and store), over the same
 * accounts of one test backend: the backend must never see two replies at once on an account, nor
 * a "one message at a time" refusal, and a conversation started in one process continues on the
 * same account from another. The processes run the built packages (`npm test` builds first).
 */
import { fileURLToPath } from 'node:url'

import { afterAll, describe, expect, it } from 'vitest'

import { createTestBackend, type TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { runNodeModule } from './helpers/node-module.js'
import { SHARED_REDIS_URL, deletePrefix, testPrefix } from './helpers/redis.js'

const LIBRARY = fileURLToPath(new URL('../packages/chatgpt-kit/build/index.js', import.meta.url))
const SERVER = fileURLToPath(new URL('../packages/chatgpt-kit-server/build/index.js', import.meta.url))

const prefixes: string[] = []
const backends: TestBackend[] = []
afterAll(async () => {
  await Promise.all(backends.map((backend) => backend.close()))
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)))
})

/**
 * A process with its own pool that runs `script` (an async function body given `pool`) and prints
 * its JSON result on one line.
 */
async function inProcess(config: { prefix: string; accounts: unknown[] }, script: string): Promise<unknown> {
  return (await runNodeModule(
      `import { ChatGPTAccountPool } from ${JSON.stringify(LIBRARY)}
       import { RedisCoordinator, RedisStore, connectRedis } from ${JSON.stringify(SERVER)}
       const config = ${JSON.stringify(config)}
       const redis = await connectRedis(${JSON.stringify(SHARED_REDIS_URL)})
       const coordinator = await RedisCoordinator.open({ redis, prefix: config.prefix })
       const pool = new ChatGPTAccountPool({
         accounts: config.accounts,
         coordinator,
         store: new RedisStore({ redis, prefix: config.prefix })
       })
       const result = await (async () => { ${script} })()
       console.log(JSON.stringify(result))
       // The pool closes only what it made itself: the coordinator and connection are ours.
       await pool.close()
       await coordinator.close()
       redis.disconnect()`
  ))
}

async function setup(accountCount: number) {
  const backend = await createTestBackend({ eventDelayMs: 1 })
  backends.push(backend)
  const prefix = testPrefix('multiprocess')
  prefixes.push(prefix)
  const accounts = Array.from({ length: accountCount }, (_, i) => ({
    id: `account-${i}`,
    sessionToken: backend.addAccount({ name: `Account ${i}` }).sessionToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl
  }))
  return { backend, config: { prefix, accounts } }
}

describe('pools in three processes sharing Redis', () => {
  it('40 messages each at once over 4 accounts: every one answered, never two in flight on an account', { timeout: 120_000 }, async () => {
    const { backend, config } = await setup(4)
    const results = (await Promise.all(
      [0, 1, 2].map((n) =>
        inProcess(
          config,
          `const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.sendMessage('process ${n} message ' + i, { timeoutMs: 100_000 })))
           return replies.filter((text) => typeof text === 'string' && text.length > 0).length`
        )
      )
    )) as number[]
    expect(results).toEqual([40, 40, 40])
    const stats = Object.values(backend.replyStats())
    expect(stats).toHaveLength(4)
    for (const account of stats) expect(account).toMatchObject({ inFlight: 0, maxInFlight: 1, refused: 0 })
    // Each message sent once: no collision made any process send again.
    const sent = backend.requests.filter((r) => r.method === 'POST' && r.path === '/backend-api/conversation')
    expect(sent).toHaveLength(120)
  })

  it('a conversation started in process A and continued in process B stays on its account', { timeout: 60_000 }, async () => {
    const { backend, config } = await setup(3)
    const first = (await inProcess(config, `return await pool.sendMessageDetailed('hello from A')`)) as { conversationId: string; messageId: string }
    const owner = backend.conversations.get(first.conversationId)?.ownerId
    expect(owner).toBeDefined()
    const next = (await inProcess(
      config,
      `return await pool.sendMessageDetailed('hello from B', { conversationId: ${JSON.stringify(first.conversationId)}, parentMessageId: ${JSON.stringify(first.messageId)} })`
    )) as { conversationId: string }
    expect(next.conversationId).toBe(first.conversationId)
    expect(backend.conversations.get(first.conversationId)?.ownerId).toBe(owner)
    const nodes = Object.values(backend.conversations.get(first.conversationId)!.mapping)
    expect(nodes.filter((node) => node.message?.author.role === 'user')).toHaveLength(2)
  })
})
