/**
 * A request that never got an answer says where it went (host:port, never the path or query) and
 * what happened in words: connection refused, DNS lookup failed, TLS failure, connection reset,
 * socket closed. Real sockets on 127.0.0.1 (and one `.invalid` name, which no resolver knows).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

import { ChatGPTAPI, ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { describeNetworkFailure } from '../packages/chatgpt-kit/src/internal/network-error.js'
import { rejectionWithin, startRawServer } from './helpers/raw-server.js'
import { leaksIn, secretToken } from './helpers/secret-views.js'

const servers: NetServer[] = []

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

/** A TCP server on 127.0.0.1 whose sockets `onSocket` handles; closed after the test. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createNetServer(onSocket)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A port that was just bound and released: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * A client of `origin` with no retries and the global fetch (so that a proxy set in the
 * environment cannot change the outcome); its base URLs carry a query that must not be shown.
 */
function clientOf(origin: string, secrets: { session: string; access: string; query: string }): ChatGPTAPI {
  return new ChatGPTAPI({
    sessionToken: secrets.session,
    accessToken: secrets.access,
    apiBaseUrl: `${origin}/api-path-${secrets.query}?key=${secrets.query}`,
    backendApiBaseUrl: `${origin}/backend-path-${secrets.query}?key=${secrets.query}`,
    maxRetries: 0,
    fetch: (input, init) => fetch(input, init)
  })
}

function freshSecrets() {
  return { session: secretToken('sess'), access: secretToken('acc'), query: secretToken('query') }
}

/** What every network error must be: `network`, the cause kept, and no secret, path or query. */
function expectCleanNetworkError(error: any, secrets: ReturnType<typeof freshSecrets>): void {
  expect(error).toBeInstanceOf(ChatGPTError)
  expect(error.code).toBe('network')
  expect(error.originalError).toBeInstanceOf(Error)
  expect(leaksIn(error, { session: secrets.session, access: secrets.access })).toEqual([])
  expect(error.message).not.toContain(secrets.query)
  expect(error.message).not.toContain('-path-')
}

describe('connection refused', () => {
  it('a backend call names host:port and says "connection refused"', async () => {
    const port = await closedPort()
    const secrets = freshSecrets()
    const error = await rejectionWithin(clientOf(`http://127.0.0.1:${port}`, secrets).getModels())
    expectCleanNetworkError(error, secrets)
    expect(error.message).toBe(
      `ChatGPT request failed: connection refused by 127.0.0.1:${port} (ECONNREFUSED): nothing listens there; check the base URL and that the server is up`
    )
  })

  it('the session endpoint says the same, in its own words', async () => {
    const port = await closedPort()
    const secrets = freshSecrets()
    const error = await rejectionWithin(new ChatGPTAPI({
      sessionToken: secrets.session,
      apiBaseUrl: `http://127.0.0.1:${port}/api?key=${secrets.query}`,
      maxRetries: 0,
      fetch: (input, init) => fetch(input, init)
    }).ensureAuth())
    expectCleanNetworkError(error, secrets)
    expect(error.message).toMatch(
      new RegExp(`^ChatGPT failed to refresh auth token\\. Network error: connection refused by 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`)
    )
  })
})

describe('DNS lookup failed', () => {
  it('a .invalid host fails (no hang) with "DNS lookup failed" and the host name, default port spelled out', async () => {
    const secrets = freshSecrets()
    // RFC 6761: `.invalid` never resolves. Offline resolvers answer ENOTFOUND or EAI_AGAIN;
    // both read the same. The bound only detects a hang.
    const error = await rejectionWithin(clientOf('http://chatgpt-kit-test.invalid', secrets).getModels(), 30_000)
    expectCleanNetworkError(error, secrets)
    expect(error.message).toMatch(
      /^ChatGPT request failed: DNS lookup failed for chatgpt-kit-test\.invalid:80 \((ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)\): check the host name/
    )
  })
})

describe('TLS failure', () => {
  it('https:// to a plain-HTTP port says "TLS failure" and suggests http vs https', async () => {
    const server = await startRawServer((_req, res) => void res.end('{}'))
    const secrets = freshSecrets()
    const origin = server.url.replace('http:', 'https:')
    const error = await rejectionWithin(clientOf(origin, secrets).getModels())
    expectCleanNetworkError(error, secrets)
    const { port } = new URL(origin)
    expect(error.message).toMatch(new RegExp(`^ChatGPT request failed: TLS failure with 127\\.0\\.0\\.1:${port} \\(ERR_SSL_`))
    expect(error.message).toContain('check http vs https in the base URL')
    // OpenSSL's own "809C…:error:0A00010B:SSL routines:…" line is replaced by words.
    expect(error.message).not.toContain('SSL routines')
  })

  it('a self-signed certificate (made with openssl for this test) is named as such', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatgpt-kit-tls-'))
    try {
      // Node cannot make an X.509 certificate by itself; openssl is part of the test machine.
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'
      ], { stdio: 'ignore' })
      const server = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => res.end('{}')
      )
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const { port } = server.address() as AddressInfo
      const secrets = freshSecrets()
      const error = await rejectionWithin(clientOf(`https://127.0.0.1:${port}`, secrets).getModels())
      expectCleanNetworkError(error, secrets)
      expect(error.message).toBe(
        `ChatGPT request failed: TLS failure with 127.0.0.1:${port} (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate): check http vs https in the base URL, the proxy, or the certificates this machine trusts`
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('connection reset and socket closed', () => {
  it('a server that resets the connection after reading the request: "was reset"', async () => {
    const port = await tcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()))
    const secrets = freshSecrets()
    const error = await rejectionWithin(clientOf(`http://127.0.0.1:${port}`, secrets).getModels())
    expectCleanNetworkError(error, secrets)
    expect(error.message).toMatch(new RegExp(`^ChatGPT request failed: the connection to 127\\.0\\.0\\.1:${port} was reset \\(ECONNRESET\\)`))
  })

  it('a server that closes the socket without answering: "socket closed"', async () => {
    const port = await tcpServer((socket) => socket.once('data', () => socket.destroy()))
    const secrets = freshSecrets()
    const error = await rejectionWithin(clientOf(`http://127.0.0.1:${port}`, secrets).getModels())
    expectCleanNetworkError(error, secrets)
    expect(error.message).toMatch(new RegExp(`^ChatGPT request failed: socket closed: 127\\.0\\.0\\.1:${port} closed the connection`))
  })

  it('a server that closes the socket in the middle of a JSON body: the body read names the host too', async () => {
    const port = await tcpServer((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"models": [')
        setImmediate(() => socket.destroy())
      })
    )
    const secrets = freshSecrets()
    const error = await rejectionWithin(clientOf(`http://127.0.0.1:${port}`, secrets).getModels())
    expectCleanNetworkError(error, secrets)
    expect(error.message).toMatch(new RegExp(`^ChatGPT request failed: socket closed: 127\\.0\\.0\\.1:${port} closed the connection`))
  })
})

describe('a blocked port', () => {
  it('a port the Fetch standard blocks (9, discard) says so, over a real fetch', async () => {
    const secrets = freshSecrets()
    const error = await rejectionWithin(clientOf('http://127.0.0.1:9', secrets).getModels())
    expectCleanNetworkError(error, secrets)
    expect(error.message).toBe(
      'ChatGPT request failed: fetch refuses to connect to 127.0.0.1:9: a port the Fetch standard blocks ("bad port"); use another port'
    )
  })
})

describe('what a failure is called, by code', () => {
  // The causes a loopback test cannot provoke offline (a connect timeout needs a network that
  // drops packets), checked on the wording function itself.
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', /^connect timeout: h:1 did not accept a connection in time/],
    ['ETIMEDOUT', /^the connection to h:1 timed out/],
    ['EAI_AGAIN', /^DNS lookup failed for h:1 \(EAI_AGAIN\)/],
    ['EHOSTUNREACH', /^h:1 is unreachable \(EHOSTUNREACH\)/],
    ['CERT_HAS_EXPIRED', /^TLS failure with h:1 \(CERT_HAS_EXPIRED: certificate has expired\)/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /^TLS failure with h:1 \(ERR_TLS_CERT_ALTNAME_INVALID: certificate has expired\)/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /^TLS failure with h:1 \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
    ['UND_ERR_SOCKET', /^socket closed: h:1 closed the connection \(UND_ERR_SOCKET\)/],
    ['EWHATEVER', /^network error talking to h:1 \(EWHATEVER: certificate has expired\)$/]
  ])('%s', (code, expected) => {
    expect(describeNetworkFailure(code, 'h:1', 'certificate has expired')).toMatch(expected)
  })

  it('no code and no message still names the host', () => {
    expect(describeNetworkFailure(undefined, 'h:1', '')).toBe('network error talking to h:1 (no reason given)')
  })
})
