/**
 * `ChatGPTAPI.fromAccessToken`: an access token alone signs in, with no session request ever.
 * The token is used until it expires (its JWT `exp`, or a 401), and then every call fails at once
 * with a `token_expired` that says what to do — no retry loop, and the token in no view of any
 * error or debug line.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError, type ChatGPTAPIAccessTokenOptions } from '../packages/chatgpt-kit/src/index.js'
import type { TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup } from './helpers/backend.js'
import { CONVERSATION_PATH, SESSION_PATH, rejectionWithin, startRawServer } from './helpers/raw-server.js'
import { leaksIn, leaksInLines, secretToken } from './helpers/secret-views.js'

const countingReply = (prompt: string, ctx: { messages: unknown[] }) => `reply to "${prompt}" after ${ctx.messages.length} messages`

const CANNOT_REFRESH =
  'An access token cannot be refreshed: sign in again and pass the new access token, or use a session token instead.'

/** A test backend, and a client of it signed in with `accessToken` (a fresh one by default). */
async function accessTokenSetup(
  backendOptions: Parameters<typeof setup>[0] = {},
  clientOptions: Partial<ChatGPTAPIAccessTokenOptions> & { token?: (backend: TestBackend) => string } = {}
) {
  const { backend } = await setup(backendOptions)
  const { token: makeToken, ...rest } = clientOptions
  const accessToken = makeToken ? makeToken(backend) : backend.issueAccessToken()
  const api = ChatGPTAPI.fromAccessToken({
    accessToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    ...rest
  })
  return { backend, api, accessToken }
}

const sessionRequests = (backend: TestBackend) => backend.requests.filter((r) => r.path === SESSION_PATH).length
const conversationPosts = (backend: TestBackend) =>
  backend.requests.filter((r) => r.method === 'POST' && r.path === CONVERSATION_PATH).length

function thrown(fn: () => unknown): any {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

const base64url = (text: string | Buffer) => Buffer.from(text).toString('base64url')

describe('ChatGPTAPI.fromAccessToken: its options', () => {
  it('requires the access token: missing, empty, null or not a string → invalid_argument', () => {
    for (const accessToken of [undefined, '', null]) {
      const error = thrown(() => ChatGPTAPI.fromAccessToken({ accessToken } as never))
      expect(error).toBeInstanceOf(ChatGPTError)
      expect(error.code).toBe('invalid_argument')
      expect(error.message).toBe('accessToken is required')
    }
    expect(thrown(() => ChatGPTAPI.fromAccessToken(undefined as never)).message).toBe('accessToken is required')
    expect(thrown(() => ChatGPTAPI.fromAccessToken({ accessToken: 42 } as never)).message).toBe('accessToken must be a string')
  })

  it('refuses a token that would break the header, without echoing it', () => {
    const accessToken = `${secretToken('acc')}\r\nX-Evil: 1`
    const error = thrown(() => ChatGPTAPI.fromAccessToken({ accessToken }))
    expect(error.code).toBe('invalid_argument')
    expect(error.message).toMatch(/^accessToken contains characters that cannot go into a header/)
    expect(leaksIn(error, { access: accessToken.slice(0, 43) })).toEqual([])
  })

  it('refuses a session token as well (that is the constructor), and checks the other options as the constructor does', () => {
    const both = thrown(() => ChatGPTAPI.fromAccessToken({ accessToken: 'access-token-value', sessionToken: 'session-token-value' } as never))
    expect(both.code).toBe('invalid_argument')
    expect(both.message).toContain('new ChatGPTAPI({ sessionToken, accessToken })')
    expect(both.message).not.toContain('session-token-value')
    const badUrl = thrown(() => ChatGPTAPI.fromAccessToken({ accessToken: 'access-token-value', apiBaseUrl: 'ftp://x' }))
    expect(badUrl.code).toBe('invalid_argument')
    expect(badUrl.message).toBe('apiBaseUrl must be an absolute http(s) URL')
    expect(thrown(() => ChatGPTAPI.fromAccessToken({ accessToken: 'access-token-value', maxRetries: -1 })).code).toBe('invalid_argument')
  })

  it('leaves the constructor as the seed has it: an access token without a session token is still refused', () => {
    const error = thrown(() => new ChatGPTAPI({ accessToken: 'access-token-value' } as never))
    expect(error.message).toBe('ChatGPT invalid session token')
    expect(error.code).toBe('invalid_argument')
  })

  it("does not mark the caller's options object: the same object given to the constructor is still refused", () => {
    const opts = { accessToken: 'access-token-value' }
    expect(ChatGPTAPI.fromAccessToken(opts)).toBeInstanceOf(ChatGPTAPI)
    expect(thrown(() => new ChatGPTAPI(opts as never)).message).toBe('ChatGPT invalid session token')
  })
})

describe('an access token alone signs in', () => {
  it('sends a message with the token as the bearer, and never asks the session endpoint', async () => {
    const { backend, api, accessToken } = await accessTokenSetup({ reply: () => 'Hello back' })
    expect(await api.sendMessage('Hello')).toBe('Hello back')
    expect(sessionRequests(backend)).toBe(0)
    const post = backend.requests.find((r) => r.path === CONVERSATION_PATH)!
    expect(post.headers.authorization).toBe(`Bearer ${accessToken}`)
    expect(post.headers.cookie).toBe(`cf_clearance=${backend.clearanceToken}`)
  })

  it('follows up in a conversation (ChatGPTConversation and explicit ids), and the backend API works', async () => {
    const { backend, api } = await accessTokenSetup({ reply: countingReply })
    const conversation = api.getConversation()
    expect(await conversation.sendMessage('a')).toBe('reply to "a" after 1 messages')
    expect(await conversation.sendMessage('b')).toBe('reply to "b" after 3 messages')
    const third = await api.sendMessageDetailed('c', {
      conversationId: conversation.conversationId,
      parentMessageId: conversation.parentMessageId
    })
    expect(third.text).toBe('reply to "c" after 5 messages')
    expect(backend.conversations.size).toBe(1)
    expect((await api.getConversationHistory(third.conversationId)).messages).toHaveLength(6)
    expect((await api.listConversations()).items.map((c) => c.id)).toEqual([third.conversationId])
    expect(sessionRequests(backend)).toBe(0)
  })

  it('accessTokenTTL does not make it expire: with 0, every call still uses the one token, no session request', async () => {
    const { backend, api, accessToken } = await accessTokenSetup({ reply: () => 'ok' }, { accessTokenTTL: 0 })
    for (let i = 0; i < 3; i++) expect(await api.sendMessage(`Hi ${i}`)).toBe('ok')
    expect(sessionRequests(backend)).toBe(0)
    const bearers = new Set(backend.requests.map((r) => r.headers.authorization))
    expect([...bearers]).toEqual([`Bearer ${accessToken}`])
  })

  it('refreshAccessToken and getIsAuthenticated send nothing; ensureAuth checks the token with one GET /models; user stays null', async () => {
    const { backend, api, accessToken } = await accessTokenSetup()
    expect(await api.refreshAccessToken()).toBe(accessToken)
    expect(await api.getIsAuthenticated()).toBe(true)
    expect(backend.requests).toHaveLength(0)
    expect(await api.ensureAuth()).toBe(accessToken)
    expect(backend.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /backend-api/models'])
    expect(api.user).toBeNull()
  })
})

describe('when the server refuses the token (401)', () => {
  it('fails with token_expired saying what to do, after exactly one POST, with no session request', async () => {
    const { backend, api } = await accessTokenSetup()
    backend.expireAccessTokens()
    const error = await rejectionOf(api.sendMessage('Hi'))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('token_expired')
    expect(error.statusCode).toBe(401)
    expect(error.message).toBe(`ChatGPT refused the access token (HTTP 401). ${CANNOT_REFRESH}`)
    // The server's own words are kept underneath.
    expect(error.originalError.message).toContain('Your authentication token has expired')
    expect(conversationPosts(backend)).toBe(1)
    expect(sessionRequests(backend)).toBe(0)
  })

  it('from then on every call fails at once, without a request; getIsAuthenticated is false', async () => {
    const { backend, api } = await accessTokenSetup()
    backend.expireAccessTokens()
    await rejectionOf(api.getModels())
    const seen = backend.requests.length
    expect(seen).toBe(1)
    for (const call of [api.sendMessage('Hi'), api.listConversations(), api.refreshAccessToken(), api.ensureAuth()]) {
      const error = await rejectionOf(call)
      expect(error.code).toBe('token_expired')
      expect(error.message).toContain(CANNOT_REFRESH)
    }
    expect(await api.getIsAuthenticated()).toBe(false)
    expect(backend.requests).toHaveLength(seen)
  })

  it('ensureAuth reports a refused token (the server does not know it) as token_expired', async () => {
    const { backend, api } = await accessTokenSetup({}, { token: () => `${base64url('{"alg":"none"}')}.${base64url('{"sub":"x"}')}.sig` })
    const error = await rejectionOf(api.ensureAuth())
    expect(error.code).toBe('token_expired')
    expect(error.message).toBe(`ChatGPT refused the access token (HTTP 401). ${CANNOT_REFRESH}`)
    expect(backend.requests.map((r) => r.path)).toEqual(['/backend-api/models'])
  })

  it('the debug lines say it cannot be refreshed, and name no token', async () => {
    const lines: string[] = []
    const { backend, api, accessToken } = await accessTokenSetup({}, { debug: (line) => lines.push(line) })
    backend.expireAccessTokens()
    await rejectionOf(api.sendMessage('Hi'))
    expect(lines.filter((line) => line.includes('it cannot be refreshed'))).toHaveLength(1)
    expect(lines.some((line) => line.includes('re-auth'))).toBe(false)
    expect(leaksInLines(lines, { accessToken })).toEqual([])
  })
})

describe("the token's own exp claim", () => {
  it('a JWT whose exp has passed fails at once with token_expired and when, without any request', async () => {
    const { backend, api, accessToken } = await accessTokenSetup({}, { token: (b) => b.issueAccessToken({ expiresInSeconds: -120 }) })
    const exp = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).exp as number
    for (const call of [api.sendMessage('Hi'), api.getModels(), api.refreshAccessToken(), api.ensureAuth()]) {
      const error = await rejectionOf(call)
      expect(error).toBeInstanceOf(ChatGPTError)
      expect(error.code).toBe('token_expired')
      expect(error.message).toBe(`ChatGPT access token expired at ${new Date(exp * 1000).toISOString()}. ${CANNOT_REFRESH}`)
      expect(leaksIn(error, { accessToken })).toEqual([])
    }
    expect(await api.getIsAuthenticated()).toBe(false)
    expect(backend.requests).toHaveLength(0)
  })

  it('a JWT whose exp is ahead is used', async () => {
    const { backend, api } = await accessTokenSetup({ reply: () => 'ok' }, { token: (b) => b.issueAccessToken({ expiresInSeconds: 600 }) })
    expect(await api.sendMessage('Hi')).toBe('ok')
    expect(conversationPosts(backend)).toBe(1)
  })

  it('a malformed token is never a reason to throw: it is sent as is, and the 401 is reported the same way', async () => {
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x65, 0x78, 0x70, 0x22, 0x3a, 0xff, 0xfe, 0x7d])
    const malformed = [
      'not-a-jwt-at-all',
      'a.b.c',
      'a..c',
      `${base64url('{}')}.%%%%.sig`,
      `${base64url('{}')}.${base64url('null')}.sig`,
      `${base64url('{}')}.${base64url('[1,2]')}.sig`,
      `${base64url('{}')}.${base64url('{"exp":"tomorrow"}')}.sig`,
      `${base64url('{}')}.${base64url('{"exp":1e400}')}.sig`,
      `${base64url('{}')}.${base64url('{"exp":-1e300}')}.sig`,
      `${base64url('{}')}.${base64url(invalidUtf8)}.sig`,
      `${base64url('{}')}.${base64url('{"exp":1}')}.sig.extra.part`,
      `${base64url('{}')}.${'A'.repeat(10_001)}.sig`,
      `${base64url('{}')}.${base64url('{"exp":1')}.sig`
    ]
    const { backend } = await setup()
    for (const accessToken of malformed) {
      const api = ChatGPTAPI.fromAccessToken({
        accessToken,
        clearanceToken: backend.clearanceToken,
        apiBaseUrl: backend.apiBaseUrl,
        backendApiBaseUrl: backend.backendApiBaseUrl
      })
      expect(await api.refreshAccessToken()).toBe(accessToken)
      const before = backend.requests.length
      const error = await rejectionOf(api.sendMessage('Hi'))
      expect(error.code, accessToken.slice(0, 40)).toBe('token_expired')
      expect(error.message).toBe(`ChatGPT refused the access token (HTTP 401). ${CANNOT_REFRESH}`)
      const sent = backend.requests.slice(before)
      expect(sent.map((r) => r.path)).toEqual([CONVERSATION_PATH])
      expect(sent[0]!.headers.authorization).toBe(`Bearer ${accessToken}`)
      expect(leaksIn(error, { accessToken })).toEqual([])
    }
    expect(sessionRequests(backend)).toBe(0)
  })

  it('a JWT with exp 1 (1970) is known to be expired; a token with exp in a JWE-like 5-part shape is not read', async () => {
    const { backend } = await setup()
    const client = (accessToken: string) =>
      ChatGPTAPI.fromAccessToken({ accessToken, apiBaseUrl: backend.apiBaseUrl, backendApiBaseUrl: backend.backendApiBaseUrl })
    const old = await rejectionOf(client(`${base64url('{}')}.${base64url('{"exp":1}')}.sig`).refreshAccessToken())
    expect(old.message).toBe(`ChatGPT access token expired at 1970-01-01T00:00:01.000Z. ${CANNOT_REFRESH}`)
    const fiveParts = `${base64url('{}')}.${base64url('{"exp":1}')}.a.b.c`
    expect(await client(fiveParts).refreshAccessToken()).toBe(fiveParts)
  })
})

describe('the access token in no view of any error', () => {
  it('a hostile server echoing it in the 401 reason phrase, body and headers', async () => {
    const accessToken = secretToken('acc')
    const server = await startRawServer((req, res) => {
      const bearer = req.headers.authorization ?? ''
      res.writeHead(401, `Denied ${bearer}`, { 'content-type': 'application/json', 'x-echo': bearer, 'www-authenticate': bearer })
      res.end(JSON.stringify({ detail: { message: `Token ${bearer} expired`, code: 'token_expired' } }))
    })
    const api = ChatGPTAPI.fromAccessToken({ accessToken, apiBaseUrl: server.apiBaseUrl, backendApiBaseUrl: server.backendApiBaseUrl })
    for (const call of [() => api.sendMessage('Hi'), () => api.getModels(), () => api.ensureAuth(), () => api.sendMessage('Again')]) {
      const error = await rejectionWithin(call())
      expect(error.code).toBe('token_expired')
      expect(leaksIn(error, { accessToken }, { pieces: true })).toEqual([])
    }
    // One refusal is enough: the calls after it sent nothing.
    expect(server.requests).toHaveLength(1)
    expect(server.count('GET', SESSION_PATH)).toBe(0)
  })

  it('a network failure and an expired exp', async () => {
    const secret = secretToken('acc')
    const jwt = `${base64url('{}')}.${base64url(JSON.stringify({ exp: 1, secret }))}.${secret}`
    const down = ChatGPTAPI.fromAccessToken({ accessToken: secret, backendApiBaseUrl: 'http://127.0.0.1:9/backend-api', maxRetries: 0 })
    const network = await rejectionWithin(down.sendMessage('Hi'))
    expect(network.code).toBe('network')
    expect(leaksIn(network, { secret })).toEqual([])
    const expired = await rejectionOf(ChatGPTAPI.fromAccessToken({ accessToken: jwt }).sendMessage('Hi'))
    expect(expired.code).toBe('token_expired')
    expect(leaksIn(expired, { jwt, secret })).toEqual([])
  })
})

describe("the test backend's issueAccessToken", () => {
  it("issues a token for another account's session, and refuses an unknown session or a lifetime that is not a number", async () => {
    const { backend } = await setup({ reply: () => 'ok' })
    const other = backend.addAccount({ name: 'Other' })
    const api = ChatGPTAPI.fromAccessToken({
      accessToken: backend.issueAccessToken({ sessionToken: other.sessionToken }),
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl
    })
    const reply = await api.sendMessageDetailed('Hi')
    expect(backend.conversations.get(reply.conversationId)!.ownerId).toBe(other.user.id)
    expect(() => backend.issueAccessToken({ sessionToken: 'no-such-session-token' })).toThrow(TypeError)
    backend.revokeSession(other.sessionToken)
    expect(() => backend.issueAccessToken({ sessionToken: other.sessionToken })).toThrow(TypeError)
    expect(() => backend.issueAccessToken({ expiresInSeconds: Number.NaN })).toThrow(TypeError)
  })
})
