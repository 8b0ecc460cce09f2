import { afterEach } from 'vitest'

import {
  ChatGPTAccountPool,
  type ChatGPTAccountPoolOptions,
  type ChatGPTPoolAccount
} from '../../packages/chatgpt-kit/src/index.js'
import { createTestBackend, type TestAccount, type TestBackend, type TestBackendOptions } from '../../packages/chatgpt-kit/src/testing/index.js'

/** A pool account given as client options (not as a client). */
export type PoolAccountOptions = Extract<ChatGPTPoolAccount, { sessionToken: string }>

const pools: ChatGPTAccountPool[] = []
const backends: TestBackend[] = []

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()))
  await Promise.all(backends.splice(0).map((backend) => backend.close()))
})

export type PoolSetup = {
  backend: TestBackend
  pool: ChatGPTAccountPool
  /** The backend's accounts, by pool account id ('a', 'b', …). */
  accounts: Record<string, TestAccount>
  /** The pool account ids, in the pool's order. */
  ids: string[]
  /** The pool account a conversation lives on at the backend (its owner). */
  ownerOf(conversationId: string): string
  /** The options of a pool account on this backend (for building more pools over it). */
  accountOptions(id: string): PoolAccountOptions
}

/** A test backend with `count` accounts ('a', 'b', …) and a pool over them, closed after the test. */
export async function poolSetup(
  count: number,
  backendOptions: TestBackendOptions = {},
  poolOptions: Partial<ChatGPTAccountPoolOptions> = {}
): Promise<PoolSetup> {
  const backend = await createTestBackend(backendOptions)
  backends.push(backend)
  const ids = Array.from({ length: count }, (_, i) => String.fromCharCode(97 + i))
  const accounts = Object.fromEntries(ids.map((id) => [id, backend.addAccount({ name: `Account ${id}` })]))
  const byUser = new Map(Object.entries(accounts).map(([id, account]) => [account.user.id, id]))
  const accountOptions = (id: string): PoolAccountOptions => ({
    id,
    sessionToken: accounts[id]!.sessionToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl
  })
  const pool = new ChatGPTAccountPool({ accounts: ids.map(accountOptions), ...poolOptions })
  pools.push(pool)
  return {
    backend,
    pool,
    accounts,
    ids,
    accountOptions,
    ownerOf(conversationId) {
      const owner = backend.conversations.get(conversationId)?.ownerId
      const id = owner === undefined ? undefined : byUser.get(owner)
      if (id === undefined) throw new Error(`no pool account owns conversation ${conversationId}`)
      return id
    }
  }
}

/** A pool closed after the test. */
export function track(pool: ChatGPTAccountPool): ChatGPTAccountPool {
  pools.push(pool)
  return pool
}

/** How many conversation requests (POST /backend-api/conversation) the backend received. */
export function conversationPosts(backend: TestBackend): number {
  return backend.requests.filter((r) => r.method === 'POST' && r.path === '/backend-api/conversation').length
}
