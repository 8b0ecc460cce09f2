/**
 * Contract 3: a message is never sent twice. A conversation POST is sent again only when the
 * server certainly did not run it (it never got it, or it said so with a status and an explicit
 * retry hint: 429, or 503 with Retry-After). Counted at the server.
 *
 * Contract 4: an error thrown by the caller's own callback is the caller's: it rejects the call
 * as that very object, and nothing is sent again.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import {
  CONVERSATION_PATH,
  type RawHandler,
  type RawServer,
  rejectionWithin,
  replyFrames,
  sendWholeReply,
  startRawServer,
  valueWithin,
  writeStreamHead
} from './helpers/raw-server.js'

const ACCESS_TOKEN = 'pipeline-send-once-access-token-0123456789'

function client(server: RawServer, extra: Partial<ConstructorParameters<typeof ChatGPTAPI>[0]> = {}) {
  return new ChatGPTAPI({
    sessionToken: 'pipeline-send-once-session-token',
    accessToken: ACCESS_TOKEN,
    apiBaseUrl: server.apiBaseUrl,
    backendApiBaseUrl: server.backendApiBaseUrl,
    // The default (2) is what a user has: retries must be decided by the policy, not absent.
    ...extra
  })
}

/** A server whose first `n` conversation POSTs get `first`, and later ones the reply 'ok'. */
function firstThen(n: number, first: RawHandler): Promise<RawServer> {
  let posts = 0
  return startRawServer((req, res, body) => {
    if (++posts <= n) return first(req, res, body)
    sendWholeReply(res, 'ok')
  })
}

const posts = (server: RawServer) => server.count('POST', CONVERSATION_PATH)

const status = (code: number, headers: Record<string, string> = {}, detail = 'nope'): RawHandler => (_req, res) => {
  res.writeHead(code, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify({ detail }))
}

describe('contract 3: a message that may have run is not sent again', () => {
  it("(a) the server read the whole POST, then destroyed the socket → 'network', exactly 1 POST", async () => {
    const server = await firstThen(Infinity, (req) => void req.socket.destroy())
    const error = await rejectionWithin(client(server).sendMessage('Hi'), 10_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('network')
    expect(posts(server)).toBe(1)
  })

  it.each([
    [502, 'a proxy that forwarded it'],
    [500, 'the server failed while running it'],
    [503, 'no Retry-After'],
    [504, '(extra) a gateway that timed out waiting for it']
  ])("(b–d) %i (%s) → 'server_error', exactly 1 POST", async (code) => {
    const server = await firstThen(Infinity, status(code))
    const error = await rejectionWithin(client(server).sendMessage('Hi'), 10_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(error.statusCode).toBe(code)
    expect(posts(server)).toBe(1)
  })

  it('(also) a reset in the middle of the stream after some text → 1 POST, network with partialText', async () => {
    const server = await firstThen(Infinity, (_req, res) => {
      const frames = replyFrames('v1')
      writeStreamHead(res)
      res.write(frames.text('Hello'))
      setTimeout(() => res.socket?.destroy(), 30)
    })
    const error = await rejectionWithin(client(server).sendMessage('Hi'))
    expect(error.code).toBe('network')
    expect(error.partialText).toBe('Hello')
    expect(posts(server)).toBe(1)
  })

  it('(extra) a fetch failure that is not a connect failure (ECONNRESET) is not retried', async () => {
    const server = await firstThen(0, () => {})
    let calls = 0
    const resetFetch: typeof fetch = async (input, init) => {
      calls++
      // The request may have been written before the reset: the client cannot know.
      const response = await globalThis.fetch(input, init)
      await response.body?.cancel()
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) })
    }
    const error = await rejectionWithin(client(server, { fetch: resetFetch }).sendMessage('Hi'), 10_000)
    expect(error.code).toBe('network')
    expect(calls).toBe(1)
    expect(posts(server)).toBe(1)
  })

  it('(guard) the server read the POST and never answered: timeout, 1 POST', async () => {
    const server = await firstThen(Infinity, () => {})
    const error = await rejectionWithin(client(server).sendMessage('Hi', { timeoutMs: 200 }))
    expect(error.code).toBe('timeout')
    expect(posts(server)).toBe(1)
  })

  it('(guard) a 200 stream that ends before any event: 1 POST', async () => {
    const server = await firstThen(Infinity, (_req, res) => {
      writeStreamHead(res)
      res.end()
    })
    const error = await rejectionWithin(client(server).sendMessage('Hi'))
    expect(error.code).toBe('stream_incomplete')
    expect(posts(server)).toBe(1)
  })
})

describe('contract 3: a message the server refused with a retry hint, or never got, is sent again', () => {
  it('(e) 429 with retry-after-ms: 1 → retried (2 POSTs) and succeeds', async () => {
    const server = await firstThen(1, status(429, { 'retry-after-ms': '1' }, 'Too many requests'))
    expect(await valueWithin(client(server).sendMessage('Hi'), 10_000)).toBe('ok')
    expect(posts(server)).toBe(2)
  })

  it.each([
    [{ 'retry-after': '0' }],
    [{ 'retry-after-ms': '1' }]
  ])('(f) 503 with %o → retried (2 POSTs) and succeeds', async (headers) => {
    const server = await firstThen(1, status(503, headers, 'Service Unavailable'))
    expect(await valueWithin(client(server).sendMessage('Hi'), 10_000)).toBe('ok')
    expect(posts(server)).toBe(2)
  })

  it('(g) a connect-time failure (ECONNREFUSED) is retried: succeeds with exactly 1 POST at the server', async () => {
    const server = await firstThen(0, () => {})
    let calls = 0
    const flakyFetch: typeof fetch = (input, init) => {
      if (++calls === 1) {
        return Promise.reject(
          new TypeError('fetch failed', {
            cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
          })
        )
      }
      return globalThis.fetch(input, init)
    }
    expect(await valueWithin(client(server, { fetch: flakyFetch }).sendMessage('Hi'), 10_000)).toBe('ok')
    expect(calls).toBe(2)
    expect(posts(server)).toBe(1)
  })
})

/** A callback that throws a TypeError of its own, and the very object it threw. */
function throwingCallback() {
  const box: { thrown?: unknown } = {}
  const callback = () => {
    try {
      ;(null as any).foo
    } catch (error) {
      box.thrown = error
      throw error
    }
  }
  return { box, callback }
}

describe("contract 4: a caller's own error is the caller's", () => {
  const wholeReply = () => firstThen(Infinity, (_req, res) => sendWholeReply(res, 'Hello world', 'v1'))

  it('onProgress throwing a TypeError → sendMessage rejects with that very object, not a ChatGPTError; 1 POST', async () => {
    const server = await wholeReply()
    const { box, callback } = throwingCallback()
    const rejection = await rejectionWithin(client(server).sendMessage('Hi', { onProgress: callback }))
    expect(box.thrown).toBeInstanceOf(TypeError)
    expect(rejection).toBe(box.thrown)
    expect(rejection).not.toBeInstanceOf(ChatGPTError)
    expect(posts(server)).toBe(1)
  })

  it('onConversationResponse throwing a TypeError → sendMessage rejects with that very object; 1 POST', async () => {
    const server = await wholeReply()
    const { box, callback } = throwingCallback()
    const rejection = await rejectionWithin(client(server).sendMessage('Hi', { onConversationResponse: callback }))
    expect(box.thrown).toBeInstanceOf(TypeError)
    expect(rejection).toBe(box.thrown)
    expect(rejection).not.toBeInstanceOf(ChatGPTError)
    expect(posts(server)).toBe(1)
  })

  it("streamMessage's result (and its iteration) reject with the TypeError onProgress threw; 1 POST", async () => {
    const server = await wholeReply()
    const { box, callback } = throwingCallback()
    const stream = client(server).streamMessage('Hi', { onProgress: callback })
    const iterate = async () => {
      for await (const _ of stream) {
        // nothing: the failure surfaces here too
      }
    }
    expect(await rejectionWithin(stream.result)).toBe(box.thrown)
    expect(await rejectionWithin(iterate())).toBe(box.thrown)
    expect(box.thrown).toBeInstanceOf(TypeError)
    expect(posts(server)).toBe(1)
  })

  it('(extra) onProgress throwing a TypeError on the last event of a response that ended in the same write → that error; the next call works', async () => {
    let n = 0
    const server = await startRawServer((_req, res) => {
      if (++n > 1) return sendWholeReply(res, 'ok')
      const frames = replyFrames('2023')
      writeStreamHead(res)
      res.write(frames.text('Hello'))
      setTimeout(() => res.end(frames.text('Hello world')), 50)
    })
    const api = client(server)
    const { box, callback } = throwingCallback()
    const rejection = await rejectionWithin(
      api.sendMessage('Hi', { onProgress: (text) => (text === 'Hello world' ? callback() : undefined) })
    )
    expect(rejection).toBe(box.thrown)
    expect(await valueWithin(api.sendMessage('again'))).toBe('ok')
    expect(posts(server)).toBe(2)
  })

  it('(extra) onProgress throwing a TypeError that looks like a connect failure (fetch failed, ECONNREFUSED) → that very object, not retried', async () => {
    const server = await wholeReply()
    // A callback may rethrow a network error of its own (say, from a webhook it called earlier).
    const lookalike = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })
    })
    const rejection = await rejectionWithin(
      client(server).sendMessage('Hi', {
        onProgress: () => {
          throw lookalike
        }
      }),
      10_000
    )
    expect(rejection).toBe(lookalike)
    expect(posts(server)).toBe(1)
  })

  it.each([
    ['a plain Error', () => new Error('mine')],
    ['a ChatGPTError of its own (from another call)', () => new ChatGPTError('from elsewhere', { code: 'server_error', statusCode: 503 })],
    ['an AbortError DOMException of its own', () => new DOMException('its own fetch was aborted', 'AbortError')],
    ['a string', () => 'just a string']
  ])('(guard) onProgress throwing %s → that very value, 1 POST', async (_label, make) => {
    const server = await wholeReply()
    const thrown = make()
    const rejection = await rejectionWithin(
      client(server).sendMessage('Hi', {
        onProgress: () => {
          throw thrown
        }
      }),
      10_000
    )
    expect(rejection).toBe(thrown)
    expect(posts(server)).toBe(1)
  })
})
