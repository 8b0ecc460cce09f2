/**
 * Contract 5: retries don't nest — the session request is retried at its one level, and a failed
 * sign-in is not retried again by the request that needed it.
 *
 * Contract 9: Retry-After is a hint only when it is one (delay-seconds, an HTTP date, or
 * retry-after-ms), on every endpoint and every status that carries it; a wait over the cap fails
 * at once with `retryAfterMs` set.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, setup } from './helpers/backend.js'
import { rejectionWithin } from './helpers/raw-server.js'

const countPath = (backend: { requests: { path: string }[] }, path: string) =>
  backend.requests.filter((r) => r.path === path).length
const sessionRequests = (backend: { requests: { path: string }[] }) => countPath(backend, '/api/auth/session')
const conversationRequests = (backend: { requests: { path: string }[] }) => countPath(backend, '/backend-api/conversation')

describe('contract 5: retries do not nest', () => {
  const persistentSession503 = (backend: { fault: (f: any) => void }) => {
    for (let i = 0; i < 20; i++) {
      backend.fault({ endpoint: 'session', type: 'status', status: 503, headers: { 'retry-after-ms': '1' } })
    }
  }

  it('a persistent 503 on /auth/session with maxRetries 2: one sendMessage makes at most 3 session requests', async () => {
    const { backend, api } = await setup({}, { maxRetries: 2 })
    persistentSession503(backend)
    const error = await rejectionWithin(api.sendMessage('Hi'), 15_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(sessionRequests(backend)).toBeLessThanOrEqual(3)
    expect(sessionRequests(backend)).toBeGreaterThanOrEqual(1)
    expect(conversationRequests(backend)).toBe(0)
  }, 20_000)

  it('(extra) the same for a backend JSON call (getModels): at most 3 session requests', async () => {
    const { backend, api } = await setup({}, { maxRetries: 2 })
    persistentSession503(backend)
    const error = await rejectionWithin(api.getModels(), 15_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(sessionRequests(backend)).toBeLessThanOrEqual(3)
  }, 20_000)

  it('(guard) ensureAuth alone: exactly 3 session requests with maxRetries 2', async () => {
    const { backend, api } = await setup({}, { maxRetries: 2 })
    persistentSession503(backend)
    expect((await rejectionOf(api.ensureAuth())).code).toBe('server_error')
    expect(sessionRequests(backend)).toBe(3)
  })
})

describe('contract 9: Retry-After', () => {
  it("(a) /auth/session 429 with Retry-After: 3600 → rejects at once: 1 session request, 'rate_limited', retryAfterMs 3_600_000", async () => {
    const { backend, api } = await setup()
    for (let i = 0; i < 10; i++) {
      backend.fault({ endpoint: 'session', type: 'status', status: 429, headers: { 'retry-after': '3600' } })
    }
    const error = await rejectionWithin(api.sendMessage('Hi'), 15_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('rate_limited')
    expect(error.retryAfterMs).toBe(3_600_000)
    expect(sessionRequests(backend)).toBe(1)
    expect(conversationRequests(backend)).toBe(0)
  }, 20_000)

  it("(b) a 503 with Retry-After: 3600 on the conversation POST → 'server_error', retryAfterMs 3_600_000, 1 POST", async () => {
    const { backend, api } = await setup()
    for (let i = 0; i < 5; i++) {
      backend.fault({ type: 'status', status: 503, headers: { 'retry-after': '3600' } })
    }
    const error = await rejectionWithin(api.sendMessage('Hi'), 15_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(error.retryAfterMs).toBe(3_600_000)
    expect(conversationRequests(backend)).toBe(1)
  }, 20_000)

  it.each([
    ['-5', '(c)'],
    ['0x10', '(extra: not 1*DIGIT)'],
    ['1e3', '(extra: not 1*DIGIT)']
  ])('Retry-After: %s %s on a 429 is no hint: retryAfterMs undefined (maxRetries 0)', async (value) => {
    const { backend, api } = await setup()
    backend.fault({ type: 'status', status: 429, body: { detail: 'slow down' }, headers: { 'retry-after': value } })
    const error = await rejectionOf(api.sendMessage('Hi', { maxRetries: 0 }))
    expect(error.code).toBe('rate_limited')
    expect(error.retryAfterMs).toBeUndefined()
  })

  it("(extra) an empty retry-after-ms is no hint (it is not '0 ms')", async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'status', status: 429, body: { detail: 'slow down' }, headers: { 'retry-after-ms': '' } })
    const error = await rejectionOf(api.sendMessage('Hi', { maxRetries: 0 }))
    expect(error.code).toBe('rate_limited')
    expect(error.retryAfterMs).toBeUndefined()
  })

  it('(extra) /auth/session 503 with Retry-After: 3600, reached through getModels → retryAfterMs 3_600_000, 1 session request', async () => {
    const { backend, api } = await setup()
    for (let i = 0; i < 10; i++) backend.fault({ endpoint: 'session', type: 'status', status: 503, headers: { 'retry-after': '3600' } })
    const error = await rejectionWithin(api.getModels(), 15_000)
    expect(error.code).toBe('server_error')
    expect(error.retryAfterMs).toBe(3_600_000)
    expect(sessionRequests(backend)).toBe(1)
  }, 20_000)

  it('(guard) the 429 Retry-After: 3600 on the conversation POST keeps working', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'status', status: 429, body: { detail: 'later' }, headers: { 'retry-after': '3600' } })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('rate_limited')
    expect(error.retryAfterMs).toBe(3_600_000)
    expect(conversationRequests(backend)).toBe(1)
  })
})
