/**
 * The test backend's 2026 mode (`protocol: '2026'`): the send sequence of PROTOCOL-2026.md §14
 * enforced over plain fetch, with the library's proof-of-work module solving the challenges.
 * The client is not used on purpose: the backend is checked against the protocol note.
 */
import { randomUUID } from 'node:crypto'

import { afterEach, describe, expect, it } from 'vitest'

import { browserDateString } from '../packages/chatgpt-kit/src/internal/pow/browser-date.js'
import { meetsDifficulty } from '../packages/chatgpt-kit/src/internal/pow/difficulty.js'
import { fnv1a32Fmix } from '../packages/chatgpt-kit/src/internal/pow/fnv1a32-fmix.js'
import { buildPowConfig, type PowConfig } from '../packages/chatgpt-kit/src/internal/pow/pow-config.js'
import { LEGACY_SHA3_POW } from '../packages/chatgpt-kit/src/internal/pow/pow-variants.js'
import { requirementsToken } from '../packages/chatgpt-kit/src/internal/pow/requirements-token.js'
import { solveProofOfWork } from '../packages/chatgpt-kit/src/internal/pow/solve.js'
import { createTestBackend, type TestBackend, type TestBackendOptions } from '../packages/chatgpt-kit/src/testing/index.js'

const running: TestBackend[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((backend) => backend.close()))
})

/** A 2026 backend streaming the 2023 shape, where the last assistant event holds the whole text. */
async function start(options: TestBackendOptions = {}): Promise<TestBackend> {
  const backend = await createTestBackend({ protocol: '2026', shape: '2023', reply: (prompt) => `echo: ${prompt}`, ...options })
  running.push(backend)
  return backend
}

const UNUSUAL = /^Unusual activity has been detected from your device\. Try again later\. \([0-9a-f]{16}-[A-Z]{3}\)$/
const SEND = '/backend-api/f/conversation'
const LEGACY_SEND = '/backend-api/conversation'

async function accessToken(b: TestBackend, sessionToken = b.sessionToken): Promise<string> {
  const res = await fetch(`${b.apiBaseUrl}/auth/session`, {
    headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}; __Secure-next-auth.session-token=${sessionToken}` }
  })
  return ((await res.json()) as { accessToken: string }).accessToken
}

/** Who is asking: an access token and a device id (what §14 keys everything to). */
type Client = { token: string; deviceId: string }

function headers(b: TestBackend, client: Partial<Client>, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    'user-agent': b.userAgent,
    cookie: `cf_clearance=${b.clearanceToken}`,
    'content-type': 'application/json',
    accept: '*/*',
    authorization: client.token === undefined ? undefined : `Bearer ${client.token}`,
    'oai-device-id': client.deviceId,
    'oai-language': 'en-US',
    ...extra
  }
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

function post(b: TestBackend, path: string, client: Partial<Client>, body: unknown, extra: Record<string, string | undefined> = {}) {
  return fetch(`${b.url}${path}`, {
    method: 'POST',
    headers: headers(b, client, extra),
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

/** The 25-field config a browser would build on the bootstrap page (§4.3). */
function browserConfig(b: TestBackend, scriptSrc: string | null = null): PowConfig {
  return buildPowConfig({
    screenSum: 4000,
    dateString: browserDateString(new Date(), 'UTC'),
    userAgent: b.userAgent,
    scriptSrc,
    build: b.build,
    navigatorProbe: 'webdriver\u2212false',
    documentKey: 'location',
    windowKey: 'onresize',
    performanceNow: 1234.5,
    sessionId: randomUUID(),
    hardwareConcurrency: 8,
    timeOrigin: Date.now()
  })
}

type Challenge = { seed: string; difficulty: string }
type Prepared = { persona: string; prepare_token: string; proofofwork: Challenge & { required: boolean }; turnstile: { required: boolean; dx: string }; so?: unknown }
type Finalized = { persona: string; token: string; expire_after: number; expire_at: number; force_login: boolean; so_token?: string }

/** Steps 2–5 of §14: `p`, prepare, solve, finalize. */
async function requirements(b: TestBackend, client: Client) {
  const config = browserConfig(b)
  const p = requirementsToken(config, 3)
  const prepareRes = await post(b, '/backend-api/sentinel/chat-requirements/prepare', client, { p })
  expect(prepareRes.status).toBe(200)
  const prepared = (await prepareRes.json()) as Prepared
  const solution = await solveProofOfWork(prepared.proofofwork, config)
  const finalizeRes = await post(b, '/backend-api/sentinel/chat-requirements/finalize', client, {
    prepare_token: prepared.prepare_token,
    proofofwork: solution.answer,
    turnstile: 'dGVzdA=='
  })
  expect(finalizeRes.status).toBe(200)
  const finalized = (await finalizeRes.json()) as Finalized
  return { p, config, prepared, solution, finalized }
}

/** Step 6 of §14. */
async function conduit(b: TestBackend, client: Client, parent = 'client-created-root'): Promise<string> {
  const res = await post(b, '/backend-api/f/conversation/prepare', client, prepareBody(parent), { 'x-conduit-token': 'no-token' })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { status: string; conduit_token: string }
  expect(body.status).toBe('ok')
  return body.conduit_token
}

function prepareBody(parent: string, conversationId?: string) {
  return {
    action: 'next',
    fork_from_shared_post: false,
    parent_message_id: parent,
    ...(conversationId && { conversation_id: conversationId }),
    model: 'auto',
    timezone_offset_min: 0,
    timezone: 'UTC',
    conversation_mode: { kind: 'primary_assistant' },
    system_hints: [],
    supports_buffering: true,
    supported_encodings: ['v1'],
    client_prepare_state: 'none'
  }
}

/** A 2025–26 web turn's body (§6). */
function turnBody(prompt: string, parent = 'client-created-root', conversationId?: string) {
  return {
    action: 'next',
    messages: [
      {
        id: randomUUID(),
        author: { role: 'user' },
        create_time: Date.now() / 1000,
        content: { content_type: 'text', parts: [prompt] },
        metadata: { selected_github_repos: [], serialization_metadata: { custom_symbol_offsets: [] } }
      }
    ],
    parent_message_id: parent,
    ...(conversationId && { conversation_id: conversationId }),
    model: 'auto',
    timezone_offset_min: 0,
    timezone: 'UTC',
    conversation_mode: { kind: 'primary_assistant' },
    system_hints: [],
    supports_buffering: true,
    supported_encodings: ['v1'],
    client_prepare_state: 'success'
  }
}

/** The sentinel headers of §3.3 for a finalized turn. */
function sentinelHeaders(token: string, proof: string | undefined, conduitToken?: string): Record<string, string | undefined> {
  return {
    accept: 'text/event-stream',
    'openai-sentinel-chat-requirements-token': token,
    'openai-sentinel-proof-token': proof,
    'x-conduit-token': conduitToken
  }
}

/** The assistant's text and ids in a 2023-shape stream, which must end with `[DONE]`. */
function readReply(text: string): { text: string; messageId: string; conversationId: string } {
  const data = text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6))
  expect(data.at(-1)).toBe('[DONE]')
  const assistant = data
    // Pings carry an empty data line.
    .filter((d) => d !== '[DONE]' && d !== '')
    .map((d) => JSON.parse(d))
    .filter((event) => event.message?.author?.role === 'assistant')
    .at(-1)
  return { text: assistant.message.content.parts[0], messageId: assistant.message.id, conversationId: assistant.conversation_id }
}

/** An answer for `challenge` that certainly misses it: a nonce whose hash is above the difficulty. */
function wrongAnswer(config: PowConfig, challenge: Challenge): string {
  for (let nonce = 0; ; nonce++) {
    const encoded = Buffer.from(JSON.stringify(config.map((v, i) => (i === 3 ? nonce : v)))).toString('base64')
    if (!meetsDifficulty(fnv1a32Fmix(challenge.seed + encoded), challenge.difficulty)) return `gAAAAAB${encoded}~S`
  }
}

/** A signed-in client with its own device id, as after the bootstrap. */
async function signedIn(b: TestBackend, sessionToken?: string): Promise<Client> {
  return { token: await accessToken(b, sessionToken), deviceId: randomUUID() }
}

describe('2026 mode: bootstrap (GET /)', () => {
  it('serves a page with data-build and script srcs, and hands out an oai-did cookie once', async () => {
    const b = await start()
    const res = await fetch(`${b.url}/`, { headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(b.build).toMatch(/^prod-[0-9a-f]{40}$/)
    expect(/<html[^>]*\sdata-build="([^"]+)"/.exec(html)?.[1]).toBe(b.build)
    const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1])
    expect(scripts).toEqual([
      'https://cdn.oaistatic.com/assets/manifest-5c3f2b1a.js',
      'https://cdn.oaistatic.com/assets/root-9e8d7c6b.js',
      'https://chatgpt.com/backend-api/sentinel/sdk.js'
    ])
    const cookies = res.headers.getSetCookie()
    const did = cookies.map((c) => /^oai-did=([^;]+)/.exec(c)?.[1]).find(Boolean)
    expect(did).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(cookies.some((c) => c.startsWith('__cf_bm='))).toBe(true)
    expect(b.bootstrapDeviceIds).toEqual([did])

    // A browser that has its device id keeps it: no new oai-did.
    const again = await fetch(`${b.url}/`, {
      headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}; oai-did=${did}` }
    })
    expect(again.headers.getSetCookie().some((c) => c.startsWith('oai-did='))).toBe(false)
    expect(b.bootstrapDeviceIds).toEqual([did])
  })

  it('serves the scripts it is given (e.g. one with a c/<id>/_ build), and is behind the clearance', async () => {
    const scripts = ['https://cdn.oaistatic.com/_next/static/chunks/c/AbC123/_/app.js', '/x.js']
    const b = await start({ bootstrapScripts: scripts })
    const html = await (await fetch(`${b.url}/`, { headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}` } })).text()
    expect([...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1])).toEqual(scripts)
    const challenged = await fetch(`${b.url}/`, { headers: { 'user-agent': b.userAgent } })
    expect(challenged.status).toBe(403)
    expect(challenged.headers.get('cf-mitigated')).toBe('challenge')
  })
})

describe('2026 mode: the send sequence', () => {
  it('bootstrap → prepare → solve → finalize → conduit → send streams the reply', async () => {
    const b = await start()
    const client = await signedIn(b)
    const { p, config, prepared, solution, finalized } = await requirements(b, client)

    expect(prepared.persona).toBe('chatgpt-freeaccount')
    expect(prepared.prepare_token).toMatch(/^gAAAAAB/)
    expect(prepared.proofofwork).toMatchObject({ required: true, difficulty: '0fffff' })
    expect(prepared.proofofwork.seed).toMatch(/^0\.\d+/)
    expect(prepared.so).toBeUndefined()
    // dx is the program XORed with p (§3.4): it decodes to JSON with p as the key.
    const raw = Buffer.from(prepared.turnstile.dx, 'base64').toString('latin1')
    const program = Array.from(raw, (c, i) => String.fromCharCode(c.charCodeAt(0) ^ p.charCodeAt(i % p.length))).join('')
    expect(Array.isArray(JSON.parse(program))).toBe(true)
    expect(prepared.turnstile.required).toBe(true)

    expect(finalized).toMatchObject({ persona: 'chatgpt-freeaccount', expire_after: 540, force_login: false })
    expect(finalized.token).toMatch(/^gAAAAAB/)
    expect(finalized.expire_at - Math.floor(Date.now() / 1000)).toBeGreaterThan(500)
    expect(finalized.so_token).toBeUndefined()

    const conduitToken = await conduit(b, client)
    expect(conduitToken.split('.')).toHaveLength(3)
    const payload = JSON.parse(Buffer.from(conduitToken.split('.')[1]!, 'base64url').toString())
    expect(payload.exp - payload.iat).toBe(7200)

    const res = await post(b, SEND, client, turnBody('hello 2026'), sentinelHeaders(finalized.token, solution.answer, conduitToken))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reply = readReply(await res.text())
    expect(reply.text).toBe('echo: hello 2026')

    const turns = b.sentinelTurns()
    expect(turns).toHaveLength(1)
    expect(turns[0]).toMatchObject({ form: 'two-step', deviceId: client.deviceId, finalized: true, usedBy: SEND, turnstile: 'dGVzdA==' })
    expect(turns[0]!.proofOfWork).toEqual({ seed: prepared.proofofwork.seed, difficulty: '0fffff' })
    // What p carried: the config with 1 in entry 3 and the ms spent building it in entry 9 (§4.4).
    const sent: unknown[] = [...config]
    sent[3] = 1
    sent[9] = 3
    expect(turns[0]!.requirementsConfig).toEqual(sent)
    expect(turns[0]!.proofConfig?.[3]).toBe(solution.nonce)
    expect(b.conduitTokens()).toEqual([{ userId: turns[0]!.userId, deviceId: client.deviceId, sentConduitHeader: 'no-token', uses: 1 }])
    expect(b.deviceIds).toEqual([client.deviceId])
    const stored = b.conversations.get(reply.conversationId)!
    expect(Object.values(stored.mapping).some((node) => node.message?.content.parts[0] === 'hello 2026')).toBe(true)
  })

  it('continues a conversation with a fresh turn each time', async () => {
    const b = await start()
    const client = await signedIn(b)
    const first = await requirements(b, client)
    const res1 = await post(b, SEND, client, turnBody('one'), sentinelHeaders(first.finalized.token, first.solution.answer, await conduit(b, client)))
    const one = readReply(await res1.text())
    const second = await requirements(b, client)
    const res2 = await post(
      b,
      SEND,
      client,
      turnBody('two', one.messageId, one.conversationId),
      sentinelHeaders(second.finalized.token, second.solution.answer, await conduit(b, client, one.messageId))
    )
    expect(res2.status).toBe(200)
    const two = readReply(await res2.text())
    expect(two).toMatchObject({ text: 'echo: two', conversationId: one.conversationId })
    expect(b.sentinelTurns().map((turn) => turn.usedBy)).toEqual([SEND, SEND])
    expect(b.conversations.size).toBe(1)
  })

  it('the legacy /backend-api/conversation still answers, with the same sentinel headers and no conduit', async () => {
    const b = await start()
    const client = await signedIn(b)
    const bare = await post(b, LEGACY_SEND, client, turnBody('hi'), { accept: 'text/event-stream' })
    expect(bare.status).toBe(403)
    expect(bare.headers.get('cf-mitigated')).toBeNull()
    expect(((await bare.json()) as { detail: string }).detail).toMatch(UNUSUAL)

    const { finalized, solution } = await requirements(b, client)
    const res = await post(b, LEGACY_SEND, client, turnBody('legacy'), sentinelHeaders(finalized.token, solution.answer))
    expect(res.status).toBe(200)
    expect(readReply(await res.text()).text).toBe('echo: legacy')
    expect(b.sentinelTurns()[0]!.usedBy).toBe(LEGACY_SEND)
  })
})

describe('2026 mode: refusals', () => {
  it('a send without a proof token gets a bare 403 with an empty body, and leaves the turn unused', async () => {
    const b = await start()
    const client = await signedIn(b)
    const { finalized, solution } = await requirements(b, client)
    const conduitToken = await conduit(b, client)
    const res = await post(b, SEND, client, turnBody('hi'), sentinelHeaders(finalized.token, undefined, conduitToken))
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('')
    expect(res.headers.get('content-type')).toBeNull()
    expect(b.sentinelTurns()[0]!.usedBy).toBeUndefined()
    // The refusal spent nothing: the same turn, with its proof, goes through.
    const ok = await post(b, SEND, client, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, conduitToken))
    expect(ok.status).toBe(200)
    await ok.text()
  })

  it('a send whose proof misses the challenge gets a bare 403 too', async () => {
    const b = await start()
    const client = await signedIn(b)
    const { finalized, config, prepared } = await requirements(b, client)
    const res = await post(b, SEND, client, turnBody('hi'), sentinelHeaders(finalized.token, wrongAnswer(config, prepared.proofofwork), await conduit(b, client)))
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('')
  })

  it('finalize with other body keys gets 500 {"detail": "Internal Server Error"}', async () => {
    const b = await start()
    const client = await signedIn(b)
    const config = browserConfig(b)
    const p = requirementsToken(config, 3)
    const prepared = (await (await post(b, '/backend-api/sentinel/chat-requirements/prepare', client, { p })).json()) as Prepared
    const answer = (await solveProofOfWork(prepared.proofofwork, config)).answer
    const pt = prepared.prepare_token
    const bodies: unknown[] = [
      { p },
      { pt },
      { prepare_token: pt, proof_token: answer, turnstile_token: 'x' },
      { prepare_token: pt, proofofwork: answer },
      { prepare_token: pt, proofofwork: answer, turnstile: 'x', extra: 1 },
      { prepare_token: pt, proofofwork: 42, turnstile: 'x' },
      'not json',
      ''
    ]
    for (const body of bodies) {
      const res = await post(b, '/backend-api/sentinel/chat-requirements/finalize', client, body)
      expect(res.status, JSON.stringify(body)).toBe(500)
      expect(await res.json()).toEqual({ detail: 'Internal Server Error' })
    }
    // None of them finalized the turn: the right keys still do.
    const res = await post(b, '/backend-api/sentinel/chat-requirements/finalize', client, { prepare_token: pt, proofofwork: answer, turnstile: 'x' })
    expect(res.status).toBe(200)
  })

  it('finalize with a proof that misses the difficulty gets 403 "Unusual activity" JSON without cf-mitigated', async () => {
    const b = await start()
    const client = await signedIn(b)
    const config = browserConfig(b)
    const prepared = (await (await post(b, '/backend-api/sentinel/chat-requirements/prepare', client, { p: requirementsToken(config, 3) })).json()) as Prepared
    for (const proofofwork of [wrongAnswer(config, prepared.proofofwork), 'gAAAAABwQ8Lk5FbGpA2NcR9dShT6gYjU7VxZ4DImUi', 'garbage']) {
      const res = await post(b, '/backend-api/sentinel/chat-requirements/finalize', client, { prepare_token: prepared.prepare_token, proofofwork, turnstile: 'x' })
      expect(res.status).toBe(403)
      expect(res.headers.get('cf-mitigated')).toBeNull()
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(((await res.json()) as { detail: string }).detail).toMatch(UNUSUAL)
    }
    expect(b.sentinelTurns()[0]!.finalized).toBe(false)
  })

  it('a requirements token serves one send: reusing it gets 403 "Unusual activity"', async () => {
    const b = await start()
    const client = await signedIn(b)
    const { prepared, finalized, solution } = await requirements(b, client)
    const first = await post(b, SEND, client, turnBody('one'), sentinelHeaders(finalized.token, solution.answer, await conduit(b, client)))
    expect(first.status).toBe(200)
    await first.text()
    const again = await post(b, SEND, client, turnBody('two'), sentinelHeaders(finalized.token, solution.answer, await conduit(b, client)))
    expect(again.status).toBe(403)
    expect(((await again.json()) as { detail: string }).detail).toMatch(UNUSUAL)
    expect(b.conversations.size).toBe(1)
    // Nor does a prepare token finalize twice.
    const refinalize = await post(b, '/backend-api/sentinel/chat-requirements/finalize', client, {
      prepare_token: prepared.prepare_token,
      proofofwork: solution.answer,
      turnstile: 'x'
    })
    expect(refinalize.status).toBe(403)
  })

  it('requirements are bound to the device id and the account they were issued to', async () => {
    const b = await start()
    const client = await signedIn(b)
    const { finalized, solution } = await requirements(b, client)
    const conduitToken = await conduit(b, client)
    const otherDevice = { ...client, deviceId: randomUUID() }
    const moved = await post(b, SEND, otherDevice, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, conduitToken))
    expect(moved.status).toBe(403)
    expect(((await moved.json()) as { detail: string }).detail).toMatch(UNUSUAL)
    const noDevice = await post(b, SEND, { token: client.token }, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, conduitToken))
    expect(noDevice.status).toBe(403)

    const other = await signedIn(b, b.addAccount().sessionToken)
    const borrowed = await post(b, SEND, { ...other, deviceId: client.deviceId }, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, await conduit(b, other)))
    expect(borrowed.status).toBe(403)
    expect(b.sentinelTurns()[0]!.usedBy).toBeUndefined()
    expect(b.deviceIds).toEqual([client.deviceId, otherDevice.deviceId, other.deviceId])

    // Finalize from another device than prepare's is refused as well.
    const config = browserConfig(b)
    const prepared = (await (await post(b, '/backend-api/sentinel/chat-requirements/prepare', client, { p: requirementsToken(config, 3) })).json()) as Prepared
    const answer = (await solveProofOfWork(prepared.proofofwork, config)).answer
    const finalizeElsewhere = await post(b, '/backend-api/sentinel/chat-requirements/finalize', otherDevice, { prepare_token: prepared.prepare_token, proofofwork: answer, turnstile: 'x' })
    expect(finalizeElsewhere.status).toBe(403)
    // Sentinel requests without any device id are refused too.
    const anonymousDevice = await post(b, '/backend-api/sentinel/chat-requirements/prepare', { token: client.token }, { p: requirementsToken(config, 3) })
    expect(anonymousDevice.status).toBe(403)
  })

  it('a send without a conduit token (or with another account\'s) gets 422 {"detail": "Invalid conduit token"}', async () => {
    const b = await start()
    const client = await signedIn(b)
    const other = await signedIn(b, b.addAccount().sessionToken)
    const { finalized, solution } = await requirements(b, client)
    for (const conduitToken of [undefined, 'no-token', await conduit(b, other)]) {
      const res = await post(b, SEND, client, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, conduitToken))
      expect(res.status).toBe(422)
      expect(await res.json()).toEqual({ detail: 'Invalid conduit token' })
    }
    expect(b.sentinelTurns()[0]!.usedBy).toBeUndefined()
  })

  it('conduit prepare refuses a body that is not a turn with 422 "Invalid conv…"', async () => {
    const b = await start()
    const client = await signedIn(b)
    const res = await post(b, '/backend-api/f/conversation/prepare', client, {}, { 'x-conduit-token': 'no-token' })
    expect(res.status).toBe(422)
    expect(((await res.json()) as { detail: string }).detail).toMatch(/^Invalid conv/)
  })

  it('an expired requirements token gets 403', async () => {
    const b = await start({ requirementsTTLSeconds: 0.001 })
    const client = await signedIn(b)
    const { finalized, solution } = await requirements(b, client)
    const conduitToken = await conduit(b, client)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const res = await post(b, SEND, client, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, conduitToken))
    expect(res.status).toBe(403)
  })

  it('every 2026 endpoint wants an access token: 401 "Could not parse your authentication token…"', async () => {
    const b = await start()
    const deviceId = randomUUID()
    for (const path of ['/backend-api/sentinel/chat-requirements/prepare', '/backend-api/sentinel/chat-requirements', '/backend-api/f/conversation/prepare', SEND]) {
      for (const token of [undefined, 'not-a-token']) {
        const res = await post(b, path, { token, deviceId }, { p: requirementsToken(browserConfig(b), 1) })
        expect(res.status, path).toBe(401)
        expect(await res.json()).toEqual({ detail: 'Could not parse your authentication token. Please try signing in again.' })
      }
    }
  })
})

describe('2026 mode: fallbacks', () => {
  it('with twoStepSentinel off, prepare and finalize are 404 and the single-step form feeds the legacy send', async () => {
    const b = await start({ twoStepSentinel: false, conduitEndpoints: false })
    const client = await signedIn(b)
    const config = browserConfig(b)
    const p = requirementsToken(config, 3)
    for (const step of ['prepare', 'finalize']) {
      const res = await post(b, `/backend-api/sentinel/chat-requirements/${step}`, client, { p })
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ detail: 'Not Found' })
    }
    const conduitRes = await post(b, '/backend-api/f/conversation/prepare', client, prepareBody('client-created-root'))
    expect(conduitRes.status).toBe(404)
    expect((await post(b, SEND, client, turnBody('hi'))).status).toBe(404)

    const single = await post(b, '/backend-api/sentinel/chat-requirements', client, { p })
    expect(single.status).toBe(200)
    const req = (await single.json()) as Finalized & Omit<Prepared, 'prepare_token'>
    expect(req).toMatchObject({ persona: 'chatgpt-freeaccount', expire_after: 540, force_login: false, proofofwork: { required: true, difficulty: '0fffff' }, turnstile: { required: true } })
    expect(req.token).toMatch(/^gAAAAAB/)
    const answer = (await solveProofOfWork(req.proofofwork, config)).answer

    // The single-step proof is checked on the send, and the turnstile answer must come with it.
    const wrong = await post(b, LEGACY_SEND, client, turnBody('hi'), sentinelHeaders(req.token, wrongAnswer(config, req.proofofwork)))
    expect(wrong.status).toBe(403)
    const noTurnstile = await post(b, LEGACY_SEND, client, turnBody('hi'), sentinelHeaders(req.token, answer))
    expect(noTurnstile.status).toBe(403)
    const res = await post(b, LEGACY_SEND, client, turnBody('single'), {
      ...sentinelHeaders(req.token, answer),
      'openai-sentinel-turnstile-token': 'dGVzdA=='
    })
    expect(res.status).toBe(200)
    expect(readReply(await res.text()).text).toBe('echo: single')
    expect(b.sentinelTurns()).toMatchObject([{ form: 'single-step', finalized: true, usedBy: LEGACY_SEND, turnstile: 'dGVzdA==' }])
  })

  it('the 2022 default has none of it: no bootstrap, no sentinel, no /f/, and the plain send works', async () => {
    const b = await createTestBackend({ shape: '2023' })
    running.push(b)
    expect(b.protocol).toBe('2022')
    const client = await signedIn(b)
    const get = await fetch(`${b.url}/`, { headers: headers(b, client) })
    expect(get.status).toBe(404)
    for (const path of ['/backend-api/sentinel/chat-requirements/prepare', '/backend-api/sentinel/chat-requirements', '/backend-api/f/conversation/prepare', SEND]) {
      expect((await post(b, path, client, {})).status, path).toBe(404)
    }
    const body = { ...turnBody('old'), parent_message_id: randomUUID() }
    const res = await post(b, LEGACY_SEND, client, body, { accept: 'text/event-stream' })
    expect(res.status).toBe(200)
    await res.text()
    expect(b.deviceIds).toEqual([])
  })
})

describe('2026 mode: options and faults', () => {
  it('so challenge: finalize hands out a so_token the send must pass back', async () => {
    const b = await start({ soChallenge: true })
    const client = await signedIn(b)
    const { prepared, finalized, solution } = await requirements(b, client)
    expect(prepared.so).toMatchObject({ required: true, collector_dx: expect.any(String) })
    expect(finalized.so_token).toMatch(/^gAAAAAB/)
    const headers = sentinelHeaders(finalized.token, solution.answer, await conduit(b, client))
    expect((await post(b, SEND, client, turnBody('hi'), headers)).status).toBe(403)
    const res = await post(b, SEND, client, turnBody('hi'), { ...headers, 'openai-sentinel-so-token': finalized.so_token })
    expect(res.status).toBe(200)
    await res.text()
  })

  it('a legacy SHA3 answer (no ~S) is refused unless acceptLegacyProof', async () => {
    for (const acceptLegacyProof of [false, true]) {
      const b = await start({ acceptLegacyProof })
      const client = await signedIn(b)
      const config = browserConfig(b)
      const prepared = (await (await post(b, '/backend-api/sentinel/chat-requirements/prepare', client, { p: requirementsToken(config, 3) })).json()) as Prepared
      const legacy = await solveProofOfWork(prepared.proofofwork, config, { variant: LEGACY_SHA3_POW })
      expect(legacy.answer.endsWith('~S')).toBe(false)
      const res = await post(b, '/backend-api/sentinel/chat-requirements/finalize', client, { prepare_token: prepared.prepare_token, proofofwork: legacy.answer, turnstile: 'x' })
      expect(res.status).toBe(acceptLegacyProof ? 200 : 403)
    }
  })

  it('a harder powDifficulty is what prepare asks for, and bad options are refused at creation', async () => {
    const b = await start({ powDifficulty: '00ffff' })
    const client = await signedIn(b)
    const { prepared, solution } = await requirements(b, client)
    expect(prepared.proofofwork.difficulty).toBe('00ffff')
    expect(solution.hash.startsWith('00')).toBe(true)
    await expect(createTestBackend({ protocol: '2025' as never })).rejects.toThrow(TypeError)
    await expect(createTestBackend({ powDifficulty: '0FFFFF' })).rejects.toThrow(/powDifficulty/)
    await expect(createTestBackend({ requirementsTTLSeconds: 0 })).rejects.toThrow(RangeError)
    await expect(createTestBackend({ bootstrapScripts: ['a" onload="x'] })).rejects.toThrow(/bootstrapScripts/)
  })

  it('expresses 401 "Could not parse…" on prepare and 429 model_cap_exceeded on the send as faults', async () => {
    const b = await start()
    const client = await signedIn(b)
    const parse = { detail: 'Could not parse your authentication token. Please try signing in again.' }
    b.fault({ type: 'status', status: 401, body: parse, endpoint: 'sentinel' })
    const refused = await post(b, '/backend-api/sentinel/chat-requirements/prepare', client, { p: requirementsToken(browserConfig(b), 3) })
    expect(refused.status).toBe(401)
    expect(await refused.json()).toEqual(parse)

    const cap = { message: 'You have sent too many messages to the model. Please try again later.', code: 'model_cap_exceeded', clears_in: 252 }
    b.fault({ type: 'status', status: 429, body: { detail: cap } })
    const { finalized, solution } = await requirements(b, client)
    const res = await post(b, SEND, client, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, await conduit(b, client)))
    expect(res.status).toBe(429)
    expect(await res.json()).toEqual({ detail: cap })
    // The sentinel checks passed before the fault: the turn is spent, as a real send's would be.
    expect(b.sentinelTurns().at(-1)!.usedBy).toBe(SEND)

    b.fault({ type: 'status', status: 503, endpoint: 'conduit' })
    expect((await post(b, '/backend-api/f/conversation/prepare', client, prepareBody('client-created-root'))).status).toBe(503)
    expect(() => b.fault({ type: 'stall', endpoint: 'sentinel' })).toThrow(TypeError)
  })

  it('reset forgets turns, conduit tokens and device ids, and the tokens with them', async () => {
    const b = await start()
    const client = await signedIn(b)
    const { finalized, solution } = await requirements(b, client)
    const conduitToken = await conduit(b, client)
    b.reset()
    expect(b.sentinelTurns()).toEqual([])
    expect(b.conduitTokens()).toEqual([])
    expect(b.deviceIds).toEqual([])
    const res = await post(b, SEND, client, turnBody('hi'), sentinelHeaders(finalized.token, solution.answer, conduitToken))
    expect(res.status).toBe(403)
  })
})
