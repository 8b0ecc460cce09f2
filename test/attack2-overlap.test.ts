/**
 * Secrets that overlap or contain one another: redacting one first must not break up another
 * into pieces that redaction then no longer recognises.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { SESSION_PATH, type RawServer, rejectionWithin, sendSession, startRawServer } from './helpers/raw-server.js'
import { leaksIn } from './helpers/secret-views.js'

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** Answers getModels 500 with `echo` as the server's detail. */
async function echoingServer(echo: string, accessToken: string): Promise<RawServer> {
  return startRawServer((req, res) => {
    if (new URL(req.url!, 'http://x').pathname === SESSION_PATH) return sendSession(res, accessToken)
    res.writeHead(500, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ detail: `echo ${echo}` }))
  })
}

const client = (server: RawServer, sessionToken: string, clearanceToken: string) =>
  new ChatGPTAPI({
    sessionToken,
    clearanceToken,
    apiBaseUrl: server.apiBaseUrl,
    backendApiBaseUrl: server.backendApiBaseUrl,
    maxRetries: 0
  })

describe('overlapping secrets', () => {
  it('a session token that contains the clearance token: no piece of either survives', async () => {
    const clearance = `clr${hex(20)}`
    const session = `sess${hex(12)}${clearance}${hex(12)}`
    const server = await echoingServer(session, `acc${hex(20)}`)
    const error = await rejectionWithin(client(server, session, clearance).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(leaksIn(error, { session, clearance }, { pieces: true })).toEqual([])
  })

  it('a session token whose end is the start of the clearance token, echoed overlapping: no piece survives', async () => {
    const shared = hex(10)
    const session = `sess${hex(12)}${shared}`
    const clearance = `${shared}${hex(12)}clr`
    const server = await echoingServer(`sess${session.slice(4)}${clearance.slice(shared.length)}`, `acc${hex(20)}`)
    const error = await rejectionWithin(client(server, session, clearance).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(leaksIn(error, { session, clearance }, { pieces: true })).toEqual([])
  })

  it('(guard) secrets with regular-expression characters are redacted like any other', async () => {
    const session = `s.*+?^$${hex(8)}{}()|[]`
    const clearance = `c$&$1$'${hex(8)}`
    const server = await echoingServer(`${session} and ${clearance}`, `acc${hex(20)}`)
    const error = await rejectionWithin(client(server, session, clearance).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(leaksIn(error, { session, clearance })).toEqual([])
  })
})
