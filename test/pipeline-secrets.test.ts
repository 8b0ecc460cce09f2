/**
 * Contract 2: no secret — session token (old ones too), clearance token, access token (old ones
 * too), any `set-cookie` value the server sent, a password in a URL — shows in any view of an
 * error: String, message, stack, statusText, JSON, deep inspection (of it, of what it wraps, of
 * its response), response headers.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError, type ChatGPTAPIOptions } from '../packages/chatgpt-kit/src/index.js'
import {
  CONVERSATION_PATH,
  SESSION_PATH,
  type RawServer,
  rejectionWithin,
  replyFrames,
  sendSession,
  sendWholeReply,
  startRawServer,
  writeStreamHead,
  rawClient
} from './helpers/raw-server.js'
import { leaksIn, leaksInLines, secretToken } from './helpers/secret-views.js'

type Secrets = { session: string; clearance: string; access: string; cookie: string }

function freshSecrets(): Secrets {
  return {
    session: secretToken('sess'),
    clearance: secretToken('clr'),
    access: secretToken('acc'),
    cookie: secretToken('cookie')
  }
}

function client(server: RawServer, secrets: Secrets, extra: Partial<ChatGPTAPIOptions> = {}) {
  const { session, clearance, access } = secrets
  return rawClient(server, { sessionToken: session!, clearanceToken: clearance, accessToken: access, ...extra })
}

/** Every secret, by name, for {@link leaksIn}. */
const named = (secrets: Secrets): Record<string, string> => ({ ...secrets })

describe('(a) a reason phrase that carries a token, and a set-cookie on the error answer', () => {
  /** Answers every request 500 with the access token in the reason phrase and a secret cookie. */
  const hostileStatus = (secrets: Secrets) =>
    startRawServer((_req, res) => {
      res.writeHead(500, `bad ${secrets.access} ${secrets.session} ${secrets.clearance}`, {
        'content-type': 'application/json',
        'set-cookie': [`secret=${secrets.cookie}; Path=/; HttpOnly`, `__Secure-next-auth.session-token=${secrets.session}; Path=/`],
        'x-echo': `Bearer ${secrets.access}`
      })
      res.end(JSON.stringify({ detail: 'Internal error' }))
    })

  it('on the conversation POST', async () => {
    const secrets = freshSecrets()
    const server = await hostileStatus(secrets)
    const error = await rejectionWithin(client(server, secrets).sendMessage('Hi'))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(server.count('POST', CONVERSATION_PATH)).toBe(1)
    expect(leaksIn(error, named(secrets))).toEqual([])
  })

  it('on a backend JSON GET (getModels)', async () => {
    const secrets = freshSecrets()
    const server = await hostileStatus(secrets)
    const error = await rejectionWithin(client(server, secrets).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(leaksIn(error, named(secrets))).toEqual([])
  })

  it('on /auth/session (reason phrase with the session, clearance and a previous access token)', async () => {
    const secrets = freshSecrets()
    let sessions = 0
    const server = await startRawServer((req, res) => {
      if (new URL(req.url!, 'http://x').pathname !== SESSION_PATH) return void res.writeHead(404).end()
      // The first answer hands out the access token; the second echoes every secret.
      if (++sessions === 1) return sendSession(res, secrets.access)
      res.writeHead(500, `bad ${secrets.access} ${secrets.session} ${secrets.clearance}`, {
        'content-type': 'application/json',
        'set-cookie': `secret=${secrets.cookie}; Path=/; HttpOnly`
      })
      res.end(JSON.stringify({ detail: 'Internal error' }))
    })
    // accessTokenTTL 0: every call asks the session endpoint again.
    const api = client(server, secrets, { accessToken: undefined, accessTokenTTL: 0 })
    expect(await api.ensureAuth()).toBe(secrets.access)
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(server.count('GET', SESSION_PATH)).toBe(2)
    expect(leaksIn(error, named(secrets))).toEqual([])
  })
})

describe('(b) server text longer than the 300-character cut, with a token across the cut', () => {
  // 290 characters, then the token: a cut at 300 before redacting leaves its first 10 characters.
  const longEcho = (token: string) => `${'x'.repeat(290)}${token}`

  it('in a conversation error body: no 8-character piece of the token survives', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ detail: longEcho(secrets.access) }))
    })
    const error = await rejectionWithin(client(server, secrets).sendMessage('Hi'))
    expect(error.code).toBe('bad_request')
    expect(error.message).toContain('xxxxxxxx') // the server's text did reach the message
    expect(leaksIn(error, { access: secrets.access }, { pieces: true })).toEqual([])
  })

  it('in a 429 {detail: {message}} body: no 8-character piece of the session token survives', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3600' })
      res.end(JSON.stringify({ detail: { message: longEcho(secrets.session), code: 'x' } }))
    })
    const error = await rejectionWithin(client(server, secrets).sendMessage('Hi'))
    expect(error.code).toBe('rate_limited')
    expect(leaksIn(error, { session: secrets.session }, { pieces: true })).toEqual([])
  })

  it('in a backend JSON error body (getModels): no 8-character piece of the clearance token survives', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ detail: longEcho(secrets.clearance) }))
    })
    const error = await rejectionWithin(client(server, secrets).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(leaksIn(error, { clearance: secrets.clearance }, { pieces: true })).toEqual([])
  })

  it('in an error event inside the reply stream: no 8-character piece of the access token survives', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      const frames = replyFrames('2023')
      writeStreamHead(res)
      res.end(frames.text('Hel') + `data: ${JSON.stringify({ message: null, conversation_id: frames.conversationId, error: longEcho(secrets.access) })}\n\n`)
    })
    const error = await rejectionWithin(client(server, secrets).sendMessage('Hi'))
    expect(error.code).toBe('stream_error')
    expect(leaksIn(error, { access: secrets.access }, { pieces: true })).toEqual([])
  })

  it('in the session answer\'s error field: no 8-character piece of the session token survives', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: longEcho(secrets.session) }))
    })
    const error = await rejectionWithin(client(server, secrets, { accessToken: undefined }).ensureAuth())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(leaksIn(error, { session: secrets.session }, { pieces: true })).toEqual([])
  })
})

describe('(c) every secret ever held stays redacted', () => {
  it('after the session token rotates, an error echoing the OLD (and the new) session token is redacted', async () => {
    const secrets = freshSecrets()
    const rotated = secretToken('newsess')
    const server = await startRawServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname
      if (path === SESSION_PATH) {
        return sendSession(res, secrets.access, {
          'set-cookie': `__Secure-next-auth.session-token=${rotated}; Path=/; HttpOnly; Secure; SameSite=Lax`
        })
      }
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ detail: `old ${secrets.session} new ${rotated} access ${secrets.access}` }))
    })
    const api = client(server, secrets, { accessToken: undefined })
    await api.ensureAuth()
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(error.code).toBe('bad_request')
    expect(error.message).toContain('[redacted]')
    expect(leaksIn(error, { ...named(secrets), rotated })).toEqual([])
  })

  it('a rotated session chunked into .0 and .1 cookies is joined, sent back whole, and redacted, chunks included', async () => {
    const secrets = freshSecrets()
    const rotated = secretToken('chunked-session') + secretToken('second-half')
    const [first, second] = [rotated.slice(0, 40), rotated.slice(40)]
    const cookies: string[] = []
    const server = await startRawServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname
      if (path === SESSION_PATH) {
        cookies.push(String(req.headers.cookie))
        return sendSession(res, secrets.access, {
          'set-cookie': [`__Secure-next-auth.session-token.1=${second}; Path=/`, `__Secure-next-auth.session-token.0=${first}; Path=/`]
        })
      }
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ detail: `first ${first} second ${second}` }))
    })
    // A 1 ms cache: the next call signs in again, with the rotated session.
    const api = client(server, secrets, { accessToken: undefined, accessTokenTTL: 1 })
    await api.ensureAuth()
    await new Promise((resolve) => setTimeout(resolve, 5))
    await api.refreshAccessToken()
    expect(cookies).toHaveLength(2)
    expect(cookies[1]).toContain(`__Secure-next-auth.session-token=${rotated}`)
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(leaksIn(error, { first, second })).toEqual([])
  })

  it('(extra) after an access token is refreshed (401 → re-auth), an error echoing the OLD access token is redacted', async () => {
    const secrets = freshSecrets()
    const newAccess = secretToken('acc2')
    let posts = 0
    const server = await startRawServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname
      if (path === SESSION_PATH) return sendSession(res, newAccess)
      if (++posts === 1) {
        res.writeHead(401, { 'content-type': 'application/json' })
        return void res.end(JSON.stringify({ detail: { message: 'Your authentication token has expired.', code: 'token_expired' } }))
      }
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ detail: `old ${secrets.access} new ${newAccess}` }))
    })
    const lines: string[] = []
    const api = client(server, secrets, { debug: (line) => lines.push(line) })
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(error.code).toBe('bad_request')
    expect(server.count('GET', SESSION_PATH)).toBe(1)
    expect(leaksIn(error, { ...named(secrets), newAccess })).toEqual([])
    expect(leaksInLines(lines, { ...named(secrets), newAccess })).toEqual([])
  })

  it('(extra) an access token given to the constructor and never used is still redacted after the first refresh', async () => {
    const secrets = freshSecrets()
    const fromSession = secretToken('acc3')
    const server = await startRawServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname
      if (path === SESSION_PATH) return sendSession(res, fromSession)
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ detail: `given ${secrets.access} issued ${fromSession}` }))
    })
    // TTL 0: the given token is stale at once, so the client signs in and uses the issued one.
    const api = client(server, secrets, { accessTokenTTL: 0 })
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(error.code).toBe('bad_request')
    expect(leaksIn(error, { ...named(secrets), fromSession })).toEqual([])
  })
})

describe('(d) credentials in a base URL', () => {
  const password = secretToken('pw')

  it.each(['apiBaseUrl', 'backendApiBaseUrl'] as const)('%s with user:password@host → invalid_argument, without the password', (option) => {
    let thrown: unknown
    try {
      new ChatGPTAPI({ sessionToken: 'pipeline-secrets-session', [option]: `https://user:${password}@chat.example.com/api` })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ChatGPTError)
    expect((thrown as ChatGPTError).code).toBe('invalid_argument')
    expect(leaksIn(thrown, { password })).toEqual([])
  })

  it('(extra) a password-only URL (https://:password@host) is refused too', () => {
    let thrown: unknown
    try {
      new ChatGPTAPI({ sessionToken: 'pipeline-secrets-session', backendApiBaseUrl: `https://:${password}@chat.example.com/backend-api` })
    } catch (error) {
      thrown = error
    }
    expect((thrown as ChatGPTError)?.code).toBe('invalid_argument')
    expect(leaksIn(thrown, { password })).toEqual([])
  })

  it('(extra guard) a proxy URL with credentials is accepted, and its password is in no error when the proxy is down', async () => {
    const api = new ChatGPTAPI({
      sessionToken: 'pipeline-secrets-session',
      apiBaseUrl: 'http://chat.example.invalid/api',
      proxy: `http://user:${password}@127.0.0.1:9`,
      maxRetries: 0
    })
    const error = await rejectionWithin(api.ensureAuth(), 10_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(leaksIn(error, { password })).toEqual([])
  })
})

describe('(extra) a fetch whose own error carries a token', () => {
  it('a custom fetch (proxy, agent) rejecting with the Authorization value in its message leaks it nowhere, originalError included', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => sendWholeReply(res, 'ok'))
    const leakyFetch: typeof fetch = async (_input, init) => {
      const auth = new Headers(init?.headers).get('authorization')
      throw new TypeError(`fetch failed for request with authorization ${auth}`, {
        cause: Object.assign(new Error(`connect ECONNREFUSED (auth ${auth})`), { code: 'ECONNREFUSED' })
      })
    }
    const error = await rejectionWithin(client(server, secrets, { fetch: leakyFetch }).sendMessage('Hi'), 10_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('network')
    expect(leaksIn(error, named(secrets))).toEqual([])
  })

  it('the same on /auth/session, with the session cookie in the message', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => sendWholeReply(res, 'ok'))
    const leakyFetch: typeof fetch = async (_input, init) => {
      throw new TypeError(`fetch failed for request with cookie ${new Headers(init?.headers).get('cookie')}`)
    }
    const error = await rejectionWithin(client(server, secrets, { fetch: leakyFetch, accessToken: undefined }).ensureAuth(), 10_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(leaksIn(error, named(secrets))).toEqual([])
  })
})

describe('(guard) a well-behaved exchange after the hostile ones', () => {
  it('the same client still works and its debug lines hold no secret', async () => {
    const secrets = freshSecrets()
    const lines: string[] = []
    const server = await startRawServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname
      if (path === SESSION_PATH) return sendSession(res, secrets.access, { 'set-cookie': `secret=${secrets.cookie}; Path=/` })
      sendWholeReply(res, 'fine')
    })
    const api = client(server, secrets, { accessToken: undefined, debug: (line) => lines.push(line) })
    expect(await api.sendMessage('Hi')).toBe('fine')
    expect(leaksInLines(lines, named(secrets))).toEqual([])
  })
})
