/**
 * The idle clock (`idleTimeoutMs`: "a request that receives nothing for this long") on JSON
 * calls: headers and body bytes are signs of life there too, so a slow but live answer must not
 * be abandoned as silent, while a silent one still is.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { type RawServer, rejectionWithin, startRawServer, valueWithin } from './helpers/raw-server.js'

const IDLE_MS = 800

function client(server: RawServer) {
  return new ChatGPTAPI({
    sessionToken: 'session-token-for-tests',
    accessToken: 'access-token-for-tests',
    apiBaseUrl: server.apiBaseUrl,
    backendApiBaseUrl: server.backendApiBaseUrl,
    maxRetries: 0,
    idleTimeoutMs: IDLE_MS
  })
}

const models = JSON.stringify({ models: [{ slug: 'a', title: 'A' }, { slug: 'b', title: 'B' }] })

describe('idleTimeoutMs on a JSON call', () => {
  it('a JSON answer that trickles (a byte every 50 ms, for three idle periods in all) arrives whole', async () => {
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.flushHeaders()
      // Spaces are valid JSON whitespace: the answer stays well-formed however slow it is.
      const body = `${' '.repeat(Math.ceil((3 * IDLE_MS) / 50))}${models}`
      let sent = 0
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        if (sent >= body.length - models.length) {
          clearInterval(timer)
          return void res.end(models)
        }
        res.write(body[sent++])
      }, 50)
    })
    const list = await valueWithin(client(server).getModels(), 10_000)
    expect(list.map((m) => m.slug)).toEqual(['a', 'b'])
  })

  it('(guard) a JSON answer whose body goes silent after the headers still ends as timeout', async () => {
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"models": [')
    })
    const error = await rejectionWithin(client(server).getModels(), 10_000)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('timeout')
  })
})
