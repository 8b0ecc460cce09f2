/**
 * The soak's test backend, in a worker thread of its own: its recorded requests and conversation
 * trees grow with every message, and on a separate V8 heap they do not blur the client's heap
 * measurement. The main thread drives it with small RPC messages.
 */
import { parentPort, workerData } from 'node:worker_threads'

import { createTestBackend } from 'chatgpt/testing'

import { soakReply } from './soak-reply.mjs'

const { accounts: accountCount, chunking } = workerData

const backend = await createTestBackend({
  eventDelayMs: 0,
  chunking,
  reply: (prompt) => soakReply(prompt)
})
backend.rotateSessionTokens = true
const sessionTokens = [backend.sessionToken]
for (let i = 1; i < accountCount; i++) sessionTokens.push(backend.addAccount().sessionToken)

const ops = {
  fault: (fault) => backend.fault(fault),
  expireAccessTokens: () => backend.expireAccessTokens(),
  shape: (shape) => {
    backend.shape = shape
  },
  stats: () => ({
    requests: backend.requests.length,
    inFlight: backend.inFlight,
    conversations: backend.conversations.size
  }),
  close: () => backend.close()
}

parentPort.on('message', async ({ id, op, arg }) => {
  try {
    parentPort.postMessage({ id, result: await ops[op](arg) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error?.stack ?? error) })
  }
})

parentPort.postMessage({
  ready: {
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    clearanceToken: backend.clearanceToken,
    userAgent: backend.userAgent,
    sessionTokens
  }
})
