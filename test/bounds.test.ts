/**
 * Bounds that must hold both ways: big enough for real answers, small enough for hostile ones;
 * and a server's wait hint that the call's own timeout would cut short.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf } from './helpers/backend.js'
import { CONVERSATION_PATH, startRawServer } from './helpers/raw-server.js'

function clientOf(server: { backendApiBaseUrl: string; apiBaseUrl: string }, maxRetries = 2) {
  return new ChatGPTAPI({
    sessionToken: 'bounds-session-token',
    accessToken: 'bounds-access-token',
    backendApiBaseUrl: server.backendApiBaseUrl,
    apiBaseUrl: server.apiBaseUrl,
    maxRetries
  })
}

describe('JSON answers', () => {
  it('a long conversation (3 MB of history) is read', async () => {
    const id = '11111111-1111-4111-8111-111111111111'
    const text = 'x'.repeat(3 * 1024 * 1024)
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          title: 'Long',
          current_node: 'm1',
          mapping: {
            m1: { id: 'm1', parent: null, children: [], message: { id: 'm1', author: { role: 'user' }, content: { content_type: 'text', parts: [text] } } }
          }
        })
      )
    })
    const history = await clientOf(server).getConversationHistory(id)
    expect(history.messages[0]?.text.length).toBe(text.length)
  })

  it('an answer past 32 MB is refused with invalid_response', async () => {
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(1024 * 1024, 0x20)
      for (let i = 0; i < 33; i++) res.write(chunk)
      res.end('{}')
    })
    const error = await rejectionOf(clientOf(server).getModels())
    expect(error.code).toBe('invalid_response')
  })
})

describe("a wait hint longer than what is left of the call's timeout", () => {
  it('is not slept on: the server\'s error, with retryAfterMs, at once, after one POST', async () => {
    const server = await startRawServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '5' })
      res.end(JSON.stringify({ detail: 'Too many requests' }))
    })
    const error = await rejectionOf(clientOf(server).sendMessage('Hi', { timeoutMs: 2_000 }))
    expect(error.code).toBe('rate_limited')
    expect(error.retryAfterMs).toBe(5_000)
    expect(server.count('POST', CONVERSATION_PATH)).toBe(1)
  })
})

describe('a proxy URL whose password is not valid percent-encoding', () => {
  it('is accepted (its password is a secret as written)', () => {
    expect(() => new ChatGPTAPI({ sessionToken: 'bounds-session-token', proxy: 'http://user:pa%ZZss@127.0.0.1:9' })).not.toThrow()
  })
})
