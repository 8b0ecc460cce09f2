import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, setup } from './helpers/backend.js'

const SEED_USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36'

describe('new ChatGPTAPI', () => {
  it('throws ChatGPTError("ChatGPT invalid session token") without a session token', () => {
    for (const sessionToken of [undefined, '']) {
      const error = rejectionOfSync(() => new ChatGPTAPI({ sessionToken } as never))
      expect(error).toBeInstanceOf(ChatGPTError)
      expect(error.message).toBe('ChatGPT invalid session token')
    }
  })

  it('refuses a token that would break a header, without echoing it', () => {
    const error = rejectionOfSync(
      () => new ChatGPTAPI({ sessionToken: 'abc\r\nX-Evil: 1', clearanceToken: 'x' })
    )
    expect(error.code).toBe('invalid_argument')
    expect(error.message).not.toContain('X-Evil')
  })
})

function rejectionOfSync(fn: () => unknown): any {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('refreshAccessToken', () => {
  it('sends the seed headers and both cookies, and sets user', async () => {
    const { backend, api } = await setup()
    expect(api.user).toBeNull()
    const token = await api.ensureAuth()
    expect(token).toEqual(expect.any(String))
    expect(api.user).toMatchObject({ id: expect.any(String), name: expect.any(String) })

    const [request] = backend.requests
    expect(request!.path).toBe('/api/auth/session')
    expect(request!.headers).toMatchObject({
      'user-agent': SEED_USER_AGENT,
      'x-openai-assistant-app-id': '',
      'accept-language': 'en-US,en;q=0.9',
      origin: 'https://chat.openai.com',
      referer: 'https://chat.openai.com/chat',
      cookie: `cf_clearance=${backend.clearanceToken}; __Secure-next-auth.session-token=${backend.sessionToken}`
    })
  })

  it('caches the access token for accessTokenTTL and shares one request between concurrent callers', async () => {
    const { backend, api } = await setup({}, { accessTokenTTL: 60_000 })
    const tokens = await Promise.all([api.refreshAccessToken(), api.ensureAuth(), api.getIsAuthenticated()])
    await api.refreshAccessToken()
    expect(tokens[0]).toBe(tokens[1])
    expect(tokens[2]).toBe(true)
    expect(backend.requests.filter((r) => r.path === '/api/auth/session')).toHaveLength(1)
  })

  it('refreshes again once the TTL has passed', async () => {
    const { backend, api } = await setup({}, { accessTokenTTL: 1 })
    await api.refreshAccessToken()
    await new Promise((resolve) => setTimeout(resolve, 5))
    await api.refreshAccessToken()
    expect(backend.requests.filter((r) => r.path === '/api/auth/session')).toHaveLength(2)
  })

  it('uses an access token given to the constructor without asking the server', async () => {
    const { backend, api } = await setup({}, { accessToken: 'preset-access-token-123' })
    expect(await api.refreshAccessToken()).toBe('preset-access-token-123')
    expect(backend.requests).toHaveLength(0)
  })

  it.each([
    ['an invalid session', (b: any) => b.revokeSession(b.sessionToken), 'Unauthorized', 'unauthorized'],
    ['an expired session', (b: any) => b.expireSession(b.sessionToken), 'session token may have expired', 'session_expired']
  ])('says why it failed on %s', async (_name, arrange, reason, code) => {
    const { backend, api } = await setup()
    arrange(backend)
    const error = await rejectionOf(api.refreshAccessToken())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.message).toBe(`ChatGPT failed to refresh auth token. ${reason}`)
    expect(error.code).toBe(code)
    expect(error.statusCode).toBe(200)
    expect(await api.getIsAuthenticated()).toBe(false)
    expect(api.user).toBeNull()
  })

  it('names a Cloudflare challenge, without the HTML page, for a stale clearance', async () => {
    const { backend, api } = await setup()
    backend.rotateClearance()
    const error = await rejectionOf(api.refreshAccessToken())
    expect(error.code).toBe('cloudflare_challenge')
    expect(error.statusCode).toBe(403)
    expect(error.message).toMatch(/^ChatGPT failed to refresh auth token\. Cloudflare challenge/)
    expect(error.message).not.toMatch(/<|Just a moment|_cf_chl_opt/)
  })

  it('names a Cloudflare challenge when the User-Agent is not the one the clearance was issued to', async () => {
    const { api } = await setup({}, { userAgent: 'curl/8.0' })
    const error = await rejectionOf(api.refreshAccessToken())
    expect(error.code).toBe('cloudflare_challenge')
  })

  it('gives the HTTP status of any other failure', async () => {
    const { backend, api } = await setup({}, { maxRetries: 0 })
    backend.fault({ endpoint: 'session', type: 'status', status: 502 })
    const error = await rejectionOf(api.refreshAccessToken())
    expect(error.message).toMatch(/^ChatGPT failed to refresh auth token\. HTTP 502/)
    expect(error.code).toBe('server_error')
    expect(error.statusCode).toBe(502)
  })

  it('passes on an unknown session error as the reason', async () => {
    const { backend, api } = await setup()
    backend.fault({ endpoint: 'session', type: 'stream-error' })
    const error = await rejectionOf(api.refreshAccessToken())
    expect(error.message).toMatch(/^ChatGPT failed to refresh auth token\. \S/)
    expect(error.code).toBe('unauthorized')
  })

  it('fails clearly on a body that is not JSON, and recovers on the next call', async () => {
    const { backend, api } = await setup()
    backend.fault({ endpoint: 'session', type: 'html' })
    const error = await rejectionOf(api.refreshAccessToken())
    expect(error.code).toBe('invalid_response')
    expect(error.message).not.toContain('<')
    expect(await api.getIsAuthenticated()).toBe(true)
  })

  it('picks up a session token rotated by the server', async () => {
    const { backend, api } = await setup({}, { accessTokenTTL: 0 })
    backend.rotateSessionTokens = true
    await api.refreshAccessToken()
    backend.revokeSession(backend.sessionToken)
    await api.refreshAccessToken()
    const cookies = backend.requests.map((r) => r.headers.cookie)
    expect(cookies[1]).not.toContain(backend.sessionToken)
  })

  it('rejects with a network error when nothing listens', async () => {
    const api = new ChatGPTAPI({ sessionToken: 'session-token-xyz', apiBaseUrl: 'http://127.0.0.1:9/api' })
    const error = await rejectionOf(api.refreshAccessToken())
    expect(error.code).toBe('network')
    expect(error.message).toMatch(/^ChatGPT failed to refresh auth token\./)
  })
})
