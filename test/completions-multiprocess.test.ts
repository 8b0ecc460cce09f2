/**
 * A conversation of `ChatGPTCompletionsAPI` outlives its process: with the SQLite store (one
 * machine) or the Redis store (many hosts), a new process continues where the first left off,
 * sending the first process's exchange as context. The processes run the built packages.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, describe, expect, it } from 'vitest'

import { createTestBackend, type TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { runNodeModule } from './helpers/node-module.js'
import { SHARED_REDIS_URL, deletePrefix, testPrefix } from './helpers/redis.js'

const LIBRARY = fileURLToPath(new URL('../packages/chatgpt-kit/build/index.js', import.meta.url))
const SERVER = fileURLToPath(new URL('../packages/chatgpt-kit-server/build/index.js', import.meta.url))

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup()
})

/** One process: a client on `storeCode`'s store sends `message` after `parentMessageId`, prints the reply. */
async function inProcess(backend: TestBackend, storeCode: string, message: string, parentMessageId?: string) {
  return (await runNodeModule(
      `import { ChatGPTCompletionsAPI } from ${JSON.stringify(LIBRARY)}
       import { SqliteStore, RedisStore, connectRedis } from ${JSON.stringify(SERVER)}
       const { store, close } = await (async () => { ${storeCode} })()
       const api = new ChatGPTCompletionsAPI({ apiKey: ${JSON.stringify(backend.apiKey)}, apiBaseUrl: ${JSON.stringify(backend.v1BaseUrl)}, store, systemMessage: '' })
       const reply = await api.sendMessageDetailed(${JSON.stringify(message)}, { parentMessageId: ${JSON.stringify(parentMessageId)} })
       console.log(JSON.stringify(reply))
       await close()`
  )) as { messageId: string; conversationId: string; text: string }
}

async function twoProcesses(storeCode: string) {
  const backend = await createTestBackend({ reply: (prompt) => `echo ${prompt}` })
  cleanups.push(() => backend.close())
  const first = await inProcess(backend, storeCode, 'remember the word kiwi')
  const second = await inProcess(backend, storeCode, 'which word?', first.messageId)
  expect(second.conversationId).toBe(first.conversationId)
  const bodies = backend.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as { messages: unknown[] })
  expect(bodies[1]!.messages).toEqual([
    { role: 'user', content: 'remember the word kiwi' },
    { role: 'assistant', content: 'echo remember the word kiwi' },
    { role: 'user', content: 'which word?' }
  ])
}

describe('a Completions conversation continued by another process', () => {
  it('with the SQLite store', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatgpt-kit-completions-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const path = join(dir, 'conversations.sqlite')
    await twoProcesses(`const store = SqliteStore.open({ path: ${JSON.stringify(path)} }); return { store, close: () => store.close() }`)
  })

  it('with the Redis store', { timeout: 60_000 }, async () => {
    const prefix = testPrefix('completions')
    cleanups.push(() => deletePrefix(prefix))
    await twoProcesses(
      `const redis = await connectRedis(${JSON.stringify(SHARED_REDIS_URL)})
       const store = new RedisStore({ redis, prefix: ${JSON.stringify(prefix)} })
       return { store, close: async () => { await store.close(); redis.disconnect() } }`
    )
  })
})
