/**
 * Contract 10: the `debug` logger gets one line per HTTP request,
 * `METHOD /path → STATUS (N ms, attempt K)` (`→ network error` when there was no answer), one per
 * retry (`retry 1 of 2`), one per re-authentication (`re-auth`) and one per queue wait
 * (`waiting for the account`).
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI } from '../packages/chatgpt-kit/src/index.js'
import { setup } from './helpers/backend.js'
import { rejectionWithin, startRawServer, valueWithin } from './helpers/raw-server.js'

/** The request lines, parsed; the ms number is matched loosely and not checked. */
const REQUEST_LINE = /([A-Z]+) (\/\S*) → (\d{3}|network error) \(\d+ ms, attempt (\d+)\)/

function requestLines(lines: string[]) {
  return lines.flatMap((line) => {
    const match = REQUEST_LINE.exec(line)
    return match ? [{ method: match[1], path: match[2], outcome: match[3], attempt: Number(match[4]) }] : []
  })
}

describe('contract 10: debug lines', () => {
  it('one line per request (session, a refused POST, its retry), and one per retry', async () => {
    const lines: string[] = []
    const { backend, api } = await setup({ reply: () => 'ok' }, { debug: (line) => lines.push(line) })
    backend.fault({ type: 'status', status: 503, headers: { 'retry-after-ms': '1' } })
    expect(await valueWithin(api.sendMessage('Hi'), 10_000)).toBe('ok')

    expect(requestLines(lines)).toEqual([
      { method: 'GET', path: '/api/auth/session', outcome: '200', attempt: 1 },
      { method: 'POST', path: '/backend-api/conversation', outcome: '503', attempt: 1 },
      { method: 'POST', path: '/backend-api/conversation', outcome: '200', attempt: 2 }
    ])
    expect(requestLines(lines)).toHaveLength(backend.requests.length)
    expect(lines.filter((line) => line.includes('retry 1 of 2'))).toHaveLength(1)
  })

  it('the path is the URL pathname, without the query string', async () => {
    const lines: string[] = []
    const { api } = await setup({}, { debug: (line) => lines.push(line) })
    await valueWithin(api.listConversations({ offset: 0, limit: 5 }))
    const list = requestLines(lines).filter((l) => l.path.startsWith('/backend-api/conversations'))
    expect(list).toEqual([{ method: 'GET', path: '/backend-api/conversations', outcome: '200', attempt: 1 }])
    expect(lines.some((line) => line.includes('?'))).toBe(false)
  })

  it('a request that got no answer logs → network error', async () => {
    const server = await startRawServer((req) => void req.socket.destroy())
    const lines: string[] = []
    const api = new ChatGPTAPI({
      sessionToken: 'pipeline-debug-session-token',
      accessToken: 'pipeline-debug-access-token-0123456789',
      backendApiBaseUrl: server.backendApiBaseUrl,
      maxRetries: 0,
      debug: (line) => lines.push(line)
    })
    const error = await rejectionWithin(api.getModels())
    expect(error.code).toBe('network')
    expect(requestLines(lines)).toEqual([{ method: 'GET', path: '/backend-api/models', outcome: 'network error', attempt: 1 }])
  })

  it('one line per re-authentication, containing "re-auth"', async () => {
    const lines: string[] = []
    const { backend, api } = await setup({ reply: () => 'ok' }, { debug: (line) => lines.push(line), accessTokenTTL: 3_600_000 })
    await api.ensureAuth()
    backend.expireAccessTokens()
    expect(await valueWithin(api.sendMessage('Hi'))).toBe('ok')
    expect(lines.filter((line) => line.includes('re-auth'))).toHaveLength(1)
    const posts = requestLines(lines).filter((l) => l.path === '/backend-api/conversation')
    expect(posts.map((l) => l.outcome)).toEqual(['401', '200'])
    expect(requestLines(lines)).toHaveLength(backend.requests.length)
  })

  it('one line per queue wait, containing "waiting for the account"', async () => {
    const lines: string[] = []
    const { api } = await setup({ eventDelayMs: 2, reply: (p) => `re ${p}` }, { debug: (line) => lines.push(line) })
    await api.ensureAuth()
    await valueWithin(Promise.all([api.sendMessage('a'), api.sendMessage('b'), api.sendMessage('c')]), 10_000)
    expect(lines.filter((line) => line.includes('waiting for the account'))).toHaveLength(2)
  })

  it('(extra) a debug logger that throws does not change the outcome of a call', async () => {
    const { api } = await setup({ reply: () => 'ok' }, {
      debug: () => {
        throw new Error('a broken logger')
      }
    })
    expect(await valueWithin(api.sendMessage('Hi'))).toBe('ok')
  })
})
