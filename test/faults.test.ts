import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { isExempt, proxyFor } from '../packages/chatgpt-kit/src/internal/proxy-fetch.js'
import { decideRetry, retryDelayMs } from '../packages/chatgpt-kit/src/internal/retry.js'
import { retryAfterMs } from '../packages/chatgpt-kit/src/internal/retry-after.js'
import { rejectionOf, setup, until } from './helpers/backend.js'
import { startConnectProxy } from './helpers/connect-proxy.js'

const conversationRequests = (backend: { requests: { path: string }[] }) =>
  backend.requests.filter((r) => r.path === '/backend-api/conversation').length
const sessionRequests = (backend: { requests: { path: string }[] }) =>
  backend.requests.filter((r) => r.path === '/api/auth/session').length

describe('retry policy (pure)', () => {
  const error = (statusCode: number | undefined, code: any, retryAfter?: number) =>
    new ChatGPTError('x', {
      code,
      statusCode,
      retryAfterMs: retryAfter,
      // A network error wraps what fetch rejected with.
      originalError: code === 'network' ? new TypeError('fetch failed') : undefined
    })

  it('retries connection errors, 408, 409, 429 and 5xx, and nothing else', () => {
    for (const [status, code] of [[undefined, 'network'], [408, 'http_error'], [409, 'http_error'], [429, 'rate_limited'], [500, 'server_error'], [503, 'server_error']] as const) {
      expect(decideRetry(error(status, code), 0, 2).retry).toBe(true)
    }
    for (const [status, code] of [[400, 'bad_request'], [401, 'token_expired'], [403, 'cloudflare_challenge'], [404, 'conversation_not_found'], [413, 'message_too_long'], [undefined, 'stream_incomplete'], [undefined, 'timeout']] as const) {
      expect(decideRetry(error(status, code), 0, 2).retry).toBe(false)
    }
    expect(decideRetry(new Error('callback threw'), 0, 2).retry).toBe(false)
  })

  it('stops after maxRetries and refuses waits over the 60 s cap', () => {
    expect(decideRetry(error(500, 'server_error'), 2, 2).retry).toBe(false)
    expect(decideRetry(error(429, 'rate_limited', 61_000), 0, 2).retry).toBe(false)
    expect(decideRetry(error(429, 'rate_limited', 5_000), 0, 2)).toEqual({ retry: true, delayMs: 5_000 })
  })

  it('backs off exponentially with jitter inside [half, full] of each step', () => {
    expect(retryDelayMs(0, undefined, () => 0)).toBe(250)
    expect(retryDelayMs(0, undefined, () => 1)).toBe(500)
    expect(retryDelayMs(3, undefined, () => 0)).toBe(2000)
    expect(retryDelayMs(10, undefined, () => 1)).toBe(8000)
  })

  it('reads retry-after-ms, Retry-After in seconds or as a date, and clears_in', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250)
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000)
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), undefined, now)).toBe(10_000)
    expect(retryAfterMs(new Headers(), { message: 'cool down', clears_in: 4 })).toBe(4000)
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined()
  })
})

describe('retries against the backend', () => {
  it('retries a message the server refused (429, 503 with a wait hint), then succeeds', async () => {
    const { backend, api } = await setup({ reply: () => 'ok' })
    backend.fault({ type: 'status', status: 503, headers: { 'retry-after-ms': '1' } })
    backend.fault({ type: 'status', status: 429, body: { detail: 'Too many requests' }, headers: { 'retry-after-ms': '1' } })
    expect(await api.sendMessage('Hi')).toBe('ok')
    expect(conversationRequests(backend)).toBe(3)
  })

  it('never resends a message after a 500 or 502: the server may have started it', async () => {
    const { backend, api } = await setup({ reply: () => 'ok' })
    for (const status of [500, 502]) {
      backend.fault({ type: 'status', status, headers: { 'retry-after-ms': '1' } })
      const error = await rejectionOf(api.sendMessage('Hi'))
      expect(error.code).toBe('server_error')
    }
    expect(conversationRequests(backend)).toBe(2)
    // A GET is idempotent: the same answer is retried.
    backend.fault({ type: 'status', status: 502, endpoint: 'session' })
    expect(await new ChatGPTAPI({ sessionToken: backend.sessionToken, clearanceToken: backend.clearanceToken, apiBaseUrl: backend.apiBaseUrl, backendApiBaseUrl: backend.backendApiBaseUrl }).getIsAuthenticated()).toBe(true)
  })

  it('gives up after maxRetries with the last error', async () => {
    const { backend, api } = await setup({}, { maxRetries: 1 })
    for (let i = 0; i < 3; i++) backend.fault({ type: 'status', status: 429, headers: { 'retry-after-ms': '1' } })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('rate_limited')
    expect(conversationRequests(backend)).toBe(2)
  })

  it('does not sleep through a long Retry-After: fails with rate_limited and retryAfterMs', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'status', status: 429, body: { detail: 'Too many requests in 1 hour. Try again later.' }, headers: { 'retry-after': '3600' } })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('rate_limited')
    expect(error.retryAfterMs).toBe(3_600_000)
    expect(error.message).toBe('ChatGPT error 429: Too many requests in 1 hour. Try again later.')
    expect(conversationRequests(backend)).toBe(1)
  })

  it('never sends a message again once its reply had started', async () => {
    for (const fault of [{ type: 'reset', afterEvents: 2 }, { type: 'cut', afterEvents: 2 }, { type: 'stream-error', afterEvents: 1 }] as const) {
      const { backend, api } = await setup()
      backend.fault(fault)
      await rejectionOf(api.sendMessage('Hi'))
      expect(conversationRequests(backend)).toBe(1)
    }
  })

  it('retries a connection that failed before any answer', async () => {
    const lines: string[] = []
    const api = new ChatGPTAPI({
      sessionToken: 'session-token-for-a-dead-port',
      apiBaseUrl: 'http://127.0.0.1:9/api',
      maxRetries: 1,
      debug: (line) => lines.push(line)
    })
    const error = await rejectionOf(api.ensureAuth())
    expect(error.code).toBe('network')
    expect(lines.filter((line) => line.includes('retry 1 of 1'))).toHaveLength(1)
  })

  it('retries a session endpoint failure', async () => {
    const { backend, api } = await setup()
    backend.fault({ endpoint: 'session', type: 'status', status: 503, headers: { 'retry-after-ms': '1' } })
    await api.ensureAuth()
    expect(sessionRequests(backend)).toBe(2)
  })

  it('honours a per-call maxRetries of 0', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'status', status: 500 })
    expect((await rejectionOf(api.sendMessage('Hi', { maxRetries: 0 }))).code).toBe('server_error')
    expect(conversationRequests(backend)).toBe(1)
  })
})

describe('re-authentication', () => {
  it('refreshes an expired access token once and sends again', async () => {
    const { backend, api } = await setup({ reply: () => 'ok' }, { accessTokenTTL: 3_600_000 })
    await api.ensureAuth()
    backend.expireAccessTokens()
    expect(await api.sendMessage('Hi')).toBe('ok')
    expect(sessionRequests(backend)).toBe(2)
    expect(conversationRequests(backend)).toBe(2)
  })

  it('re-authenticates only once per call', async () => {
    const { backend, api } = await setup()
    const body = { detail: { message: 'Your authentication token has expired.', code: 'token_expired' } }
    backend.fault({ type: 'status', status: 401, body })
    backend.fault({ type: 'status', status: 401, body })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('token_expired')
    expect(conversationRequests(backend)).toBe(2)
  })
})

describe('Cloudflare', () => {
  it.each(['session', 'conversation'] as const)('names a challenge on the %s endpoint and says what to do', async (endpoint) => {
    const { backend, api } = await setup()
    backend.fault({ endpoint, type: 'cloudflare' })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('cloudflare_challenge')
    expect(error.message).toMatch(/fresh one from a browser on the same IP/)
    expect(error.message).not.toMatch(/<|Just a moment/)
    expect(backend.requests).toHaveLength(endpoint === 'session' ? 1 : 2)
  })
})

describe('one reply in flight per account', () => {
  it('queues concurrent messages instead of colliding into 429', async () => {
    const { backend, api } = await setup({ eventDelayMs: 2, reply: (prompt) => `re: ${prompt}` }, { maxRetries: 0 })
    const replies = await Promise.all(['a', 'b', 'c', 'd'].map((prompt) => api.sendMessage(prompt)))
    expect(replies).toEqual(['re: a', 're: b', 're: c', 're: d'])
    expect(conversationRequests(backend)).toBe(4)
  })

  it('fails fast with queue_full past maxQueueSize', async () => {
    const { api } = await setup({ eventDelayMs: 2 }, { maxQueueSize: 1 })
    const results = await Promise.allSettled([api.sendMessage('a'), api.sendMessage('b'), api.sendMessage('c')])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected'])
    expect((results[2] as PromiseRejectedResult).reason.code).toBe('queue_full')
  })

  it('lets a queued call time out or be aborted while it waits, without sending it', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'stall' })
    const first = api.sendMessage('first', { timeoutMs: 5_000 })
    await until(() => backend.inFlight === 1, 'the first reply to start')

    const timedOut = await rejectionOf(api.sendMessage('second', { timeoutMs: 50 }))
    expect(timedOut.code).toBe('timeout')
    const controller = new AbortController()
    const aborted = api.sendMessage('third', { abortSignal: controller.signal })
    controller.abort(new Error('not any more'))
    expect((await rejectionOf(aborted)).message).toBe('not any more')
    expect(conversationRequests(backend)).toBe(1)

    expect((await rejectionOf(first)).code).toBe('timeout')
  }, 15_000)
})

describe('idle timeout', () => {
  it('ends a silent stream with a clear timeout error even without timeoutMs', async () => {
    const { backend, api } = await setup({}, { idleTimeoutMs: 200 })
    backend.fault({ type: 'stall', afterEvents: 2 })
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error.code).toBe('timeout')
    expect(error.message).toMatch(/sent nothing for 0\.2 s/)
    expect(error.partialText).toBeTruthy()
    await until(() => backend.inFlight === 0, 'the request to be aborted')
  })

  it('does not count a retry backoff as silence', async () => {
    const { backend, api } = await setup({ reply: () => 'ok' }, { idleTimeoutMs: 300 })
    backend.fault({ type: 'status', status: 429, body: { detail: 'slow down' }, headers: { 'retry-after-ms': '450' } })
    expect(await api.sendMessage('Hi')).toBe('ok')
    expect(conversationRequests(backend)).toBe(2)
  })

  it('does not fire while bytes keep arriving', async () => {
    const { api } = await setup({ eventDelayMs: 30, reply: () => 'one two three four five six seven eight nine ten' }, { idleTimeoutMs: 150 })
    expect(await api.sendMessage('Hi')).toBe('one two three four five six seven eight nine ten')
  })
})

describe('transport', () => {
  it('sends every request through the proxy option', async () => {
    const proxy = await startConnectProxy()
    try {
      const { backend, api } = await setup({ reply: () => 'via proxy' }, { proxy: proxy.url })
      expect(await api.sendMessage('Hi')).toBe('via proxy')
      expect(proxy.targets.length).toBeGreaterThan(0)
      expect(new Set(proxy.targets)).toEqual(new Set([new URL(backend.url).host]))
    } finally {
      await proxy.close()
    }
  })

  it('reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY', () => {
    const env = { HTTPS_PROXY: 'http://p:1', http_proxy: 'http://q:2', NO_PROXY: 'localhost,.internal.example,10.0.0.1:8080' }
    expect(proxyFor(new URL('https://chat.openai.com/api'), undefined, env)).toBe('http://p:1')
    expect(proxyFor(new URL('http://example.com/'), undefined, env)).toBe('http://q:2')
    expect(proxyFor(new URL('http://localhost:3000/'), undefined, env)).toBeUndefined()
    expect(proxyFor(new URL('https://api.internal.example/'), undefined, env)).toBeUndefined()
    expect(proxyFor(new URL('http://10.0.0.1:8080/'), undefined, env)).toBeUndefined()
    expect(proxyFor(new URL('http://10.0.0.1:9090/'), undefined, env)).toBe('http://q:2')
    expect(proxyFor(new URL('http://localhost/'), 'http://explicit:3', env)).toBe('http://explicit:3')
    expect(isExempt(new URL('http://anything/'), '*')).toBe(true)
  })

  it('uses an injected fetch for every request', async () => {
    const seen: string[] = []
    const { api } = await setup({}, {
      fetch: (input, init) => {
        seen.push(new URL(String(input)).pathname)
        return fetch(input, init)
      }
    })
    await api.sendMessage('Hi')
    expect(seen).toEqual(['/api/auth/session', '/backend-api/conversation'])
  })
})

describe('bad input fails at once with invalid_argument', () => {
  const base = { sessionToken: 'a-valid-session-token' }
  it.each([
    ['a token with CR/LF', { sessionToken: 'abc\r\ndef' }],
    ['a token with ;', { ...base, clearanceToken: 'abc;def' }],
    ['a token with a space', { ...base, accessToken: 'abc def' }],
    ['a negative TTL', { ...base, accessTokenTTL: -1 }],
    ['an idle timeout that is not a number', { ...base, idleTimeoutMs: NaN }],
    ['a fractional maxRetries', { ...base, maxRetries: 1.5 }],
    ['a base URL that is not a URL', { ...base, apiBaseUrl: 'chat.openai.com' }],
    ['a proxy that is not a URL', { ...base, proxy: 'nope' }]
  ])('constructor: %s', (_name, options) => {
    let error: any
    try {
      new ChatGPTAPI(options as never)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('invalid_argument')
  })

  it.each([
    ['an empty message', '', {}],
    ['a non-string message', 42, {}],
    ['a conversation id that is not a UUID', 'Hi', { conversationId: 'abc' }],
    ['a parent id that is not a UUID', 'Hi', { parentMessageId: '../../etc' }],
    ['a negative timeout', 'Hi', { timeoutMs: -5 }],
    ['a NaN timeout', 'Hi', { timeoutMs: NaN }]
  ])('sendMessage: %s', async (_name, message, options) => {
    const { backend, api } = await setup()
    const error = await rejectionOf(api.sendMessage(message as never, options as never))
    expect(error.code).toBe('invalid_argument')
    expect(backend.requests).toHaveLength(0)
  })
})
