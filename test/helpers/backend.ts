import { afterEach } from 'vitest'

import { ChatGPTAPI, type ChatGPTAPIOptions } from '../../packages/chatgpt-kit/src/index.js'
import { createTestBackend, type TestBackend, type TestBackendOptions } from '../../packages/chatgpt-kit/src/testing/index.js'

const open: TestBackend[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((backend) => backend.close()))
})

/** A test backend closed after the test, and a client signed in to it. */
export async function setup(
  backendOptions: TestBackendOptions = {},
  clientOptions: Partial<ChatGPTAPIOptions> = {}
): Promise<{ backend: TestBackend; api: ChatGPTAPI }> {
  const backend = await createTestBackend(backendOptions)
  open.push(backend)
  const api = new ChatGPTAPI({
    sessionToken: backend.sessionToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    ...clientOptions
  })
  return { backend, api }
}

/** The rejection of a promise that must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** Waits until `condition` holds, polling the event loop (no wall-clock assertions). */
export async function until(condition: () => boolean, what: string, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`gave up waiting for ${what}`)
}
