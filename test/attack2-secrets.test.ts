/**
 * Secrets in server text that the pipeline cut BEFORE redacting it (a reason phrase at 200
 * characters, a content type at 60, a fetch failure at 200): the cut leaves the front of a token
 * that redaction then no longer recognises.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError, type ChatGPTAPIOptions } from '../packages/chatgpt-kit/src/index.js'
import { type RawServer, rawClient, rejectionWithin, startRawServer } from './helpers/raw-server.js'
import { leaksIn, secretToken } from './helpers/secret-views.js'

function client(server: RawServer, secrets: Record<string, string>, extra: Partial<ChatGPTAPIOptions> = {}) {
  const { session, clearance, access } = secrets
  return rawClient(server, { sessionToken: session!, clearanceToken: clearance, accessToken: access, ...extra })
}

const freshSecrets = () => ({ session: secretToken('sess'), clearance: secretToken('clr'), access: secretToken('acc') })

describe('a token across a cut made before redaction', () => {
  it('a reason phrase of 190 characters then the access token: no piece of it in any view', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      res.writeHead(500, `${'x'.repeat(190)}${secrets.access}`, { 'content-type': 'application/json' })
      res.end('{}')
    })
    const error = await rejectionWithin(client(server, secrets).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('server_error')
    expect(leaksIn(error, secrets, { pieces: true })).toEqual([])
  })

  it('the same on /auth/session, with the session token', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      res.writeHead(401, `${'x'.repeat(190)}${secrets.session}`, { 'content-type': 'application/json' })
      res.end('{}')
    })
    const error = await rejectionWithin(client(server, { ...secrets, access: '' }).ensureAuth())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('unauthorized')
    expect(leaksIn(error, secrets, { pieces: true })).toEqual([])
  })

  it('a content type that carries the clearance token past 60 characters: no piece of it in any view', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': `text/plain; x=${'y'.repeat(30)}${secrets.clearance}` })
      res.end('not a stream')
    })
    const error = await rejectionWithin(client(server, secrets).sendMessage('Hi'))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('invalid_response')
    expect(leaksIn(error, secrets, { pieces: true })).toEqual([])
  })

  it('a custom fetch failing with a long message that ends in the Authorization value: no piece of it in any view', async () => {
    const secrets = freshSecrets()
    const server = await startRawServer((_req, res) => void res.end())
    const leakyFetch: typeof fetch = async (_input, init) => {
      const auth = new Headers(init?.headers).get('authorization')
      throw new TypeError(`fetch failed: ${'z'.repeat(170)} ${auth}`)
    }
    const error = await rejectionWithin(client(server, secrets, { fetch: leakyFetch }).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('network')
    expect(leaksIn(error, secrets, { pieces: true })).toEqual([])
  })
})

describe('a token echoed as a header name of an error answer', () => {
  it('is in no view of the error, nor its lowercased form (header names are case-folded)', async () => {
    const secrets = { ...freshSecrets(), access: `eyJ${secretToken('Acc')}XyZ` }
    const server = await startRawServer((_req, res) => {
      res.setHeader(secrets.access, 'x')
      res.setHeader(`x-echo-${secrets.session}`, 'y')
      res.writeHead(500, { 'content-type': 'application/json', 'x-kept': 'kept' })
      res.end('{}')
    })
    const error = await rejectionWithin(client(server, secrets).getModels())
    expect(error).toBeInstanceOf(ChatGPTError)
    const lowercased = Object.fromEntries(Object.entries(secrets).map(([name, value]) => [`${name} (lowercased)`, value.toLowerCase()]))
    expect(leaksIn(error, { ...secrets, ...lowercased })).toEqual([])
    // Only the headers that hold a secret are left out.
    expect(error.response.headers.get('x-kept')).toBe('kept')
  })
})
