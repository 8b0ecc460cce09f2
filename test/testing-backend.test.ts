import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createTestBackend,
  defaultReply,
  type ReplyContext,
  type StreamShape,
  type TestBackend,
  type TestBackendOptions
} from '../packages/chatgpt-kit/src/testing/index.js'

// ---------------------------------------------------------------------------------------------
// Helpers: plain fetch over loopback, and a small SSE reader written here on purpose, so the
// backend is checked against the protocol rather than against our own client code.
// ---------------------------------------------------------------------------------------------

const running: TestBackend[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.close()))
})

async function start(options?: TestBackendOptions): Promise<TestBackend> {
  const backend = await createTestBackend(options)
  running.push(backend)
  return backend
}

function sessionHeaders(b: TestBackend, sessionToken = b.sessionToken): Record<string, string> {
  return {
    'user-agent': b.userAgent,
    cookie: `cf_clearance=${b.clearanceToken}; __Secure-next-auth.session-token=${sessionToken}`
  }
}

function getSession(b: TestBackend, headers = sessionHeaders(b)): Promise<Response> {
  return fetch(`${b.apiBaseUrl}/auth/session`, { headers })
}

async function accessToken(b: TestBackend, sessionToken = b.sessionToken): Promise<string> {
  const body = (await (await getSession(b, sessionHeaders(b, sessionToken))).json()) as { accessToken: string }
  expect(typeof body.accessToken).toBe('string')
  return body.accessToken
}

function apiHeaders(b: TestBackend, token: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'user-agent': b.userAgent,
    cookie: `cf_clearance=${b.clearanceToken}`,
    authorization: `Bearer ${token}`,
    accept: 'text/event-stream',
    'content-type': 'application/json',
    ...extra
  }
}

interface MessageOptions {
  prompt?: string
  action?: 'next' | 'variant' | 'continue'
  conversationId?: string
  parentMessageId?: string
  messageId?: string
}

function messageBody(o: MessageOptions = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    action: o.action ?? 'next',
    model: 'text-davinci-002-render',
    parent_message_id: o.parentMessageId ?? randomUUID()
  }
  if (o.action !== 'continue') {
    body.messages = [
      { id: o.messageId ?? randomUUID(), role: 'user', content: { content_type: 'text', parts: [o.prompt ?? 'Hello there'] } }
    ]
  }
  if (o.conversationId) body.conversation_id = o.conversationId
  return body
}

function post(
  b: TestBackend,
  token: string,
  body: unknown,
  extra: Record<string, string> = {},
  signal?: AbortSignal
): Promise<Response> {
  return fetch(`${b.backendApiBaseUrl}/conversation`, {
    method: 'POST',
    headers: apiHeaders(b, token, extra),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal
  })
}

function api(b: TestBackend, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${b.backendApiBaseUrl}${path}`, {
    method,
    headers: apiHeaders(b, token),
    body: body === undefined ? undefined : JSON.stringify(body)
  })
}

interface SseEvent {
  event?: string
  data: string
}

/** Splits an SSE body into events, checking the framing on the way. */
function parseSse(text: string): SseEvent[] {
  expect(text.endsWith('\n\n')).toBe(true)
  const blocks = text.slice(0, -2).split('\n\n')
  return blocks.map((block) => {
    const event: SseEvent = { data: '' }
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':')
      expect(colon).toBeGreaterThan(0)
      const field = line.slice(0, colon)
      const value = line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') event.event = value
      else if (field === 'data') event.data = value
      else throw new Error(`unexpected SSE field ${field}`)
    }
    return event
  })
}

interface ReplyState {
  id: string
  text: string
  status?: string
  endTurn: boolean | null
  finishType?: string
  conversationId?: string
}

type Json = Record<string, any>

/** The assistant reply state after each event that carries it, for any of the three shapes. */
function replyStates(events: SseEvent[]): ReplyState[] {
  const states: ReplyState[] = []
  let doc: Json | undefined
  let sticky: { p?: string; o?: string } = {}
  const apply = (op: Json) => {
    const p = op.p ?? sticky.p
    const o = op.o ?? sticky.o
    sticky = { p, o }
    if (p === '' && o === 'add') doc = structuredClone(op.v)
    else if (p === '' && o === 'patch') for (const sub of op.v) applyOne(sub.p, sub.o, sub.v)
    else applyOne(p, o, op.v)
  }
  const applyOne = (p: string, o: string, v: any) => {
    const keys = p.split('/').slice(1)
    const last = keys.pop()!
    let target: any = doc
    for (const key of keys) target = target[key]
    if (o === 'append' && typeof v === 'string') target[last] += v
    else if (o === 'append') target[last] = { ...target[last], ...v }
    else if (o === 'replace') target[last] = v
    else throw new Error(`unknown op ${o}`)
  }
  for (const event of events) {
    if (event.event === 'ping' || event.event === 'delta_encoding' || event.data === '[DONE]') continue
    let message: Json | undefined
    let conversationId: string | undefined
    if (event.event === 'delta') {
      apply(JSON.parse(event.data))
      message = doc!.message
      conversationId = doc!.conversation_id
    } else {
      const parsed = JSON.parse(event.data)
      message = parsed.message ?? undefined
      conversationId = parsed.conversation_id
    }
    const role = message?.role ?? message?.author?.role
    if (!message || role !== 'assistant') continue
    states.push({
      id: message.id,
      text: message.content.parts[0],
      status: message.status,
      endTurn: message.end_turn,
      finishType: message.metadata?.finish_details?.type,
      conversationId
    })
  }
  return states
}

async function sendAndRead(b: TestBackend, token: string, o: MessageOptions = {}, extra: Record<string, string> = {}) {
  const res = await post(b, token, messageBody(o), extra)
  expect(res.status).toBe(200)
  const events = parseSse(await res.text())
  const states = replyStates(events)
  return { res, events, states, final: states.at(-1)! }
}

const DONE = '[DONE]'

// ---------------------------------------------------------------------------------------------

describe('GET /api/auth/session', () => {
  it('answers a valid session with the user, an ISO expiry and a fresh access token per call', async () => {
    const b = await start()
    const res = await getSession(b)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    const body = (await res.json()) as Json
    expect(Object.keys(body.user).sort()).toEqual(['email', 'features', 'groups', 'id', 'image', 'name', 'picture'])
    expect(body.user.groups).toEqual([])
    expect(new Date(body.expires).toISOString()).toBe(body.expires)
    expect(new Date(body.expires).getTime()).toBeGreaterThan(Date.now())
    const second = (await (await getSession(b)).json()) as Json
    expect(second.accessToken).not.toBe(body.accessToken)
    expect(body.accessToken.split('.')).toHaveLength(3)
  })

  it('answers {} for an unknown or revoked session token', async () => {
    const b = await start()
    expect(await (await getSession(b, sessionHeaders(b, 'not-a-token'))).json()).toEqual({})
    const res = await fetch(`${b.apiBaseUrl}/auth/session`, {
      headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}` }
    })
    expect(await res.json()).toEqual({})
    b.revokeSession(b.sessionToken)
    expect(await (await getSession(b)).json()).toEqual({})
  })

  it('answers an expired session with RefreshAccessTokenError and a token that is already expired', async () => {
    const b = await start()
    b.expireSession(b.sessionToken)
    const body = (await (await getSession(b)).json()) as Json
    expect(body.error).toBe('RefreshAccessTokenError')
    expect(body.user.id).toMatch(/^user-/)
    const res = await post(b, body.accessToken, messageBody())
    expect(res.status).toBe(401)
    expect(((await res.json()) as Json).detail.code).toBe('token_expired')
  })

  it('challenges a missing clearance, a wrong User-Agent and a rotated clearance', async () => {
    const b = await start()
    const attempts: Record<string, string>[] = [
      { 'user-agent': b.userAgent, cookie: `__Secure-next-auth.session-token=${b.sessionToken}` },
      { ...sessionHeaders(b), 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0' }
    ]
    for (const headers of attempts) {
      const res = await getSession(b, headers)
      expect(res.status).toBe(403)
      expect(res.headers.get('cf-mitigated')).toBe('challenge')
      expect(res.headers.get('server')).toBe('cloudflare')
      expect(res.headers.get('content-type')).toContain('text/html')
      const html = await res.text()
      for (const marker of ['<title>Just a moment...</title>', 'challenge-running', 'cf-please-wait', '_cf_chl_opt', '/cdn-cgi/challenge-platform']) {
        expect(html).toContain(marker)
      }
    }
    const stale = sessionHeaders(b)
    const fresh = b.rotateClearance()
    expect(fresh).toBe(b.clearanceToken)
    expect((await getSession(b, stale)).status).toBe(403)
    expect((await getSession(b)).status).toBe(200)
  })

  it('rotates the session cookie on demand, keeping the old token valid', async () => {
    const b = await start()
    expect((await getSession(b)).headers.get('set-cookie')).toBeNull()
    b.rotateSessionTokens = true
    const res = await getSession(b)
    const cookie = res.headers.get('set-cookie')!
    const next = /^__Secure-next-auth\.session-token=([^;]+);/.exec(cookie)![1]!
    expect(next).not.toBe(b.sessionToken)
    expect(cookie).toContain('HttpOnly')
    expect(((await (await getSession(b, sessionHeaders(b, next))).json()) as Json).accessToken).toBeTruthy()
    expect(((await (await getSession(b)).json()) as Json).accessToken).toBeTruthy()
  })

  it('gives each added account its own session and user', async () => {
    const b = await start()
    const other = b.addAccount({ name: 'Ada', email: 'ada@example.com' })
    const body = (await (await getSession(b, sessionHeaders(b, other.sessionToken))).json()) as Json
    expect(body.user).toEqual(other.user)
    expect(body.user.name).toBe('Ada')
    const mine = (await (await getSession(b)).json()) as Json
    expect(mine.user.id).not.toBe(other.user.id)
  })
})

describe('authentication of /backend-api', () => {
  it('refuses a missing, unknown or expired access token with 401 and a code', async () => {
    const b = await start()
    const noAuth = await fetch(`${b.backendApiBaseUrl}/conversation`, {
      method: 'POST',
      headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}` },
      body: JSON.stringify(messageBody())
    })
    expect(noAuth.status).toBe(401)
    expect(((await noAuth.json()) as Json).detail.code).toBe('invalid_token')
    const unknown = await post(b, 'nope', messageBody())
    expect(((await unknown.json()) as Json).detail).toMatchObject({ code: 'invalid_token' })

    const token = await accessToken(b)
    b.expireAccessTokens()
    const expired = await post(b, token, messageBody())
    expect(expired.status).toBe(401)
    expect(await expired.json()).toEqual({
      detail: { message: 'Your authentication token has expired. Please try signing in again.', code: 'token_expired' }
    })
    // A token issued afterwards is good again: the refresh-once path a client takes.
    const { final } = await sendAndRead(b, await accessToken(b))
    expect(final.endTurn).toBe(true)
  })

  it('expires access tokens after accessTokenTTLSeconds', async () => {
    const b = await start({ accessTokenTTLSeconds: 0 })
    const res = await post(b, await accessToken(b), messageBody())
    expect(((await res.json()) as Json).detail.code).toBe('token_expired')
  })

  it('challenges /backend-api without a clearance', async () => {
    const b = await start()
    const token = await accessToken(b)
    const res = await fetch(`${b.backendApiBaseUrl}/conversation`, {
      method: 'POST',
      headers: { ...apiHeaders(b, token), cookie: 'cf_clearance=stale' },
      body: JSON.stringify(messageBody())
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('cf-mitigated')).toBe('challenge')
  })
})

describe('POST /backend-api/conversation streams', () => {
  const prompt = 'Show me some code, s’il vous plaît'
  const expected = defaultReply(prompt)

  it('has a default reply with non-ASCII text and a fenced block for code prompts', () => {
    expect(expected).toContain('**' + prompt + '**')
    expect(expected).toContain('```js')
    expect(expected).toMatch(/é/)
    expect(expected).toMatch(/\p{Extended_Pictographic}/u)
    expect(defaultReply('hi')).not.toContain('```')
  })

  it.each<StreamShape>(['2022', '2023', 'v1', '2026'])('frames a cumulative %s stream that ends with [DONE]', async (shape) => {
    const b = await start({ shape })
    const { res, events, states, final } = await sendAndRead(b, await accessToken(b), { prompt })
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(events.at(-1)).toEqual({ data: DONE })
    expect(events.filter((e) => e.data === DONE)).toHaveLength(1)
    // Cumulative: each state extends the previous one, and the last is the whole reply.
    for (let i = 1; i < states.length; i++) expect(states[i]!.text.startsWith(states[i - 1]!.text)).toBe(true)
    expect(final.text).toBe(expected)
    expect(final.endTurn).toBe(true)
    expect(new Set(states.map((s) => s.id)).size).toBe(1)
    const stored = b.conversations.get(final.conversationId!)!
    expect(stored.mapping[final.id]!.message!.content.parts[0]).toBe(expected)
    expect(stored.currentNode).toBe(final.id)
  })

  it('uses the 2022 shape: role, null timestamps, end_turn only on the last event', async () => {
    const b = await start({ shape: '2022' })
    const { events } = await sendAndRead(b, await accessToken(b), { prompt: 'hi' })
    const payloads = events.slice(0, -1).map((e) => JSON.parse(e.data) as Json)
    for (const p of payloads) {
      expect(Object.keys(p).sort()).toEqual(['conversation_id', 'error', 'message'])
      expect(p.error).toBeNull()
      expect(p.message).toMatchObject({ role: 'assistant', user: null, create_time: null, update_time: null, weight: 1, recipient: 'all', metadata: {} })
      expect(p.message.content.content_type).toBe('text')
      expect(p.message.author).toBeUndefined()
    }
    expect(payloads.slice(0, -1).every((p) => p.message.end_turn === null)).toBe(true)
    expect(payloads.at(-1)!.message.end_turn).toBe(true)
  })

  it('uses the 2023 shape: system and user echo, statuses, finish_details, moderation events, a ping', async () => {
    const b = await start({ shape: '2023' })
    const userId = randomUUID()
    const { events, final } = await sendAndRead(b, await accessToken(b), { prompt: 'hi', messageId: userId })
    const [system, echo] = events.slice(0, 2).map((e) => JSON.parse(e.data) as Json)
    expect(system!.message).toMatchObject({ author: { role: 'system' }, weight: 0, recipient: 'all', content: { parts: [''] } })
    expect(echo!.message).toMatchObject({ id: userId, author: { role: 'user' }, content: { parts: ['hi'] } })
    expect(events.some((e) => e.event === 'ping' && e.data === '')).toBe(true)

    const assistant = events
      .filter((e) => e.event === undefined && e.data.includes('"assistant"'))
      .map((e) => (JSON.parse(e.data) as Json).message)
    expect(assistant[0].author).toEqual({ role: 'assistant', name: null, metadata: {} })
    expect(assistant.slice(0, -1).every((m: Json) => m.status === 'in_progress' && m.end_turn === null)).toBe(true)
    const last = assistant.at(-1)
    expect(last).toMatchObject({ status: 'finished_successfully', end_turn: true })
    expect(last.metadata).toMatchObject({ message_type: 'next', model_slug: 'text-davinci-002-render', parent_id: userId, is_complete: true })
    expect(last.metadata.finish_details.type).toBe('stop')
    expect(Array.isArray(last.metadata.finish_details.stop_tokens)).toBe(true)
    expect(final.finishType).toBe('stop')

    const tail = events.slice(-3, -1).map((e) => JSON.parse(e.data) as Json)
    expect(tail[0]).toMatchObject({ message_id: last.id, is_completion: true, moderation_response: { flagged: false, blocked: false } })
    expect(tail[0]!.message).toBeUndefined()
    expect(tail[1]).toMatchObject({ type: 'moderation', message_id: last.id })
  })

  it('uses the v1 delta encoding: add, sticky appends, a final patch', async () => {
    const b = await start({ shape: 'v1' })
    const { events, final } = await sendAndRead(b, await accessToken(b), { prompt: 'one two three' })
    expect(events[0]).toEqual({ event: 'delta_encoding', data: '"v1"' })
    const deltas = events.filter((e) => e.event === 'delta').map((e) => JSON.parse(e.data) as Json)
    expect(deltas[0]).toMatchObject({ p: '', o: 'add', c: 0, v: { error: null, message: { author: { role: 'assistant' }, status: 'in_progress', content: { parts: [''] } } } })
    expect(deltas[1]).toEqual({ p: '/message/content/parts/0', o: 'append', v: 'You ' })
    const middle = deltas.slice(2, -1)
    expect(middle.length).toBeGreaterThan(3)
    for (const d of middle) expect(Object.keys(d)).toEqual(['v'])
    const patch = deltas.at(-1)!
    expect(patch).toMatchObject({ p: '', o: 'patch' })
    expect(patch.v).toEqual([
      { p: '/message/content/parts/0', o: 'append', v: expect.any(String) },
      { p: '/message/status', o: 'replace', v: 'finished_successfully' },
      { p: '/message/end_turn', o: 'replace', v: true },
      { p: '/message/metadata', o: 'append', v: { finish_details: { type: 'stop', stop_tokens: [100260] }, is_complete: true } }
    ])
    expect(final.text).toBe(defaultReply('one two three'))
    // The hidden system message and the user echo are plain full events, before the delta document.
    const plain = events.slice(1, events.findIndex((e) => e.event === 'delta')).filter((e) => e.event === undefined)
    expect(plain.map((e) => (JSON.parse(e.data) as Json).message.author.role)).toEqual(['system', 'user'])
    expect(events.some((e) => e.event === 'ping')).toBe(true)
  })

  it('leaves trailing spaces on some data lines, as the real server does', async () => {
    const b = await start({ shape: 'v1' })
    const text = await (await post(b, await accessToken(b), messageBody())).text()
    expect(text).toMatch(/^data: \{.*\} +$/m)
  })

  it('takes the shape per request from x-test-shape and from the shape setter', async () => {
    const b = await start()
    const token = await accessToken(b)
    const { events } = await sendAndRead(b, token, {}, { 'x-test-shape': '2022' })
    expect(events.some((e) => e.event === 'delta')).toBe(false)
    expect((JSON.parse(events[0]!.data) as Json).message.role).toBe('assistant')
    b.shape = '2023'
    const second = await sendAndRead(b, token)
    expect((JSON.parse(second.events[0]!.data) as Json).message.author.role).toBe('system')
    expect((await post(b, token, messageBody(), { 'x-test-shape': '2021' })).status).toBe(400)
  })

  it('groups tokensPerEvent tokens per event', async () => {
    const b = await start({ shape: '2022', tokensPerEvent: 3, reply: () => 'a b c d e f g' })
    const { states } = await sendAndRead(b, await accessToken(b))
    expect(states.map((s) => s.text)).toEqual(['a b c ', 'a b c d e f ', 'a b c d e f g'])
  })
})

describe('conversation trees', () => {
  it('continues a conversation by ids and shows the thread to the reply function', async () => {
    const seen: { prompt: string; ctx: ReplyContext }[] = []
    const b = await start({ reply: (prompt, ctx) => (seen.push({ prompt, ctx }), `echo ${prompt}`) })
    const token = await accessToken(b)
    const first = await sendAndRead(b, token, { prompt: 'first' })
    const conversationId = first.final.conversationId!
    const secondUser = randomUUID()
    const second = await sendAndRead(b, token, { prompt: 'second', conversationId, parentMessageId: first.final.id, messageId: secondUser })
    expect(second.final.conversationId).toBe(conversationId)
    expect(second.final.text).toBe('echo second')
    expect(seen[1]!.ctx).toEqual({
      conversationId,
      action: 'next',
      messages: [
        { role: 'user', text: 'first' },
        { role: 'assistant', text: 'echo first' },
        { role: 'user', text: 'second' }
      ]
    })
    expect(seen[0]!.ctx.conversationId).toBe(conversationId)

    const tree = b.conversations.get(conversationId)!
    const root = Object.values(tree.mapping).find((n) => n.parent === undefined)!
    expect(root.message).toBeUndefined()
    const firstUser = tree.mapping[root.children[0]!]!
    expect(firstUser.message!.content.parts).toEqual(['first'])
    expect(firstUser.children).toEqual([first.final.id])
    expect(tree.mapping[first.final.id]!.children).toEqual([secondUser])
    expect(tree.mapping[secondUser]!.children).toEqual([second.final.id])
    expect(tree.currentNode).toBe(second.final.id)
  })

  it('adds a variant as a sibling reply under the same user message', async () => {
    const b = await start({ reply: (prompt, ctx) => `${ctx.action}: ${prompt}` })
    const token = await accessToken(b)
    const userId = randomUUID()
    const parent = randomUUID()
    const first = await sendAndRead(b, token, { prompt: 'hi', messageId: userId, parentMessageId: parent })
    const conversationId = first.final.conversationId!
    const variant = await sendAndRead(b, token, { action: 'variant', prompt: 'hi', messageId: userId, parentMessageId: parent, conversationId })
    expect(variant.final.text).toBe('variant: hi')
    expect(variant.final.id).not.toBe(first.final.id)

    const res = await api(b, token, 'GET', `/conversation/${conversationId}`)
    const body = (await res.json()) as Json
    expect(body.mapping[userId].children).toEqual([first.final.id, variant.final.id])
    expect(body.mapping[variant.final.id].parent).toBe(userId)
    expect(body.current_node).toBe(variant.final.id)
    expect(Object.values(body.mapping).filter((n: any) => n.message?.author.role === 'user')).toHaveLength(1)
  })

  it('forks a branch when the parent is an older message (edit)', async () => {
    const b = await start()
    const token = await accessToken(b)
    const first = await sendAndRead(b, token, { prompt: 'one' })
    const conversationId = first.final.conversationId!
    await sendAndRead(b, token, { prompt: 'two', conversationId, parentMessageId: first.final.id })
    const edit = await sendAndRead(b, token, { prompt: 'two, edited', conversationId, parentMessageId: first.final.id })
    const tree = b.conversations.get(conversationId)!
    expect(tree.mapping[first.final.id]!.children).toHaveLength(2)
    expect(tree.currentNode).toBe(edit.final.id)
  })

  it('stops at maxReplyTokens with max_tokens, and continue streams the rest', async () => {
    const b = await start({ maxReplyTokens: 5, shape: '2023' })
    const token = await accessToken(b)
    const full = defaultReply('please go on')
    const first = await sendAndRead(b, token, { prompt: 'please go on' })
    expect(first.final).toMatchObject({ status: 'finished_successfully', endTurn: false, finishType: 'max_tokens' })
    expect(first.final.text).toBe('You said: **please go on**\n\n')

    let text = first.final.text
    let last = first.final
    for (let i = 0; i < 10 && last.finishType === 'max_tokens'; i++) {
      const next = await sendAndRead(b, token, { action: 'continue', conversationId: last.conversationId, parentMessageId: last.id })
      expect(next.final.id).toBe(first.final.id)
      expect(next.final.text.startsWith(text)).toBe(true)
      text = next.final.text
      last = next.final
    }
    expect(last).toMatchObject({ endTurn: true, finishType: 'stop', text: full })
    const continued = b.conversations.get(last.conversationId!)!.mapping[last.id]!.message!
    expect(continued.content.parts[0]).toBe(full)
    expect(continued.metadata.message_type).toBe('continue')
  })

  it('continues a finished message with new text from the reply function', async () => {
    const b = await start({ shape: 'v1' })
    const token = await accessToken(b)
    const first = await sendAndRead(b, token, { prompt: 'hi' })
    const more = await sendAndRead(b, token, { action: 'continue', conversationId: first.final.conversationId, parentMessageId: first.final.id })
    expect(more.final.text).toBe(defaultReply('hi') + defaultReply('hi', { action: 'continue' }))
    const add = more.events.find((e) => e.event === 'delta')!
    expect((JSON.parse(add.data) as Json).v.message.content.parts).toEqual([defaultReply('hi')])
  })

  it('continue after a cut stream streams exactly the part the client missed', async () => {
    const b = await start({ shape: 'v1', reply: () => 'a b c d e f' })
    const token = await accessToken(b)
    b.fault({ type: 'cut', afterEvents: 2 })
    const cut = replyStates(parseSse(await (await post(b, token, messageBody())).text())).at(-1)!
    expect(cut.text).toBe('a b ')
    expect(b.conversations.get(cut.conversationId!)!.mapping[cut.id]!.message!.status).toBe('finished_partial_completion')
    const rest = await sendAndRead(b, token, { action: 'continue', conversationId: cut.conversationId, parentMessageId: cut.id })
    expect(rest.final).toMatchObject({ id: cut.id, text: 'a b c d e f', endTurn: true })
  })

  it('answers 500 when the reply function throws or does not return a string', async () => {
    let mode = 'throw'
    const b = await start({
      reply: () => {
        if (mode === 'throw') throw new Error('kaput')
        return Promise.resolve('late') as unknown as string
      }
    })
    const token = await accessToken(b)
    const thrown = await post(b, token, messageBody())
    expect(thrown.status).toBe(500)
    expect(((await thrown.json()) as Json).detail).toEqual({ message: 'The reply function threw: kaput', code: 'reply_function_error' })
    mode = 'async'
    const asyncReply = await post(b, token, messageBody())
    expect(((await asyncReply.json()) as Json).detail.message).toContain('must return a string')
    expect(b.conversations.size).toBe(0)
    expect(b.inFlight).toBe(0)
  })

  it('refuses an unknown conversation, a foreign parent and bad bodies', async () => {
    const b = await start()
    const token = await accessToken(b)
    const unknown = await post(b, token, messageBody({ conversationId: randomUUID() }))
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ detail: { message: 'Conversation not found', code: 'conversation_not_found' } })

    const { final } = await sendAndRead(b, token)
    const badParent = await post(b, token, messageBody({ conversationId: final.conversationId, parentMessageId: randomUUID() }))
    expect(badParent.status).toBe(400)
    expect(((await badParent.json()) as Json).detail.code).toBe('invalid_parent_message')

    const badBodies: unknown[] = [
      { ...messageBody(), action: 'jump' },
      { ...messageBody(), parent_message_id: 'not-a-uuid' },
      { ...messageBody(), messages: [{ id: 'x', role: 'user', content: { content_type: 'text', parts: ['a'] } }] },
      { ...messageBody(), messages: [{ id: randomUUID(), role: 'assistant', content: { content_type: 'text', parts: ['a'] } }] },
      { ...messageBody(), messages: [] },
      messageBody({ action: 'continue' }),
      [1, 2, 3]
    ]
    for (const body of badBodies) {
      const res = await post(b, token, body)
      expect(res.status).toBe(422)
      expect(typeof ((await res.json()) as Json).detail.message).toBe('string')
    }
    const notJson = await post(b, token, '{"action": ')
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as Json).detail.code).toBe('invalid_json')
    // The later wire form (author.role) is accepted.
    const authorForm = messageBody()
    ;(authorForm.messages as Json[])[0] = { id: randomUUID(), author: { role: 'user' }, content: { content_type: 'text', parts: ['hey'] } }
    expect((await post(b, token, authorForm)).status).toBe(200)
    expect(b.inFlight).toBe(0)
  })

  it('refuses a prompt over maxPromptLength with 413 and a body over maxBodyBytes with 413', async () => {
    const b = await start({ maxPromptLength: 100, maxBodyBytes: 64 * 1024 })
    const token = await accessToken(b)
    const long = await post(b, token, messageBody({ prompt: 'x'.repeat(101) }))
    expect(long.status).toBe(413)
    expect(((await long.json()) as Json).detail.code).toBe('message_length_exceeds_limit')
    const huge = await post(b, token, messageBody({ prompt: 'y'.repeat(200 * 1024) }))
    expect(huge.status).toBe(413)
    expect(((await huge.json()) as Json).detail.code).toBe('request_too_large')
    expect((await post(b, token, messageBody({ prompt: 'x'.repeat(100) }))).status).toBe(200)
  })

  it('refuses a second concurrent reply on the same account with 429, not on another account', async () => {
    const b = await start({ eventDelayMs: 20, reply: () => 'one two three four five six' })
    const token = await accessToken(b)
    const first = await post(b, token, messageBody())
    expect(first.status).toBe(200)
    expect(b.inFlight).toBe(1)
    const second = await post(b, token, messageBody())
    expect(second.status).toBe(429)
    expect(await second.json()).toEqual({
      detail: 'Only one message at a time. Please allow any other responses to complete before sending another message, or wait one minute.'
    })
    const other = b.addAccount()
    const otherReply = await post(b, await accessToken(b, other.sessionToken), messageBody())
    expect(otherReply.status).toBe(200)
    await Promise.all([first.text(), otherReply.text()])
    await until(() => b.inFlight === 0)
    expect((await post(b, token, messageBody())).status).toBe(200)
  })

  it('frees the slot and keeps the partial text when the client aborts', async () => {
    const b = await start({ eventDelayMs: 5, shape: '2022', reply: () => 'w '.repeat(400) })
    const token = await accessToken(b)
    const abort = new AbortController()
    const res = await post(b, token, messageBody(), {}, abort.signal)
    const reader = res.body!.getReader()
    await reader.read()
    abort.abort()
    await until(() => b.inFlight === 0)
    const [conversation] = b.conversations.list()
    const reply = conversation!.mapping[conversation!.currentNode]!.message!
    expect(reply.status).toBe('finished_partial_completion')
    expect(reply.content.parts[0]!.length).toBeLessThan(800)
  })
})

describe('a client that stops reading', () => {
  // 32 MiB in 64 KiB words: far more than the loopback socket buffers take in (a few MB), so once
  // they are full the backend's next write waits on the client.
  const huge = ('x'.repeat(65_535) + ' ').repeat(512)

  /** Waits for server-side bookkeeping that follows the drop, with room for a loaded machine. */
  async function eventually(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10))
    expect(condition()).toBe(true)
  }

  it('is dropped after stalledClientTimeoutMs: the reply ends as a partial one and the account serves again', async () => {
    const b = await start({ stalledClientTimeoutMs: 200, reply: (prompt) => (prompt === 'long' ? huge : 'short') })
    const token = await accessToken(b)
    const res = await post(b, token, messageBody({ prompt: 'long' }))
    expect(res.status).toBe(200)
    // Nothing of the body is read until the backend has given up on it.
    await eventually(() => b.inFlight === 0)
    const [conversation] = b.conversations.list()
    const reply = conversation!.mapping[conversation!.currentNode]!.message!
    expect(reply.status).toBe('finished_partial_completion')
    expect(reply.content.parts[0]!.length).toBeLessThan(huge.length)
    expect(b.replyStats()).toEqual({ [conversation!.ownerId]: { inFlight: 0, maxInFlight: 1, refused: 0 } })
    // The client gets what the buffers held, then finds the connection dropped.
    const { text, error } = await readAll(res)
    expect(error).toBeDefined()
    expect(text).not.toContain('[DONE]')
    expect((await post(b, token, messageBody({ prompt: 'short' }))).status).toBe(200)
  })

  it('counts only a write the client makes no room for, not the pause between events', async () => {
    const b = await start({ stalledClientTimeoutMs: 50, eventDelayMs: 100, reply: () => 'a b c d e f' })
    const { text, error } = await readAll(await post(b, await accessToken(b), messageBody()))
    expect(error).toBeUndefined()
    expect(text).toContain('data: [DONE]')
    const [conversation] = b.conversations.list()
    expect(conversation!.mapping[conversation!.currentNode]!.message!.status).toBe('finished_successfully')
  })

  it('takes Infinity (never drop) or a whole number of milliseconds', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      await expect(createTestBackend({ stalledClientTimeoutMs: bad })).rejects.toThrow(/stalledClientTimeoutMs/)
    }
    await start({ stalledClientTimeoutMs: Infinity })
  })
})

describe('faults', () => {
  it('answers a status fault with its body and headers, once', async () => {
    const b = await start()
    const token = await accessToken(b)
    b.fault({ type: 'status', status: 429, body: { detail: 'Too many requests in 1 hour. Try again later.' }, headers: { 'retry-after': '7' } })
    b.fault({ type: 'status', status: 502, body: '<html>Bad gateway</html>' })
    const limited = await post(b, token, messageBody())
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(await limited.json()).toEqual({ detail: 'Too many requests in 1 hour. Try again later.' })
    const gateway = await post(b, token, messageBody())
    expect(gateway.status).toBe(502)
    expect(gateway.headers.get('content-type')).toContain('text/html')
    expect(await gateway.text()).toBe('<html>Bad gateway</html>')
    expect((await post(b, token, messageBody())).status).toBe(200)
  })

  it('answers the challenge even with a good clearance', async () => {
    const b = await start()
    const token = await accessToken(b)
    b.fault({ type: 'cloudflare' })
    const res = await post(b, token, messageBody())
    expect(res.status).toBe(403)
    expect(res.headers.get('cf-mitigated')).toBe('challenge')
    expect(await res.text()).toContain('_cf_chl_opt')
  })

  it('answers html or json where a stream was expected', async () => {
    const b = await start()
    const token = await accessToken(b)
    b.fault({ type: 'html' })
    b.fault({ type: 'json', body: { hello: 'world' } })
    const html = await post(b, token, messageBody())
    expect(html.status).toBe(200)
    expect(html.headers.get('content-type')).toContain('text/html')
    expect(await html.text()).toContain('<html')
    const json = await post(b, token, messageBody())
    expect(json.headers.get('content-type')).toContain('application/json')
    expect(await json.json()).toEqual({ hello: 'world' })
  })

  it.each<StreamShape>(['2022', '2023', 'v1', '2026'])('cuts a %s stream after N events without [DONE]', async (shape) => {
    const b = await start({ shape, reply: () => 'a b c d e f' })
    b.fault({ type: 'cut', afterEvents: 2 })
    const res = await post(b, await accessToken(b), messageBody())
    const events = parseSse(await res.text())
    expect(events.some((e) => e.data === DONE)).toBe(false)
    const final = replyStates(events).at(-1)!
    expect(final.text).toBe('a b ')
    expect(final.endTurn).toBeNull()
    expect(final.status === undefined || final.status === 'in_progress').toBe(true)
  })

  it.each<StreamShape>(['2022', '2023', 'v1', '2026'])('cuts a finished %s stream before [DONE]', async (shape) => {
    const b = await start({ shape, reply: () => 'a b c d e f' })
    b.fault({ type: 'cut', finished: true })
    b.fault({ type: 'cut', finished: true, afterEvents: 1 })
    const token = await accessToken(b)
    for (const text of ['a b c d e f', 'a ']) {
      const events = parseSse(await (await post(b, token, messageBody())).text())
      expect(events.some((e) => e.data === DONE)).toBe(false)
      const final = replyStates(events).at(-1)!
      expect(final.text).toBe(text)
      expect(final.endTurn).toBe(true)
      if (shape !== '2022') expect(final).toMatchObject({ status: 'finished_successfully', finishType: 'stop' })
    }
  })

  it('resets the socket after N events', async () => {
    const b = await start({ shape: '2022', reply: () => 'a b c d e f' })
    b.fault({ type: 'reset', afterEvents: 3 })
    const res = await post(b, await accessToken(b), messageBody())
    const { text, error } = await readAll(res)
    expect(error).toBeDefined()
    const final = replyStates(parseSse(text)).at(-1)!
    expect(final.text).toBe('a b c ')
    await until(() => b.inFlight === 0)
  })

  it('sends an in-stream error event, or a detail event, and ends', async () => {
    const b = await start({ shape: 'v1', reply: () => 'a b c d' })
    const token = await accessToken(b)
    b.fault({ type: 'stream-error', afterEvents: 1, error: { message: 'boom', code: 'server_error' } })
    b.fault({ type: 'detail-event', detail: 'Hmm...something went wrong.' })
    const errored = parseSse(await (await post(b, token, messageBody())).text())
    expect(errored.some((e) => e.data === DONE)).toBe(false)
    expect(replyStates(errored).at(-1)!.text).toBe('a ')
    expect(JSON.parse(errored.at(-1)!.data)).toMatchObject({ message: null, error: { message: 'boom', code: 'server_error' } })

    const detailed = parseSse(await (await post(b, token, messageBody())).text())
    expect(JSON.parse(detailed.at(-1)!.data)).toEqual({ detail: 'Hmm...something went wrong.' })
    expect(detailed.some((e) => e.data === DONE)).toBe(false)
  })

  it('stalls after N events until the client aborts, holding the slot meanwhile', async () => {
    const b = await start({ shape: '2022', reply: () => 'a b c d' })
    const token = await accessToken(b)
    b.fault({ type: 'stall', afterEvents: 1 })
    const abort = new AbortController()
    const res = await post(b, token, messageBody(), {}, abort.signal)
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(replyStates(parseSse(first)).at(-1)!.text).toBe('a ')
    expect(b.inFlight).toBe(1)
    expect((await post(b, token, messageBody())).status).toBe(429)
    abort.abort()
    await until(() => b.inFlight === 0)
    expect((await post(b, token, messageBody())).status).toBe(200)
  })

  it('keeps a stream fault queued past refused requests, and serves faults in FIFO order', async () => {
    const b = await start({ shape: '2022', reply: () => 'a b c' })
    const token = await accessToken(b)
    b.fault({ type: 'cut', afterEvents: 1 })
    b.fault({ type: 'status', status: 500 })
    b.fault({ endpoint: 'session', type: 'status', status: 503 })
    expect((await post(b, 'bad-token', messageBody())).status).toBe(401)
    const cut = parseSse(await (await post(b, token, messageBody())).text())
    expect(replyStates(cut).at(-1)!.text).toBe('a ')
    expect((await post(b, token, messageBody())).status).toBe(500)
    expect((await getSession(b)).status).toBe(503)
    expect((await getSession(b)).status).toBe(200)
    expect((await post(b, token, messageBody())).status).toBe(200)
  })

  it('breaks the session endpoint too', async () => {
    const b = await start()
    b.fault({ endpoint: 'session', type: 'stream-error', error: 'OAuthCallbackError' })
    b.fault({ endpoint: 'session', type: 'cut' })
    b.fault({ endpoint: 'session', type: 'reset' })
    expect(((await (await getSession(b)).json()) as Json).error).toBe('OAuthCallbackError')
    await expect((await getSession(b)).json()).rejects.toThrow()
    await expect(getSession(b)).rejects.toThrow()
    expect((await getSession(b)).status).toBe(200)
  })

  it('rejects faults it cannot act on', async () => {
    const b = await start()
    expect(() => b.fault({ type: 'nope' } as never)).toThrow(TypeError)
    expect(() => b.fault({ type: 'status', status: 42 })).toThrow(RangeError)
    expect(() => b.fault({ type: 'cut', afterEvents: -1 })).toThrow(RangeError)
  })
})

describe('chunking', () => {
  it("'bytes' splits multi-byte characters across reads and the text still decodes", async () => {
    const b = await start({ shape: '2023', chunking: 'bytes' })
    const res = await post(b, await accessToken(b), messageBody({ prompt: 'é' }))
    const { chunks } = await readChunks(res)
    const strict = new TextDecoder('utf-8', { fatal: true })
    const splitsACharacter = chunks.some((chunk) => {
      try {
        strict.decode(chunk)
        return false
      } catch {
        return true
      }
    })
    expect(splitsACharacter).toBe(true)
    const text = new TextDecoder().decode(Buffer.concat(chunks))
    expect(replyStates(parseSse(text)).at(-1)!.text).toBe(defaultReply('é'))
  })

  it('a number writes fixed-size pieces that reassemble to the same stream', async () => {
    const b = await start({ shape: 'v1', chunking: 7 })
    const res = await post(b, await accessToken(b), messageBody({ prompt: 'hi' }))
    const { chunks } = await readChunks(res)
    expect(chunks.length).toBeGreaterThan(1)
    const events = parseSse(new TextDecoder().decode(Buffer.concat(chunks)))
    expect(replyStates(events).at(-1)!.text).toBe(defaultReply('hi'))
    expect(events.at(-1)!.data).toBe(DONE)
  })
})

describe('the rest of /backend-api', () => {
  it('lists models, moderates, takes feedback', async () => {
    const b = await start()
    const token = await accessToken(b)
    const models = (await (await api(b, token, 'GET', '/models')).json()) as Json
    expect(models.models.length).toBeGreaterThan(0)
    for (const m of models.models) expect(m).toMatchObject({ slug: expect.any(String), max_tokens: expect.any(Number), is_special: false })

    const moderation = (await (await api(b, token, 'POST', '/moderations', { input: 'hi', model: 'text-moderation-playground' })).json()) as Json
    expect(moderation).toMatchObject({ flagged: false, blocked: false, moderation_id: expect.stringMatching(/^modr-/) })
    expect((await api(b, token, 'POST', '/moderations', {})).status).toBe(422)

    const { final } = await sendAndRead(b, token)
    const feedback = await api(b, token, 'POST', '/conversation/message_feedback', {
      conversation_id: final.conversationId,
      message_id: final.id,
      rating: 'thumbsUp',
      text: 'nice'
    })
    const session = (await (await getSession(b)).json()) as Json
    expect(await feedback.json()).toEqual({ message_id: final.id, conversation_id: final.conversationId, user_id: session.user.id, rating: 'thumbsUp', text: 'nice' })
    const badRating = await api(b, token, 'POST', '/conversation/message_feedback', { conversation_id: final.conversationId, message_id: final.id, rating: 'meh' })
    expect(badRating.status).toBe(422)
  })

  it('lists, renames, titles and deletes conversations', async () => {
    const b = await start()
    const token = await accessToken(b)
    const first = (await sendAndRead(b, token, { prompt: 'Plan a **trip** to Lyon in May please' })).final
    const second = (await sendAndRead(b, token, { prompt: 'second' })).final
    const list = async (query = '') => (await (await api(b, token, 'GET', `/conversations${query}`)).json()) as Json
    let page = await list('?offset=0&limit=20')
    expect(page).toMatchObject({ total: 2, limit: 20, offset: 0, has_missing_conversations: false })
    expect(page.items.map((i: Json) => i.id)).toEqual([second.conversationId, first.conversationId])
    expect(new Date(page.items[0].create_time).toISOString()).toBe(page.items[0].create_time)
    expect((await list('?offset=1&limit=1')).items.map((i: Json) => i.id)).toEqual([first.conversationId])
    expect((await api(b, token, 'GET', '/conversations?limit=-1')).status).toBe(422)

    const titled = (await (await api(b, token, 'POST', `/conversation/gen_title/${first.conversationId}`, { message_id: first.id, model: 'text-davinci-002-render' })).json()) as Json
    expect(titled.title).toBe('Plan a trip to Lyon in')
    expect(b.conversations.get(first.conversationId!)!.title).toBe('Plan a trip to Lyon in')

    expect(await (await api(b, token, 'PATCH', `/conversation/${second.conversationId}`, { title: 'Renamed' })).json()).toEqual({ success: true })
    page = await list()
    expect(page.items.find((i: Json) => i.id === second.conversationId).title).toBe('Renamed')

    const detail = (await (await api(b, token, 'GET', `/conversation/${first.conversationId}`)).json()) as Json
    expect(detail).toMatchObject({ title: 'Plan a trip to Lyon in', current_node: first.id, conversation_id: first.conversationId, moderation_results: [] })
    expect(typeof detail.create_time).toBe('number')

    expect((await api(b, token, 'PATCH', `/conversation/${first.conversationId}`, { is_visible: false })).status).toBe(200)
    const gone = await api(b, token, 'GET', `/conversation/${first.conversationId}`)
    expect(gone.status).toBe(404)
    expect(((await gone.json()) as Json).detail.code).toBe('conversation_not_found')
    expect((await post(b, token, messageBody({ conversationId: first.conversationId, parentMessageId: first.id }))).status).toBe(404)
    expect((await list()).items.map((i: Json) => i.id)).toEqual([second.conversationId])
    expect(b.conversations.get(first.conversationId!)!.isVisible).toBe(false)

    expect(await (await api(b, token, 'PATCH', '/conversations', { is_visible: false })).json()).toEqual({ success: true })
    expect((await list()).total).toBe(0)
  })

  it("hides one account's conversations from another", async () => {
    const b = await start()
    const mine = (await sendAndRead(b, await accessToken(b))).final
    const other = b.addAccount()
    const theirs = await accessToken(b, other.sessionToken)
    expect((await api(b, theirs, 'GET', `/conversation/${mine.conversationId}`)).status).toBe(404)
    expect(((await (await api(b, theirs, 'GET', '/conversations')).json()) as Json).total).toBe(0)
  })

  it('answers unknown routes with 404 JSON and needs auth on known ones', async () => {
    const b = await start()
    const res = await fetch(`${b.backendApiBaseUrl}/nothing-here`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ detail: 'Not Found' })
    const wrongMethod = await fetch(`${b.backendApiBaseUrl}/models`, { method: 'DELETE' })
    expect(wrongMethod.status).toBe(405)
    const unauthenticated = await fetch(`${b.backendApiBaseUrl}/models`, { headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}` } })
    expect(unauthenticated.status).toBe(401)
  })
})

describe('the backend handle', () => {
  it('exposes its URLs and records every request', async () => {
    const b = await start()
    expect(b.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(b.apiBaseUrl).toBe(`${b.url}/api`)
    expect(b.backendApiBaseUrl).toBe(`${b.url}/backend-api`)
    expect(b.userAgent).toBe('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36')
    const token = await accessToken(b)
    const body = messageBody({ prompt: 'recorded' })
    await (await post(b, token, body)).text()
    await (await api(b, token, 'GET', '/conversations?limit=5')).text()
    expect(b.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/auth/session',
      'POST /backend-api/conversation',
      'GET /backend-api/conversations'
    ])
    const [, sent, listed] = b.requests
    expect(sent!.body).toEqual(body)
    expect(sent!.headers.authorization).toBe(`Bearer ${token}`)
    expect(sent!.headers['user-agent']).toBe(b.userAgent)
    expect(listed!.url).toBe('/backend-api/conversations?limit=5')
    expect(typeof sent!.time).toBe('number')

    b.fault({ type: 'status', status: 500 })
    b.reset()
    expect(b.requests).toHaveLength(0)
    expect(b.conversations.size).toBe(0)
    expect((await post(b, token, messageBody())).status).toBe(200)
  })

  it('survives garbage input', async () => {
    const b = await start()
    const token = await accessToken(b)
    const garbage = await fetch(`${b.backendApiBaseUrl}/conversation`, {
      method: 'POST',
      headers: apiHeaders(b, token),
      body: new Uint8Array([0xff, 0xfe, 0x00, 0x7b])
    })
    expect(garbage.status).toBe(400)
    expect((await fetch(`${b.url}/%zz/..//`)).status).toBe(404)
    expect((await api(b, token, 'GET', '/conversation/%E0%A4%A')).status).toBe(404)
    expect((await getSession(b)).status).toBe(200)
  })

  it('rejects invalid options', async () => {
    await expect(createTestBackend({ shape: '1999' as StreamShape })).rejects.toThrow(TypeError)
    await expect(createTestBackend({ tokensPerEvent: 0 })).rejects.toThrow(RangeError)
    await expect(createTestBackend({ chunking: -3 })).rejects.toThrow(RangeError)
  })

  it('close() resolves with a stalled stream open, and the client sees the connection end', async () => {
    const b = await createTestBackend()
    b.fault({ type: 'stall' })
    const res = await post(b, await accessToken(b), messageBody())
    expect(res.status).toBe(200)
    expect(b.inFlight).toBe(1)
    const reading = readAll(res)
    await b.close()
    const { error } = await reading
    expect(error).toBeDefined()
    expect(b.inFlight).toBe(0)
    await b.close()
  })
})

describe('the record of requests is bounded', () => {
  /** Characters the backend holds for its requests: every field, the body as read. */
  const storedChars = (b: TestBackend) => JSON.stringify(b.requests).length

  it('100 junk POSTs of ~1 MB keep at most 64 KiB of body each', async () => {
    const b = await start()
    const token = await accessToken(b)
    const junk = JSON.stringify({ junk: 'j'.repeat(1024 * 1024 - 100) })
    expect(Buffer.byteLength(junk)).toBeLessThan(1024 * 1024)
    // Accepted as a body (under maxBodyBytes), refused as a request.
    for (let i = 0; i < 100; i++) expect((await post(b, token, junk)).status).toBe(422)
    const posts = b.requests.filter((r) => r.method === 'POST')
    expect(posts).toHaveLength(100)
    for (const r of posts) {
      expect(r).toMatchObject({ bodyBytes: Buffer.byteLength(junk), bodyTruncated: true, body: undefined })
      expect(r.bodyText.length).toBeLessThanOrEqual(64 * 1024)
      expect(junk.startsWith(r.bodyText)).toBe(true)
    }
    // Everything stored, headers and all: ~7 MB, where the bodies alone are 100 MB.
    expect(storedChars(b)).toBeLessThan(101 * (64 * 1024 + 2048))
  })

  it('keeps the most recent maxRecordedRequests requests, oldest first', async () => {
    const b = await start({ maxRecordedRequests: 5 })
    for (let i = 0; i < 12; i++) await (await fetch(`${b.url}/nowhere?i=${i}`)).text()
    expect(b.requests.map((r) => r.url)).toEqual([7, 8, 9, 10, 11].map((i) => `/nowhere?i=${i}`))
    b.reset()
    expect(b.requests).toHaveLength(0)
    await (await fetch(`${b.url}/nowhere?i=12`)).text()
    expect(b.requests.map((r) => r.url)).toEqual(['/nowhere?i=12'])
  })

  it('many big POSTs under a small ring hold no more than the ring', async () => {
    const b = await start({ maxRecordedRequests: 10, maxRecordedBodyBytes: 1024 })
    const token = await accessToken(b)
    const big = messageBody({ prompt: 'z'.repeat(900_000) })
    for (let i = 0; i < 50; i++) await (await post(b, token, big)).text()
    expect(b.requests).toHaveLength(10)
    expect(storedChars(b)).toBeLessThan(10 * (1024 + 2048))
  })

  it('keeps a whole small body, parsed, and cuts a longer one at a character boundary', async () => {
    const b = await start({ maxRecordedBodyBytes: 40 })
    const token = await accessToken(b)
    const small = { a: 'é' }
    await (await api(b, token, 'POST', '/moderations', small)).text()
    const long = { input: 'ééééééééééééééééééééééééééééééééé' }
    await (await api(b, token, 'POST', '/moderations', long)).text()
    const [first, second] = b.requests.filter((r) => r.method === 'POST')
    expect(first).toMatchObject({ body: small, bodyText: JSON.stringify(small), bodyBytes: Buffer.byteLength(JSON.stringify(small)), bodyTruncated: false })
    const text = JSON.stringify(long)
    expect(second).toMatchObject({ body: undefined, bodyBytes: Buffer.byteLength(text), bodyTruncated: true })
    expect(Buffer.byteLength(second!.bodyText)).toBeLessThanOrEqual(40)
    expect(Buffer.byteLength(second!.bodyText)).toBeGreaterThanOrEqual(39)
    expect(text.startsWith(second!.bodyText)).toBe(true)
  })

  it('refuses a 100 MB POST with 413 long before it is all sent, with or without content-length', async () => {
    const b = await start()
    const token = await accessToken(b)
    const TOTAL = 100 * 1024 * 1024
    for (const declare of [false, true]) {
      const { status, written } = await upload(b, token, TOTAL, declare)
      expect(status).toBe(413)
      // The backend answered while the upload was under way: it never waited for (or held) it all.
      expect(written).toBeLessThan(TOTAL / 2)
      const last = b.requests.at(-1)!
      expect(last).toMatchObject({ method: 'POST', bodyTruncated: true, body: undefined })
      expect(last.bodyText.length).toBeLessThanOrEqual(64 * 1024)
      if (declare) expect(last.bodyBytes).toBe(TOTAL)
      else expect(last.bodyBytes).toBeGreaterThan(1024 * 1024)
    }
    // The backend still answers.
    expect((await post(b, token, messageBody())).status).toBe(200)
  })

  it('rejects invalid bounds', async () => {
    await expect(createTestBackend({ maxRecordedRequests: -1 })).rejects.toThrow(RangeError)
    await expect(createTestBackend({ maxRecordedBodyBytes: 1.5 })).rejects.toThrow(RangeError)
    const all = await start({ maxRecordedRequests: Infinity, maxRecordedBodyBytes: 0 })
    await (await getSession(all)).text()
    expect(all.requests[0]).toMatchObject({ bodyText: '', bodyBytes: 0, bodyTruncated: false })
  })
})

/**
 * POSTs `total` bytes of JSON-ish junk to /backend-api/conversation in 1 MiB writes (waiting on
 * back-pressure), stopping once the answer arrives; returns the status and the bytes written by then.
 */
function upload(b: TestBackend, token: string, total: number, declareLength: boolean): Promise<{ status: number; written: number }> {
  const url = new URL(`${b.backendApiBaseUrl}/conversation`)
  const chunk = Buffer.alloc(1024 * 1024, 0x20)
  return new Promise((resolve, reject) => {
    let written = 0
    let answered = false
    const req = httpRequest(url, {
      method: 'POST',
      headers: { ...apiHeaders(b, token), ...(declareLength ? { 'content-length': String(total) } : {}) }
    })
    req.on('response', (res) => {
      answered = true
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, written }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, written }))
    })
    // The backend closes the connection after answering: writes then fail, which is expected.
    req.on('error', (error) => {
      if (!answered) reject(error)
    })
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (!answered) req.end()
    }
    pump()
  })
}

/** Reads a whole body as the reads arrived, with the error that ended it, if any. */
async function readChunks(res: Response): Promise<{ chunks: Uint8Array[]; error?: unknown }> {
  const reader = res.body!.getReader()
  const chunks: Uint8Array[] = []
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value)
    return { chunks }
  } catch (error) {
    return { chunks, error }
  }
}

/** Reads a whole body, returning the text received and the error that ended it, if any. */
async function readAll(res: Response): Promise<{ text: string; error?: unknown }> {
  const { chunks, error } = await readChunks(res)
  return { text: new TextDecoder().decode(Buffer.concat(chunks)), error }
}

/** Waits (bounded) for server-side bookkeeping that follows a client action over the network. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 2))
  expect(condition()).toBe(true)
}
