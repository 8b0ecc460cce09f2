/**
 * A wait hint is a number the server gave: `clears_in: null` (or "", [], false) in a 429's
 * detail is no hint, not "retry at once".
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { CONVERSATION_PATH, rejectionWithin, startRawServer } from './helpers/raw-server.js'

describe('clears_in that is not a number', () => {
  for (const clearsIn of [null, '', [], false, true]) {
    it(`clears_in ${JSON.stringify(clearsIn)}: no retryAfterMs`, async () => {
      const server = await startRawServer((_req, res) => {
        res.writeHead(429, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ detail: { message: 'Too many requests', clears_in: clearsIn } }))
      })
      const api = new ChatGPTAPI({
        sessionToken: 'session-token-for-tests',
        accessToken: 'access-token-for-tests',
        apiBaseUrl: server.apiBaseUrl,
        backendApiBaseUrl: server.backendApiBaseUrl,
        maxRetries: 0
      })
      const error = await rejectionWithin(api.sendMessage('Hi'))
      expect(error).toBeInstanceOf(ChatGPTError)
      expect(error.code).toBe('rate_limited')
      expect(error.retryAfterMs).toBeUndefined()
      expect(server.count('POST', CONVERSATION_PATH)).toBe(1)
    })
  }

  it('(guard) clears_in 2 (seconds) is a hint of 2000 ms', async () => {
    const server = await startRawServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ detail: { message: 'Too many requests', clears_in: 2 } }))
    })
    const api = new ChatGPTAPI({
      sessionToken: 'session-token-for-tests',
      accessToken: 'access-token-for-tests',
      apiBaseUrl: server.apiBaseUrl,
      backendApiBaseUrl: server.backendApiBaseUrl,
      maxRetries: 0
    })
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(error.retryAfterMs).toBe(2000)
  })
})
