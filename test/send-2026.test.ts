/**
 * The client's protocol '2026' (PROTOCOL-2026.md §14) against the test backend's 2026 mode, which
 * enforces the sequence: page, sentinel prepare/finalize with a proof of work checked by hash, a
 * conduit token, the send, all tied to one device id.
 */
import { randomUUID } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { ChatGPTAccountPool, ChatGPTAPI, type ChatGPTAPIOptions } from '../packages/chatgpt-kit/src/index.js'
import { MAX_TURN_TOKENS, Secrets } from '../packages/chatgpt-kit/src/internal/secrets.js'
import { webHeaders2026 } from '../packages/chatgpt-kit/src/internal/sentinel/headers-2026.js'
import { siteOf } from '../packages/chatgpt-kit/src/internal/sentinel/site-url.js'
import { reasoning2026 } from '../packages/chatgpt-kit/src/testing/event-shape-2026.js'
import type { ReplyContext, TestBackend, TestBackendOptions } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup, until } from './helpers/backend.js'
import { poolSetup } from './helpers/pool.js'

const SEND = '/backend-api/f/conversation'
const LEGACY_SEND = '/backend-api/conversation'
const PREPARE = '/backend-api/sentinel/chat-requirements/prepare'
const FINALIZE = '/backend-api/sentinel/chat-requirements/finalize'
const SINGLE_STEP = '/backend-api/sentinel/chat-requirements'
const CONDUIT = '/backend-api/f/conversation/prepare'
const UNUSUAL = 'Unusual activity has been detected from your device. Try again later. (0123456789abcdef-SJC)'
const UNPARSEABLE = 'Could not parse your authentication token. Please try signing in again.'

const echo = (prompt: string, ctx: ReplyContext) => `${ctx.action} #${ctx.messages.length}: ${prompt}`

/** A 2026 backend and a 2026 client of it, with the client's debug lines. */
async function start2026(backendOptions: TestBackendOptions = {}, clientOptions: Partial<ChatGPTAPIOptions> = {}) {
  const lines: string[] = []
  const { backend, api } = await setup(
    { protocol: '2026', reply: echo, ...backendOptions },
    { protocol: '2026', debug: (line) => lines.push(line), ...clientOptions }
  )
  return { backend, api, lines }
}

const requestsTo = (backend: TestBackend, path: string) => backend.requests.filter((r) => r.path === path)
const paths = (backend: TestBackend) => backend.requests.map((r) => `${r.method} ${r.path}`)

describe('protocol 2026: a conversation', () => {
  it('runs the whole sequence for each message, on one device id', async () => {
    const { backend, api } = await start2026()
    const first = await api.sendMessageDetailed('one')
    expect(first.text).toBe('next #1: one')
    expect(paths(backend)).toEqual([
      'GET /',
      'GET /api/auth/session',
      `POST ${PREPARE}`,
      `POST ${FINALIZE}`,
      `POST ${CONDUIT}`,
      `POST ${SEND}`
    ])
    const second = await api.sendMessageDetailed('two', { conversationId: first.conversationId, parentMessageId: first.messageId })
    expect(second).toMatchObject({ text: 'next #3: two', conversationId: first.conversationId })
    // The page is cached; the requirements and the conduit token are fresh for each send.
    expect(paths(backend).slice(6)).toEqual([`POST ${PREPARE}`, `POST ${FINALIZE}`, `POST ${CONDUIT}`, `POST ${SEND}`])

    const turns = backend.sentinelTurns()
    expect(turns.map((t) => [t.form, t.finalized, t.usedBy])).toEqual([
      ['two-step', true, SEND],
      ['two-step', true, SEND]
    ])
    expect(backend.conduitTokens().map((c) => [c.sentConduitHeader, c.uses])).toEqual([
      ['no-token', 1],
      ['no-token', 1]
    ])
    // One device id everywhere, the one the page was told through its cookie (no new oai-did).
    expect(backend.deviceIds).toHaveLength(1)
    const [deviceId] = backend.deviceIds
    expect(turns.every((t) => t.deviceId === deviceId)).toBe(true)
    expect(backend.bootstrapDeviceIds).toEqual([])
    expect(backend.requests[0]!.headers.cookie).toContain(`oai-did=${deviceId}`)
    // The proof config names the page's build and one of its scripts, and keeps the browser.
    const [config1, config2] = turns.map((t) => t.proofConfig!)
    expect(config1![6]).toBe(backend.build)
    expect(['https://cdn.oaistatic.com/assets/manifest-5c3f2b1a.js', 'https://cdn.oaistatic.com/assets/root-9e8d7c6b.js', 'https://chatgpt.com/backend-api/sentinel/sdk.js']).toContain(config1![5])
    for (const index of [0, 4, 14, 16, 17]) expect(config2![index]).toEqual(config1![index])
    expect(config1![4]).toBe(backend.userAgent)

    // The first message of a new conversation (parent 'client-created-root') regenerates too.
    const other = await api.regenerateReply({ conversationId: first.conversationId, messageId: first.messageId })
    expect(other).toMatchObject({ text: 'variant #1: one', parentMessageId: first.parentMessageId })
  })

  it('sends the 2026 headers on every backend call and the sentinel headers on the send', async () => {
    const { backend, api } = await start2026()
    const reply = await api.sendMessageDetailed('hi')
    await api.getConversationHistory(reply.conversationId)
    await api.getModels()
    for (const request of backend.requests.filter((r) => r.path.startsWith('/backend-api/'))) {
      expect(request.headers['oai-device-id'], request.path).toBe(backend.deviceIds[0])
      expect(request.headers['oai-language'], request.path).toBe('en-US')
      expect(request.headers.origin, request.path).toBe(backend.url)
      // The test backend's tokens name no account, and its session no `account`.
      expect(request.headers['chatgpt-account-id'], request.path).toBeUndefined()
    }
    const send = requestsTo(backend, SEND)[0]!
    expect(send.headers.accept).toBe('text/event-stream')
    expect(send.headers['openai-sentinel-chat-requirements-token']).toMatch(/^gAAAAAB/)
    expect(send.headers['openai-sentinel-proof-token']).toMatch(/^gAAAAAB.*~S$/)
    expect(send.headers['x-conduit-token']!.split('.')).toHaveLength(3)
    // The two-step form hands the turnstile answer in at finalize, not on the send.
    expect(send.headers['openai-sentinel-turnstile-token']).toBeUndefined()
    expect(requestsTo(backend, CONDUIT)[0]!.headers['x-conduit-token']).toBe('no-token')
    // The page load is the page's: no origin, no Bearer, HTML wanted, the device cookie sent.
    const page = backend.requests[0]!
    expect(page.headers.origin).toBeUndefined()
    expect(page.headers.authorization).toBeUndefined()
    expect(page.headers.accept).toMatch(/^text\/html/)
    expect(page.headers.cookie).toBe(`cf_clearance=${backend.clearanceToken}; oai-did=${backend.deviceIds[0]}`)
  })

  it('sends the bodies of today’s web client: a created root, the user message as author, the conduit’s partial query', async () => {
    const { backend, api } = await start2026()
    const reply = await api.sendMessageDetailed('hello')
    const body = requestsTo(backend, SEND)[0]!.body as Record<string, any>
    expect(body).toMatchObject({
      action: 'next',
      parent_message_id: 'client-created-root',
      model: 'text-davinci-002-render',
      supported_encodings: ['v1'],
      conversation_mode: { kind: 'primary_assistant' },
      client_prepare_state: 'success',
      timezone: expect.any(String),
      timezone_offset_min: expect.any(Number)
    })
    expect(body.conversation_id).toBeUndefined()
    expect(body.messages).toEqual([
      {
        id: reply.parentMessageId,
        author: { role: 'user' },
        create_time: expect.any(Number),
        content: { content_type: 'text', parts: ['hello'] },
        metadata: expect.any(Object)
      }
    ])
    const prepare = requestsTo(backend, CONDUIT)[0]!.body as Record<string, any>
    expect(prepare).toMatchObject({
      action: 'next',
      parent_message_id: 'client-created-root',
      client_prepare_state: 'none',
      partial_query: { id: reply.parentMessageId, author: { role: 'user' }, content: { content_type: 'text', parts: ['hello'] } }
    })
  })

  it('regenerates, continues and auto-continues, each with fresh requirements', async () => {
    const { backend, api } = await start2026({ maxReplyTokens: 5, reply: () => 'a b c d e f g h i j k l m n o p' })
    const first = await api.sendMessageDetailed('go')
    expect(first.finishReason).toBe('max_tokens')
    const more = await api.continueReply({ conversationId: first.conversationId, messageId: first.messageId })
    expect(more.messageId).toBe(first.messageId)
    expect(more.text.startsWith(first.text)).toBe(true)
    expect(more.text.length).toBeGreaterThan(first.text.length)

    const whole = await api.sendMessageDetailed('again', {
      conversationId: first.conversationId,
      parentMessageId: more.messageId,
      autoContinue: 10
    })
    expect(whole.text).toBe('a b c d e f g h i j k l m n o p')
    expect(whole.finishReason).toBe('stop')

    const other = await api.regenerateReply({ conversationId: first.conversationId, messageId: whole.messageId })
    expect(other.parentMessageId).toBe(whole.parentMessageId)
    expect(other.messageId).not.toBe(whole.messageId)
    const tree = backend.conversations.get(first.conversationId)!
    expect(tree.mapping[whole.parentMessageId]!.children).toEqual([whole.messageId, other.messageId])

    const sends = requestsTo(backend, SEND).map((r) => (r.body as { action: string }).action)
    expect(sends.slice(0, 2)).toEqual(['next', 'continue'])
    expect(sends.at(-1)).toBe('variant')
    expect(sends.filter((action) => action === 'continue').length).toBeGreaterThan(2)
    // One turn per send, each used by its own send.
    const turns = backend.sentinelTurns()
    expect(turns).toHaveLength(sends.length)
    expect(turns.every((t) => t.usedBy === SEND)).toBe(true)
    expect(backend.conduitTokens().every((c) => c.uses === 1)).toBe(true)
  })

  it('streams a message and threads a ChatGPTConversation', async () => {
    const { backend, api } = await start2026({ shape: '2026' })
    const stream = api.streamMessage('stream me')
    let text = ''
    for await (const update of stream) text += update.delta
    const result = await stream.result
    expect(text).toBe(result.text)
    expect(result.text).toBe('next #1: stream me')

    const conversation = api.getConversation()
    expect(await conversation.sendMessage('a')).toBe('next #1: a')
    expect(await conversation.sendMessage('b')).toBe('next #3: b')
    expect(backend.conversations.size).toBe(2)
    expect(backend.deviceIds).toHaveLength(1)
  })

  it('keeps a given deviceId; two clients without one get two', async () => {
    const deviceId = randomUUID()
    const { backend, api } = await start2026({}, { deviceId })
    await api.sendMessage('hi')
    const other = new ChatGPTAPI({
      sessionToken: backend.addAccount().sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl,
      protocol: '2026'
    })
    await other.sendMessage('hi')
    await other.sendMessage('again')
    expect(backend.deviceIds).toHaveLength(2)
    expect(backend.deviceIds[0]).toBe(deviceId)
    expect(backend.deviceIds[1]).not.toBe(deviceId)
  })

  it('works with an access token alone, and hands a so token back when finalize gives one', async () => {
    const { backend } = await start2026({ soChallenge: true })
    const api = ChatGPTAPI.fromAccessToken({
      accessToken: backend.issueAccessToken(),
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl,
      protocol: '2026'
    })
    expect(await api.sendMessage('hi')).toBe('next #1: hi')
    expect(requestsTo(backend, '/api/auth/session')).toHaveLength(0)
    expect(requestsTo(backend, SEND)[0]!.headers['openai-sentinel-so-token']).toMatch(/^gAAAAAB/)
    expect(backend.sentinelTurns()[0]!.usedBy).toBe(SEND)
  })

  it('pool accounts take the protocol options too', async () => {
    const deviceId = randomUUID()
    const { backend, pool, accountOptions } = await poolSetup(1, { protocol: '2026', reply: echo })
    await pool.close()
    const pool2026 = new ChatGPTAccountPool({ accounts: [{ ...accountOptions('a'), protocol: '2026', deviceId }] })
    try {
      expect(await pool2026.sendMessage('hi')).toBe('next #1: hi')
    } finally {
      await pool2026.close()
    }
    expect(backend.deviceIds).toEqual([deviceId])
    expect(backend.sentinelTurns()[0]!.usedBy).toBe(SEND)
  })
})

describe('protocol 2026: ChatGPT-Account-Id', () => {
  const ACCOUNT = '3f2a7c1e-0b5d-4e8f-9a61-2c4d6e8f0a1b'

  /** A fetch that adds `account` to the session's answer, as 2025–26 sessions have it. */
  const withAccount = (account: unknown): typeof fetch => async (input, init) => {
    const response = await fetch(input, init)
    if (new URL(String(input)).pathname !== '/api/auth/session') return response
    const body = { ...((await response.json()) as object), account }
    return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } })
  }

  it("is the session's account.id on every backend call", async () => {
    const { backend, api } = await start2026({}, { fetch: withAccount({ id: ACCOUNT, planType: 'plus' }) })
    await api.sendMessage('hi')
    const backendCalls = backend.requests.filter((r) => r.path.startsWith('/backend-api/'))
    expect(backendCalls).toHaveLength(4)
    for (const request of backendCalls) expect(request.headers['chatgpt-account-id'], request.path).toBe(ACCOUNT)
    // Not on the page load, nor on the session request.
    expect(backend.requests[0]!.headers['chatgpt-account-id']).toBeUndefined()
  })

  it('is left out when the session names an id that cannot go into a header', async () => {
    const { backend, api } = await start2026({}, { fetch: withAccount({ id: 'x\r\nInjected: 1' }) })
    await api.sendMessage('hi')
    for (const request of backend.requests) expect(request.headers['chatgpt-account-id']).toBeUndefined()
  })

  it("comes from the access token's chatgpt_account_id claim when the session names none", () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const token = (claims: object) => `${part({ alg: 'RS256' })}.${part(claims)}.c2lnbmF0dXJl`
    let sessionAccount: string | undefined
    const headers = webHeaders2026({
      userAgent: 'UA',
      clearanceToken: undefined,
      deviceId: '00000000-0000-4000-8000-000000000000',
      site: siteOf('https://chatgpt.com/backend-api'),
      sessionAccountId: () => sessionAccount
    })
    const spec = (accessToken: string) => ({ method: 'GET' as const, url: 'https://chatgpt.com/backend-api/models', accessToken, signal: new AbortController().signal, attempt: 1 })
    const claimed = token({ 'https://api.openai.com/auth': { chatgpt_account_id: ACCOUNT, user_id: 'user-1' } })
    expect(headers(spec(claimed))).toMatchObject({
      'ChatGPT-Account-Id': ACCOUNT,
      'oai-device-id': '00000000-0000-4000-8000-000000000000',
      'oai-language': 'en-US',
      origin: 'https://chatgpt.com',
      referer: 'https://chatgpt.com/'
    })
    expect(headers(spec(token({ 'https://api.openai.com/auth': { user_id: 'user-1' } })))['ChatGPT-Account-Id']).toBeUndefined()
    expect(headers(spec('not-a-jwt'))['ChatGPT-Account-Id']).toBeUndefined()
    sessionAccount = 'the-session-account'
    expect(headers(spec(claimed))['ChatGPT-Account-Id']).toBe('the-session-account')
  })
})

describe('protocol 2026: fallbacks', () => {
  it('uses the single-step sentinel when prepare answers 404, and remembers it', async () => {
    const { backend, api, lines } = await start2026({ twoStepSentinel: false })
    expect(await api.sendMessage('one')).toBe('next #1: one')
    expect(await api.sendMessage('two')).toBe('next #1: two')
    expect(requestsTo(backend, PREPARE)).toHaveLength(1)
    expect(requestsTo(backend, SINGLE_STEP)).toHaveLength(2)
    expect(backend.sentinelTurns().map((t) => [t.form, t.usedBy])).toEqual([
      ['single-step', SEND],
      ['single-step', SEND]
    ])
    // The single step's turnstile answer rides on the send.
    for (const send of requestsTo(backend, SEND)) expect(send.headers['openai-sentinel-turnstile-token']).toHaveLength(2256)
    expect(lines.some((line) => line.includes('prepare answered 404'))).toBe(true)
  })

  it('sends to /backend-api/conversation when the conduit endpoints answer 404', async () => {
    const { backend, api } = await start2026({ conduitEndpoints: false })
    const first = await api.sendMessageDetailed('one')
    await api.sendMessage('two', { conversationId: first.conversationId, parentMessageId: first.messageId })
    expect(requestsTo(backend, CONDUIT)).toHaveLength(1)
    expect(requestsTo(backend, SEND)).toHaveLength(0)
    expect(backend.sentinelTurns().map((t) => [t.form, t.usedBy])).toEqual([
      ['two-step', LEGACY_SEND],
      ['two-step', LEGACY_SEND]
    ])
    const body = requestsTo(backend, LEGACY_SEND)[0]!.body as Record<string, unknown>
    expect(body.client_prepare_state).toBeUndefined()
    expect(requestsTo(backend, LEGACY_SEND)[0]!.headers['x-conduit-token']).toBeUndefined()
  })

  it('falls back on both at once', async () => {
    const { backend, api } = await start2026({ twoStepSentinel: false, conduitEndpoints: false })
    expect(await api.sendMessage('hi')).toBe('next #1: hi')
    expect(backend.sentinelTurns()).toMatchObject([{ form: 'single-step', usedBy: LEGACY_SEND }])
  })

  it("prefers a script's c/<id>/_ to the page's data-build, as the SDK does", async () => {
    const scripts = ['https://cdn.oaistatic.com/_next/static/chunks/c/AbC123/_/app.js?v=1&amp;x=2']
    const { backend, api } = await start2026({ bootstrapScripts: scripts })
    await api.sendMessage('hi')
    const config = backend.sentinelTurns()[0]!.proofConfig!
    expect(config[6]).toBe('c/AbC123/_')
    // An attribute's &amp; is read as the browser reads it.
    expect(config[5]).toBe('https://cdn.oaistatic.com/_next/static/chunks/c/AbC123/_/app.js?v=1&x=2')
  })

  it('goes on without the page when it cannot be loaded', async () => {
    const { backend, lines } = await start2026()
    const broken = new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: `${backend.backendApiBaseUrl}/`,
      protocol: '2026',
      debug: (line) => lines.push(line),
      fetch: (input, init) => {
        const url = String(input)
        // The page is down; everything else answers.
        return new URL(url).pathname === '/' ? Promise.resolve(new Response('gone', { status: 503 })) : fetch(input, init)
      }
    })
    expect(await broken.sendMessage('hi')).toBe('next #1: hi')
    const config = backend.sentinelTurns()[0]!.proofConfig!
    expect(config[6]).toBeNull()
    expect(config[5]).toBe(`${backend.backendApiBaseUrl}/sentinel/sdk.js`)
    expect(lines).toContain('bootstrap: page not read (server_error); the proof of work goes on without its build and scripts')
  })
})

describe('protocol 2026: refusals', () => {
  it('a 401 "Could not parse…" on the sentinel signs in again once, and the turn goes on', async () => {
    const { backend, api } = await start2026()
    backend.fault({ type: 'status', status: 401, body: { detail: UNPARSEABLE }, endpoint: 'sentinel' })
    expect(await api.sendMessage('hi')).toBe('next #1: hi')
    expect(requestsTo(backend, '/api/auth/session')).toHaveLength(2)
    expect(requestsTo(backend, PREPARE)).toHaveLength(2)
  })

  it('a second 401 in the same turn fails it with token_expired: one sign-in per turn', async () => {
    const { backend, api } = await start2026()
    backend.fault({ type: 'status', status: 401, body: { detail: UNPARSEABLE }, endpoint: 'sentinel' })
    backend.fault({ type: 'status', status: 401, body: { detail: UNPARSEABLE }, endpoint: 'conduit' })
    const error = await rejectionOf(api.sendMessage('hi'))
    expect(error.code).toBe('token_expired')
    expect(error.message).toContain('Could not parse your authentication token')
    expect(requestsTo(backend, '/api/auth/session')).toHaveLength(2)
    expect(requestsTo(backend, SEND)).toHaveLength(0)
  })

  it('a 401 on the send runs the whole turn again with a fresh token, never resending the spent one', async () => {
    const { backend, api } = await start2026()
    backend.fault({ type: 'status', status: 401, body: { detail: UNPARSEABLE } })
    expect(await api.sendMessage('hi')).toBe('next #1: hi')
    expect(requestsTo(backend, '/api/auth/session')).toHaveLength(2)
    const sends = requestsTo(backend, SEND)
    expect(sends).toHaveLength(2)
    expect(sends[0]!.headers.authorization).not.toBe(sends[1]!.headers.authorization)
    expect(sends[0]!.headers['openai-sentinel-chat-requirements-token']).not.toBe(sends[1]!.headers['openai-sentinel-chat-requirements-token'])
    expect(backend.sentinelTurns().map((t) => t.usedBy)).toEqual([SEND, SEND])
  })

  it('an expired access token is renewed at the first step of the turn', async () => {
    const { backend, api } = await start2026()
    await api.sendMessage('warm up')
    backend.expireAccessTokens()
    expect(await api.sendMessage('hi')).toBe('next #1: hi')
    expect(requestsTo(backend, '/api/auth/session')).toHaveLength(2)
    expect(requestsTo(backend, PREPARE)).toHaveLength(3)
    expect(backend.sentinelTurns().filter((t) => t.usedBy === SEND)).toHaveLength(2)
  })

  it('"Unusual activity" from the sentinel is bot_detected, asked once', async () => {
    const { backend, api } = await start2026()
    backend.fault({ type: 'status', status: 403, body: { detail: UNUSUAL }, endpoint: 'sentinel' })
    const error = await rejectionOf(api.sendMessage('hi', { maxRetries: 5 }))
    expect(error.code).toBe('bot_detected')
    expect(error.statusCode).toBe(403)
    expect(requestsTo(backend, PREPARE)).toHaveLength(1)
    expect(requestsTo(backend, FINALIZE)).toHaveLength(0)
    expect(requestsTo(backend, SEND)).toHaveLength(0)
  })

  it('"Unusual activity" on the send is bot_detected, sent once', async () => {
    const { backend, api } = await start2026()
    backend.fault({ type: 'status', status: 403, body: { detail: UNUSUAL } })
    const error = await rejectionOf(api.sendMessage('hi', { maxRetries: 5 }))
    expect(error.code).toBe('bot_detected')
    expect(requestsTo(backend, SEND)).toHaveLength(1)
    expect(backend.sentinelTurns()).toHaveLength(1)
  })

  it('a proof the server does not take is bot_detected at finalize, without a loop', async () => {
    const { backend } = await start2026()
    // A send whose config does not hash: the client's fetch swaps the proof for a wrong one.
    const wrong = new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl,
      protocol: '2026',
      fetch: (input, init) => {
        if (new URL(String(input)).pathname === FINALIZE) {
          const body = JSON.parse(String(init!.body)) as Record<string, string>
          return fetch(input, { ...init, body: JSON.stringify({ ...body, proofofwork: 'gAAAAABnotaproof~S' }) })
        }
        return fetch(input, init)
      }
    })
    const error = await rejectionOf(wrong.sendMessage('hi'))
    expect(error.code).toBe('bot_detected')
    expect(requestsTo(backend, FINALIZE)).toHaveLength(1)
    expect(requestsTo(backend, SEND)).toHaveLength(0)
  })

  it('a bare 403 on the send runs the turn again once, page included; a second one ends the call', async () => {
    const { backend, api, lines } = await start2026()
    backend.fault({ type: 'status', status: 403, body: '' })
    expect(await api.sendMessage('hi')).toBe('next #1: hi')
    expect(requestsTo(backend, '/')).toHaveLength(2)
    expect(requestsTo(backend, SEND)).toHaveLength(2)
    expect(lines.some((line) => line.includes('bare 403'))).toBe(true)

    backend.reset()
    backend.fault({ type: 'status', status: 403, body: '' })
    backend.fault({ type: 'status', status: 403, body: '' })
    const error = await rejectionOf(api.sendMessage('again', { maxRetries: 5 }))
    expect(error.code).toBe('forbidden')
    expect(requestsTo(backend, SEND)).toHaveLength(2)
  })

  it('a model cap is rate_limited with the model, not retried past its wait; a short wait is, with a new turn', async () => {
    const { backend, api } = await start2026()
    const cap = { message: 'You have sent too many messages to the model. Please try again later.', code: 'model_cap_exceeded', clears_in: 252 }
    backend.fault({ type: 'status', status: 429, body: { detail: cap } })
    const error = await rejectionOf(api.sendMessage('hi', { model: 'gpt-4' }))
    expect(error).toMatchObject({ code: 'rate_limited', model: 'gpt-4', retryAfterMs: 252_000 })
    expect(requestsTo(backend, SEND)).toHaveLength(1)

    backend.fault({ type: 'status', status: 429, body: { detail: { ...cap, clears_in: 0 } } })
    expect(await api.sendMessage('hi')).toBe('next #1: hi')
    // The refused turn was spent at the backend; the retry had its own.
    const turns = backend.sentinelTurns()
    expect(turns).toHaveLength(3)
    expect(turns.every((t) => t.usedBy === SEND)).toBe(true)
  })
})

describe('protocol 2026: turnstile', () => {
  it('calls turnstileSolver with the challenge and the p it is keyed with, and sends its answer', async () => {
    const calls: [string, string][] = []
    const turnstileSolver = async (dx: string, p: string) => {
      calls.push([dx, p])
      return 'solved-by-the-hook'
    }
    const { backend, api } = await start2026({}, { turnstileSolver })
    await api.sendMessage('hi')
    expect(calls).toHaveLength(1)
    const [dx, p] = calls[0]!
    expect(p).toBe((requestsTo(backend, PREPARE)[0]!.body as { p: string }).p)
    // dx is the program XORed with p (§3.4): the hook can decode it.
    const raw = Buffer.from(dx, 'base64').toString('latin1')
    const program = Array.from(raw, (c, i) => String.fromCharCode(c.charCodeAt(0) ^ p.charCodeAt(i % p.length))).join('')
    expect(Array.isArray(JSON.parse(program))).toBe(true)
    expect(backend.sentinelTurns()[0]!.turnstile).toBe('solved-by-the-hook')
  })

  it('single step: the hook’s answer goes in the send’s header', async () => {
    const { backend, api } = await start2026({ twoStepSentinel: false }, { turnstileSolver: async () => 'hooked' })
    await api.sendMessage('hi')
    expect(requestsTo(backend, SEND)[0]!.headers['openai-sentinel-turnstile-token']).toBe('hooked')
  })

  it('without a hook, finalize gets 2256 random base64 characters, new each turn', async () => {
    const { backend, api } = await start2026()
    await api.sendMessage('one')
    await api.sendMessage('two')
    const [a, b] = backend.sentinelTurns().map((t) => t.turnstile!)
    expect(a).toMatch(/^[A-Za-z0-9+/]{2256}$/)
    expect(b).toMatch(/^[A-Za-z0-9+/]{2256}$/)
    expect(a).not.toBe(b)
  })

  it('a hook that rejects fails the call with its error; one that answers garbage with invalid_argument', async () => {
    const failure = new Error('no browser today')
    const { backend, api } = await start2026({}, { turnstileSolver: async () => Promise.reject(failure) })
    expect(await rejectionOf(api.sendMessage('hi'))).toBe(failure)
    const garbage = new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl,
      protocol: '2026',
      turnstileSolver: async () => 'two\nlines'
    })
    expect((await rejectionOf(garbage.sendMessage('hi'))).code).toBe('invalid_argument')
    expect(requestsTo(backend, FINALIZE)).toHaveLength(0)
  })

  it('a hook that never answers is ended by the call’s timeout', async () => {
    const { backend, api } = await start2026({}, { turnstileSolver: () => new Promise<string>(() => {}) })
    expect((await rejectionOf(api.sendMessage('hi', { timeoutMs: 200 }))).code).toBe('timeout')
    expect(requestsTo(backend, FINALIZE)).toHaveLength(0)
  })
})

describe('protocol 2026: the proof of work under the call', () => {
  // Eight zero digits: one hash in 2^32 passes, so no solve ends before the 500,000-attempt bound.
  const impossible = { powDifficulty: '00000000' }

  it('an abort while solving settles the call with its reason, and nothing more is sent', async () => {
    const controller = new AbortController()
    const reason = new Error('changed my mind')
    const { backend, api, lines } = await start2026(impossible)
    const sending = api.sendMessage('hi', { abortSignal: controller.signal })
    await until(() => lines.some((line) => line.startsWith('sentinel: prepare asks for')), 'the solve to start')
    controller.abort(reason)
    expect(await rejectionOf(sending)).toBe(reason)
    expect(requestsTo(backend, FINALIZE)).toHaveLength(0)
    expect(lines.some((line) => line.includes('solved'))).toBe(false)
  })

  it('the call’s timeout stops the solve', async () => {
    const { backend, api } = await start2026(impossible)
    const error = await rejectionOf(api.sendMessage('hi', { timeoutMs: 100 }))
    expect(error.code).toBe('timeout')
    expect(requestsTo(backend, FINALIZE)).toHaveLength(0)
  })
})

describe('protocol 2026: secrets', () => {
  it('no turn token reaches a debug line or an error, even when the server echoes them', async () => {
    const lines: string[] = []
    const { backend } = await start2026()
    const echoed: string[] = []
    const api = new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl,
      protocol: '2026',
      turnstileSolver: async () => 'turnstile-answer-of-the-hook',
      debug: (line) => lines.push(line),
      fetch: async (input, init) => {
        if (new URL(String(input)).pathname !== SEND) return fetch(input, init)
        const headers = init!.headers as Record<string, string>
        const tokens = ['openai-sentinel-chat-requirements-token', 'openai-sentinel-proof-token', 'x-conduit-token'].map((name) => headers[name]!)
        echoed.push(...tokens)
        const detail = `bad turn: ${tokens.join(' ')} turnstile-answer-of-the-hook`
        return new Response(JSON.stringify({ detail }), { status: 422, statusText: tokens[0], headers: { 'content-type': 'application/json' } })
      }
    })
    const error = await rejectionOf(api.sendMessage('hi'))
    expect(error.code).toBe('bad_request')
    expect(echoed).toHaveLength(3)
    const seen = [error.message, error.statusText, error.stack, ...lines].join('\n')
    for (const token of [...echoed, 'turnstile-answer-of-the-hook']) expect(seen).not.toContain(token)
    expect(error.message).toContain('[redacted]')
    // The prepare token and the requirements token never left the backend's answers in a line either.
    for (const turn of backend.sentinelTurns()) expect(seen).not.toContain(turn.turnstile)
  })
})

describe('protocol 2026: the turn tokens kept as secrets', () => {
  it('keeps the newest turn tokens only: a client runs for months', () => {
    const secrets = new Secrets()
    const tokens = Array.from({ length: MAX_TURN_TOKENS + 1 }, (_, i) => `turn-token-${String(i).padStart(4, '0')}`)
    for (const token of tokens) secrets.addTurnToken(token)
    expect(secrets.redact(`${tokens[0]} ${tokens[1]} ${tokens.at(-1)}`)).toBe(`${tokens[0]} [redacted] [redacted]`)
  })
})

describe('protocol 2026: options', () => {
  it('refuses unusable protocol options, naming them and not their values', async () => {
    const base = { sessionToken: 'a-session-token-value' }
    const refusal = (options: Record<string, unknown>) => {
      try {
        new ChatGPTAPI({ ...base, ...options } as ChatGPTAPIOptions)
      } catch (error) {
        return error as { code: string; message: string }
      }
      throw new Error('expected a refusal')
    }
    expect(refusal({ protocol: '2025' })).toMatchObject({ code: 'invalid_argument', message: "protocol must be '2022' or '2026'" })
    expect(refusal({ deviceId: randomUUID() })).toMatchObject({ code: 'invalid_argument', message: "deviceId applies to protocol '2026' only" })
    expect(refusal({ turnstileSolver: async () => 'x' })).toMatchObject({ message: "turnstileSolver applies to protocol '2026' only" })
    expect(refusal({ protocol: '2026', deviceId: 'my-secret-device' })).toMatchObject({ code: 'invalid_argument', message: 'deviceId must be a UUID' })
    expect(refusal({ protocol: '2026', turnstileSolver: 'solve' })).toMatchObject({ code: 'invalid_argument' })
    expect(() => ChatGPTAPI.fromAccessToken({ accessToken: 'an-access-token', protocol: '2026', deviceId: 'x' })).toThrow('deviceId must be a UUID')
  })

  it("defaults to today's site with '2026' and keeps the seed's with the default", async () => {
    const urls: string[] = []
    const capture = (async (input: string | URL | Request) => {
      urls.push(String(input))
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
    }) as typeof fetch
    await rejectionOf(new ChatGPTAPI({ sessionToken: 'a-session-token-value', protocol: '2026', fetch: capture }).ensureAuth())
    await rejectionOf(new ChatGPTAPI({ sessionToken: 'a-session-token-value', fetch: capture }).ensureAuth())
    expect(urls).toEqual(['https://chatgpt.com/api/auth/session', 'https://chat.openai.com/api/auth/session'])
  })
})

describe("protocol 2026 with the 2026 stream shape: today's whole exchange", () => {
  it('sends through the enforced sequence and shows only the answer: no thoughts, tool text or citation markers', async () => {
    const { api } = await start2026({ shape: '2026', reply: (prompt) => `The answer to ${prompt}. It is short.` })
    const prompt = 'think and cite: why is the sky blue'
    const reply = await api.sendMessageDetailed(prompt)
    expect(reply.text).toBe(`The answer to ${prompt}. It is short.`)
    expect(reply.text).not.toMatch(/[\ue200-\ue206]/)
    expect(reply.reasoning).toBe(reasoning2026(prompt))
    expect(reply.title).toBeTruthy()
    const streamed: string[] = []
    const next = api.streamMessage('and cite again', { conversationId: reply.conversationId, parentMessageId: reply.messageId })
    for await (const update of next) streamed.push(update.delta)
    expect(streamed.join('')).toBe('The answer to and cite again. It is short.')
  })
})
