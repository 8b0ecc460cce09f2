/**
 * A 404 that says nothing but "not found" is what a wrong base URL gets: its `not_found` error
 * names the base URL (origin and path, never the query) and the option to check. A real missing
 * conversation or message is still reported as such, without the hint.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, setup } from './helpers/backend.js'
import { CONVERSATION_PATH, rejectionWithin, startRawServer } from './helpers/raw-server.js'

describe('a bare 404 hints at the base URL', () => {
  it('the session endpoint under a wrong apiBaseUrl (the backend answers {"detail": "Not Found"})', async () => {
    const { backend } = await setup()
    const api = new ChatGPTAPI({ sessionToken: backend.sessionToken, apiBaseUrl: `${backend.url}/wrong?key=query-secret` })
    const error = await rejectionOf(api.ensureAuth())
    expect(error.code).toBe('not_found')
    expect(error.statusCode).toBe(404)
    expect(error.message).toBe(
      `ChatGPT failed to refresh auth token. HTTP 404 Not Found: ${backend.url}/wrong has no /auth/session; check apiBaseUrl (the server and the path)`
    )
    // A 404 is not retried.
    expect(backend.requests).toHaveLength(1)
  })

  it('the conversation endpoint under a wrong backendApiBaseUrl, its query left out', async () => {
    const { backend } = await setup()
    const wrong = new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: `${backend.url}/backend-api/v2?key=query-secret`
    })
    const error = await rejectionOf(wrong.sendMessage('Hi'))
    expect(error.code).toBe('not_found')
    expect(error.message).toBe(
      `ChatGPT error 404 Not Found: ${backend.url}/backend-api/v2 has no /conversation; check backendApiBaseUrl (the server and the path)`
    )
    expect(error.message).not.toContain('query-secret')
  })

  it('an HTML 404 page, a plain-text one and an empty one all get the hint, and no HTML', async () => {
    const bodies = [
      { type: 'text/html', body: '<!doctype html><html><body><h1>404</h1><p>Nothing here</p></body></html>' },
      { type: 'text/plain', body: '404 page not found' },
      { type: 'application/json', body: '' }
    ]
    for (const { type, body } of bodies) {
      const server = await startRawServer((_req, res) => {
        res.writeHead(404, { 'content-type': type })
        res.end(body)
      })
      const api = new ChatGPTAPI({
        sessionToken: 'not-found-hint-session',
        accessToken: 'not-found-hint-access-token',
        apiBaseUrl: server.apiBaseUrl,
        backendApiBaseUrl: `${server.url}/proxy`,
        maxRetries: 0
      })
      const error = await rejectionWithin(api.sendMessage('Hi'))
      expect(error.code, type).toBe('not_found')
      expect(error.message, type).toBe(
        `ChatGPT error 404 Not Found: ${server.url}/proxy has no /conversation; check backendApiBaseUrl (the server and the path)`
      )
      expect(server.count('POST', '/proxy/conversation')).toBe(1)
    }
  })

  it('a backend JSON call names its endpoint without the query string', async () => {
    const server = await startRawServer((_req, res) => void res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}'))
    const api = new ChatGPTAPI({
      sessionToken: 'not-found-hint-session',
      accessToken: 'not-found-hint-access-token',
      apiBaseUrl: server.apiBaseUrl,
      backendApiBaseUrl: server.url,
      maxRetries: 0
    })
    const error = await rejectionWithin(api.listConversations({ offset: 20, limit: 5 }))
    expect(error.message).toBe(`ChatGPT error 404 Not Found: ${server.url} has no /conversations; check backendApiBaseUrl (the server and the path)`)
  })
})

describe('a 404 that names what is missing keeps its own words', () => {
  it('an unknown conversation is conversation_not_found, without the hint', async () => {
    const { api } = await setup()
    const error = await rejectionOf(api.sendMessage('Hi', { conversationId: randomUUID(), parentMessageId: randomUUID() }))
    expect(error.code).toBe('conversation_not_found')
    expect(error.message).not.toContain('backendApiBaseUrl')
    const history = await rejectionOf(api.getConversationHistory(randomUUID()))
    expect(history.code).toBe('conversation_not_found')
    expect(history.message).not.toContain('backendApiBaseUrl')
  })

  it('an unknown message (404 message_not_found) stays not_found in the server\'s words', async () => {
    const { api } = await setup({ reply: () => 'ok' })
    const reply = await api.sendMessageDetailed('Hi')
    const error = await rejectionOf(
      api.sendMessageFeedback({ conversationId: reply.conversationId, messageId: randomUUID(), rating: 'thumbsUp' })
    )
    expect(error.code).toBe('not_found')
    expect(error.message).toBe('ChatGPT error 404: Message not found')
  })

  it('a 404 with a specific detail on the conversation endpoint is not blamed on the base URL', async () => {
    const server = await startRawServer((_req, res) =>
      void res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Model not found: gpt-9"}')
    )
    const api = new ChatGPTAPI({ sessionToken: 'not-found-hint-session', accessToken: 'not-found-hint-access-token', apiBaseUrl: server.apiBaseUrl, backendApiBaseUrl: server.backendApiBaseUrl, maxRetries: 0 })
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(error.code).toBe('not_found')
    expect(error.message).toBe('ChatGPT error 404: Model not found: gpt-9')
    expect(server.count('POST', CONVERSATION_PATH)).toBe(1)
  })
})
