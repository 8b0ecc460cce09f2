// The pool both sides of the gateway bench use: the bench backend's accounts, the in-process
// coordinator and a memory store (as `chatgpt serve --store memory` builds it), so that the only
// difference between the two sides is the gateway.
import { ChatGPTAccountPool, MemoryStore } from 'chatgpt-kit'

/** A pool over every account of `backend` (the JSON line bench/backend-process.mjs prints). */
export function benchPool(backend) {
  const store = new MemoryStore()
  const accounts = backend.sessionTokens.map((sessionToken, i) => ({
    id: `bench-${i}`,
    sessionToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl
  }))
  return { pool: new ChatGPTAccountPool({ accounts, store, maxQueueSize: 10_000 }), store }
}

/** CPU milliseconds (user + system) this process has used so far. */
export function cpuMs() {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
