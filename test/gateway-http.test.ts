/**
 * The gateway's HTTP surface as a careless or hostile client meets it: bad requests, keys,
 * limits, busy accounts, clients that go away, health and metrics, follow-ups whose account died,
 * and shutdown. Every answer is checked for leaked secrets.
 */
import { describe, expect, it } from 'vitest'

import { until } from './helpers/backend.js'
import { GATEWAY_KEY, gatewaySetup } from './helpers/gateway.js'

const chat = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra })

async function errorOf(response: Response) {
  const body = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
  return { status: response.status, ...body.error }
}

describe('bad requests', () => {
  it('answers 400 with the field for what is malformed or unsupported, and sends nothing upstream', async () => {
    const { request, backend } = await gatewaySetup(1)
    const cases: [string, number, string | null][] = [
      ['{not json', 400, null],
      [JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 400, 'model'],
      [JSON.stringify({ model: 'gpt-4o', messages: [] }), 400, 'messages'],
      [JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'wizard', content: 'x' }] }), 400, 'messages[0].role'],
      [chat('x', { tools: [{ type: 'function', function: { name: 'f' } }] }), 400, 'tools'],
      [chat('x', { n: 2 }), 400, 'n'],
      [chat('x', { response_format: { type: 'json_object' } }), 400, 'response_format'],
      [chat('x', { stream: 'yes' }), 400, 'stream'],
      [
        JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }] }),
        400,
        'messages[0].content[0].type'
      ],
      [JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'tool', content: 'x', tool_call_id: 't' }] }), 400, 'messages[0].role'],
      [JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }] }), 400, 'messages[1].role'],
      [JSON.stringify({ model: 'm'.repeat(10_000), messages: [{ role: 'user', content: 'x' }] }), 400, 'model'],
      ['[]', 400, 'body'],
      ['null', 400, 'body']
    ]
    for (const [body, status, param] of cases) {
      const error = await errorOf(await request('/v1/chat/completions', { method: 'POST', body }))
      expect({ body, status: error.status, param: error.param, type: error.type }).toEqual({ body, status, param, type: 'invalid_request_error' })
    }
    expect(backend.requests.filter((r) => r.path === '/backend-api/conversation')).toHaveLength(0)
  })

  it('accepts and ignores sampling fields the web backend has no use for, and text parts', async () => {
    const { request } = await gatewaySetup(1)
    const response = await request('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({
        model: 'gpt-4o',
        messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'parts' }] }],
        temperature: 0.2,
        max_tokens: 10,
        stop: ['\n'],
        user: 'someone',
        seed: 1,
        some_future_field: { nested: true }
      })
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { choices: { message: { content: string } }[] }
    expect(body.choices[0]!.message.content).toBe('echo [system]\nBe brief.\n\n[user]\nparts')
  })

  it('refuses a body over maxBodyBytes with 413 before reading it all', async () => {
    const { request } = await gatewaySetup(1, { gateway: { maxBodyBytes: 1024 } })
    const error = await errorOf(await request('/v1/chat/completions', { method: 'POST', body: chat('x'.repeat(5000)) }))
    expect(error).toMatchObject({ status: 413, code: 'request_too_large' })
    // Without a content-length (chunked), the read stops at the bound too.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)))
        controller.close()
      }
    })
    const streamed = await request('/v1/chat/completions', { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)
  })

  it('takes a body of exactly maxBodyBytes, and refuses an empty one with 400, however it is sent', async () => {
    const body = chat('x')
    const { request } = await gatewaySetup(1, { gateway: { maxBodyBytes: Buffer.byteLength(body) } })
    expect((await request('/v1/chat/completions', { method: 'POST', body })).status).toBe(200)
    const chunked = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          if (text) controller.enqueue(new TextEncoder().encode(text))
          controller.close()
        }
      })
    const streamed = await request('/v1/chat/completions', { method: 'POST', body: chunked(body), duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(200)
    for (const empty of ['', chunked('')]) {
      const error = await errorOf(await request('/v1/chat/completions', { method: 'POST', body: empty, duplex: 'half' } as RequestInit))
      expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', message: expect.stringContaining('no body') })
    }
  })

  it('refuses, when called in code, a Request whose body is longer than its content-length says', async () => {
    const { gateway } = await gatewaySetup(1, { gateway: { maxBodyBytes: 1024 } })
    const lying = new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json', 'content-length': '100' },
      body: chat('x'.repeat(5000))
    })
    expect(await errorOf(await gateway.fetch(lying))).toMatchObject({ status: 413, code: 'request_too_large' })
  })

  it('answers unknown routes with a 404 in the API error shape', async () => {
    const { request } = await gatewaySetup(1)
    expect(await errorOf(await request('/v1/completions', { method: 'POST', body: '{}' }))).toMatchObject({ status: 404, code: 'unknown_route' })
  })
})

describe('keys and limits', () => {
  it('answers 401 without the key or with another, whatever the scheme, and never echoes it', async () => {
    const { request } = await gatewaySetup(1)
    for (const authorization of ['', 'Bearer', `Basic ${GATEWAY_KEY}`, `Bearer ${GATEWAY_KEY}x`, `Bearer ${GATEWAY_KEY.slice(0, -1)}`]) {
      const response = await request('/v1/models', { headers: { authorization } })
      const text = await response.text()
      expect(response.status).toBe(401)
      expect(text).not.toContain(GATEWAY_KEY.slice(8))
    }
    expect((await request('/v1/models', { headers: { authorization: `bearer  ${GATEWAY_KEY}` } })).status).toBe(200)
  })

  it('leaves /healthz, /readyz and /metrics open, unless a metrics key is set', async () => {
    const open = await gatewaySetup(1)
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${open.server.url}${path}`)).status).toBe(200)
    const locked = await gatewaySetup(1, { gateway: { metricsKey: 'metrics-key-1' } })
    expect((await fetch(`${locked.server.url}/metrics`)).status).toBe(401)
    expect((await fetch(`${locked.server.url}/metrics`, { headers: { authorization: 'Bearer metrics-key-1' } })).status).toBe(200)
    expect((await fetch(`${locked.server.url}/healthz`)).status).toBe(200)
  })

  it('limits requests at once per key with 429 and Retry-After', async () => {
    const { request, backend, accounts } = await gatewaySetup(2, { gateway: { limits: { concurrentRequests: 1 } } })
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const stalled = new AbortController()
    const first = request('/v1/chat/completions', { method: 'POST', body: chat('first'), signal: stalled.signal })
    await until(() => backend.inFlight === 1, 'the first reply')
    const second = await request('/v1/chat/completions', { method: 'POST', body: chat('second') })
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBe('1')
    stalled.abort()
    await first.catch(() => {})
    await until(() => backend.inFlight === 0, 'the aborted reply to end')
    expect((await request('/v1/chat/completions', { method: 'POST', body: chat('third') })).status).toBe(200)
  })

  it('limits requests per minute per key, each key on its own', async () => {
    const { server } = await gatewaySetup(1, { gateway: { apiKeys: ['sk-first-key-1', 'sk-second-key'], limits: { requestsPerMinute: 2 } } })
    const models = (key: string) => fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    expect((await models('sk-first-key-1')).status).toBe(200)
    expect((await models('sk-first-key-1')).status).toBe(200)
    const third = await models('sk-first-key-1')
    expect(third.status).toBe(429)
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(29)
    expect((await models('sk-second-key')).status).toBe(200)
  })
})

describe('busy accounts and clients that go away', () => {
  it('waits for a busy account up to queueTimeoutMs, then answers 503 with Retry-After, having sent nothing', async () => {
    const { request, backend, accounts } = await gatewaySetup(1, { gateway: { queueTimeoutMs: 100 } })
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const stalled = new AbortController()
    const first = request('/v1/chat/completions', { method: 'POST', body: chat('first', { stream: true }), signal: stalled.signal })
    await until(() => backend.inFlight === 1, 'the first reply')
    const busy = await request('/v1/chat/completions', { method: 'POST', body: chat('second') })
    expect(busy.status).toBe(503)
    expect(busy.headers.get('retry-after')).toBe('5')
    expect((await errorOf(busy)).code).toBe('accounts_busy')
    stalled.abort()
    await first.catch(() => {})
    expect(backend.requests.filter((r) => r.path === '/backend-api/conversation')).toHaveLength(1)
  })

  it('aborts the upstream reply when a streaming client goes away mid-reply, which frees the account', async () => {
    const { request, backend, pool } = await gatewaySetup(1, { backend: { eventDelayMs: 50, tokensPerEvent: 1 } })
    const client = new AbortController()
    const streaming = await request('/v1/chat/completions', {
      method: 'POST',
      body: chat('the one that goes away, word after word after word after word', { stream: true }),
      signal: client.signal
    })
    const reader = streaming.body!.getReader()
    await reader.read()
    await until(() => backend.inFlight === 1, 'the streaming reply')
    client.abort()
    await until(() => backend.inFlight === 0, 'the upstream reply to stop')
    await until(() => pool.status().accounts.every((account) => !account.busy), 'the account to be free')
    expect((await request('/v1/chat/completions', { method: 'POST', body: chat('next') })).status).toBe(200)
  })

  it('aborts the upstream reply when a non-streaming client goes away, and logs it as the client closing', async () => {
    const lines: [Record<string, unknown>, string | undefined][] = []
    const record = (fields: Record<string, unknown>, message?: string) => lines.push([fields, message])
    const logger = { info: record, warn: record, error: record }
    const { request, backend, pool, accounts } = await gatewaySetup(1, { gateway: { logger } })
    backend.fault({ type: 'stall', userId: accounts.a!.user.id })
    const client = new AbortController()
    const pending = request('/v1/chat/completions', { method: 'POST', body: chat('x'), signal: client.signal }).catch((e) => e)
    await until(() => backend.inFlight === 1, 'the reply')
    client.abort()
    await pending
    await until(() => backend.inFlight === 0, 'the upstream reply to stop')
    await until(() => pool.status().accounts.every((account) => !account.busy), 'the account to be free')
    await until(() => lines.length > 0, 'the log line')
    expect(lines).toEqual([[expect.objectContaining({ status: 499, error: 'client_closed' }), 'request']])
  })

  it('ends a stream that fails mid-way with an error event the SDK raises, not a hang', async () => {
    const { request, backend, accounts } = await gatewaySetup(1)
    backend.fault({ type: 'reset', afterEvents: 2, userId: accounts.a!.user.id })
    const response = await request('/v1/chat/completions', { method: 'POST', body: chat('some words to send', { stream: true }) })
    expect(response.status).toBe(200)
    const text = await response.text()
    const events = text.trim().split('\n\n')
    expect(events.at(-1)).toMatch(/^data: \{"error":\{"message":/)
    expect(text).not.toContain('[DONE]')
  })
})

describe('a follow-up whose account is dead', () => {
  it('starts a new conversation with the whole transcript on another account', async () => {
    const { openai, backend, accounts, pool } = await gatewaySetup(2)
    const first = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'first' }] })
    const firstAccount = pool.status().accounts.find((a) => a.replies === 1)!.id
    backend.revokeSession(accounts[firstAccount]!.sessionToken)
    backend.expireAccessTokens()
    const next = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: first.choices[0]!.message.content! },
        { role: 'user', content: 'second' }
      ]
    })
    expect(next.choices[0]!.message.content).toBe('echo [user]\nfirst\n\n[assistant]\necho first\n\n[user]\nsecond')
    expect(pool.status().accounts.find((a) => a.id === firstAccount)!.state).toBe('dead')
  })
})

describe('health, readiness and metrics', () => {
  it('is ready while an account is usable and every readiness check answers', async () => {
    let redisUp = true
    const { server, backend, accounts } = await gatewaySetup(1, {
      gateway: { readinessChecks: [async () => { if (!redisUp) throw new Error('down') }] }
    })
    const readyz = async () => (await fetch(`${server.url}/readyz`)).status
    expect(await readyz()).toBe(200)
    redisUp = false
    expect(await readyz()).toBe(503)
    redisUp = true
    backend.revokeSession(accounts.a!.sessionToken)
    await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}` },
      body: chat('x')
    })
    expect(await readyz()).toBe(503)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })

  it('exports requests, latency, time to first token, accounts and lease waits, with no secret in them or in the logs', async () => {
    const lines: unknown[] = []
    const logger = { info: (f: unknown, m?: string) => lines.push([f, m]), warn: (f: unknown, m?: string) => lines.push([f, m]), error: (f: unknown, m?: string) => lines.push([f, m]) }
    const { request, server, accounts, backend } = await gatewaySetup(2, { gateway: { logger } })
    expect((await request('/v1/chat/completions', { method: 'POST', body: chat('x', { stream: true }) })).status).toBe(200)
    expect((await request('/v1/chat/completions', { method: 'POST', body: chat('y') })).status).toBe(200)
    await request('/v1/models', { headers: { authorization: 'Bearer wrong-key-123' } })
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/chatgpt_gateway_requests_total\{route="chat_completions",status="200",key="key 1"\} 2/)
    expect(metrics).toMatch(/chatgpt_gateway_requests_total\{route="models",status="401",key="-"\} 1/)
    expect(metrics).toMatch(/chatgpt_gateway_time_to_first_token_seconds_count\{model="gpt-4o"\} 1/)
    expect(metrics).toMatch(/chatgpt_gateway_lease_wait_seconds_count 2/)
    expect(metrics).toMatch(/chatgpt_gateway_accounts\{state="active"\} 2/)
    expect(metrics).toMatch(/chatgpt_gateway_conversations_total\{kind="new"\} 2/)
    const secrets = [GATEWAY_KEY, 'wrong-key-123', backend.clearanceToken, ...Object.values(accounts).map((a) => a.sessionToken)]
    const logText = JSON.stringify(lines)
    for (const secret of secrets) {
      expect(metrics).not.toContain(secret)
      expect(logText).not.toContain(secret)
    }
    const chatLines = lines.filter((line) => (line as [Record<string, unknown>])[0].path === '/v1/chat/completions')
    expect(chatLines).toHaveLength(2)
    expect((chatLines[0] as [Record<string, unknown>])[0]).toMatchObject({ method: 'POST', status: 200, key: 'key 1', model: 'gpt-4o', stream: true, conversation: 'new' })
    expect(typeof (chatLines[0] as [Record<string, unknown>])[0].account).toBe('string')
  })
})

describe('a handler that throws', () => {
  it('answers an API-shaped 500 without the error, and logs one line for it', async () => {
    const lines: [Record<string, unknown>, string | undefined][] = []
    const record = (fields: Record<string, unknown>, message?: string) => lines.push([fields, message])
    const { server, pool } = await gatewaySetup(1, { gateway: { logger: { info: record, warn: record, error: record } } })
    pool.status = () => {
      throw new Error('an internal detail the client must not see')
    }
    const response = await fetch(`${server.url}/readyz`)
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({ error: { message: 'The gateway failed to answer', type: 'server_error', param: null, code: 'internal_error' } })
    expect(lines.map(([fields, message]) => [message, fields.status ?? fields.err])).toEqual([
      ['request failed unexpectedly', 'an internal detail the client must not see'],
      ['request', 500]
    ])
    expect(lines[1]![0].error).toBe('internal')
  })
})

describe('shutdown', () => {
  it('lets a reply in flight finish, refuses new requests meanwhile, and resolves once it is done', async () => {
    const { request, gateway, backend } = await gatewaySetup(1, { backend: { eventDelayMs: 20, tokensPerEvent: 1 } })
    const streaming = await request('/v1/chat/completions', { method: 'POST', body: chat('one two three four five six', { stream: true }) })
    await until(() => backend.inFlight === 1, 'the reply')
    const done = gateway.shutdown({ graceMs: 10_000 })
    const refused = await request('/v1/chat/completions', { method: 'POST', body: chat('late') })
    expect(refused.status).toBe(503)
    const text = await streaming.text()
    expect(text).toContain('data: [DONE]')
    await done
    expect(gateway.inFlight).toBe(0)
  })

  it('aborts what is left after the grace period, freeing the account', async () => {
    const { request, gateway, backend, accounts, pool } = await gatewaySetup(1)
    backend.fault({ type: 'stall', afterEvents: 1, userId: accounts.a!.user.id })
    const streaming = await request('/v1/chat/completions', { method: 'POST', body: chat('stalls', { stream: true }) })
    await until(() => backend.inFlight === 1, 'the reply')
    const body = streaming.text()
    await gateway.shutdown({ graceMs: 50 })
    expect(await body).toMatch(/data: \{"error":\{"message":"The gateway shut down before the reply ended; try again","type":"server_error","param":null,"code":"shutting_down"\}\}\n\n$/)
    await until(() => backend.inFlight === 0, 'the upstream reply to stop')
    expect(pool.status().accounts[0]!.busy).toBe(false)
  })
})
