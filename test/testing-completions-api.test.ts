/**
 * The test backend's Chat Completions API (`/v1`): what a client of the official API meets, over
 * plain HTTP and through the official `openai` SDK (6.x). Authentication by API key, the API's
 * checks and error JSON, replies cut by `max_tokens` and the context window, streams exactly as
 * OpenAI sends them, `GET /v1/models`, and scripted faults that stay on their own endpoint.
 */
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'

import {
  approximateTokenCount,
  createTestBackend,
  defaultReply,
  type ReplyContext,
  type TestBackend,
  type TestBackendOptions
} from '../packages/chatgpt-kit/src/testing/index.js'
import { tokenize } from '../packages/chatgpt-kit/src/testing/default-reply.js'
import { until } from './helpers/backend.js'

const open: TestBackend[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((backend) => backend.close()))
})

async function start(options: TestBackendOptions = {}): Promise<TestBackend> {
  const backend = await createTestBackend(options)
  open.push(backend)
  return backend
}

type Chunk = {
  id: string
  object: string
  model: string
  choices: { index: number; delta: { role?: string; content?: string; refusal?: null }; finish_reason: string | null }[]
  usage?: Record<string, unknown> | null
}
type ApiError = { error: { message: string; type: string; param: string | null; code: string | null } }

const user = (content: string) => ({ role: 'user', content })

function post(backend: TestBackend, body: unknown, key: string | null = backend.apiKey): Promise<Response> {
  return fetch(`${backend.v1BaseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

/** The `data:` payloads of an SSE body, parsed; `[DONE]` stays a string. */
function dataEvents(text: string): (Chunk | ApiError | '[DONE]')[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
    .map((data) => (data === '[DONE]' ? '[DONE]' : JSON.parse(data)))
}

async function streamed(backend: TestBackend, body: Record<string, unknown>) {
  const answer = await post(backend, { stream: true, ...body })
  expect(answer.status).toBe(200)
  expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const events = dataEvents(await answer.text())
  const chunks = events.filter((event): event is Chunk => typeof event === 'object' && 'choices' in event)
  return { events, chunks, text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join('') }
}

/** OpenAI's prompt count, with the backend's default counter: 3 + Σ (4 + tokens of the content). */
const promptTokens = (...contents: string[]) => 3 + contents.reduce((sum, text) => sum + 4 + approximateTokenCount(text), 0)

describe('POST /v1/chat/completions over HTTP', () => {
  it('answers a whole chat.completion with the reply function, usage and a request id', async () => {
    const backend = await start()
    const answer = await post(backend, { model: 'gpt-4o-mini', messages: [user('hello there')] })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
    const completion = await answer.json()
    const reply = defaultReply('hello there')
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: promptTokens('hello there'),
        completion_tokens: approximateTokenCount(reply),
        total_tokens: promptTokens('hello there') + approximateTokenCount(reply)
      }
    })
    expect(completion.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/)
    expect(completion.created).toBeCloseTo(Date.now() / 1000, -2)
  })

  it('streams chunks as OpenAI does: role first, one chunk per token, finish_reason in a last empty delta, then [DONE]', async () => {
    const backend = await start()
    const { events, chunks, text } = await streamed(backend, { model: 'gpt-4o', messages: [user('stream me')] })
    const reply = defaultReply('stream me')
    expect(text).toBe(reply)
    expect(events.at(-1)).toBe('[DONE]')
    expect(events.filter((e) => e === '[DONE]')).toHaveLength(1)
    expect(chunks[0]!.choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null })
    expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' })
    const content = chunks.slice(1, -1)
    expect(content.map((c) => c.choices[0]!.delta)).toEqual(tokenize(reply).map((token) => ({ content: token })))
    expect(content.every((c) => c.choices[0]!.finish_reason === null)).toBe(true)
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ id: chunks[0]!.id, object: 'chat.completion.chunk', model: 'gpt-4o' })
      // Without include_usage there is no usage field at all.
      expect('usage' in chunk).toBe(false)
    }
  })

  it('with stream_options.include_usage: usage null on every chunk, then one chunk with choices [] and the usage', async () => {
    const backend = await start()
    const { events, chunks } = await streamed(backend, {
      model: 'gpt-4o',
      messages: [user('count me')],
      stream_options: { include_usage: true }
    })
    const last = chunks.at(-1)!
    expect(last.choices).toEqual([])
    const reply = defaultReply('count me')
    expect(last.usage).toMatchObject({
      prompt_tokens: promptTokens('count me'),
      completion_tokens: approximateTokenCount(reply),
      total_tokens: promptTokens('count me') + approximateTokenCount(reply)
    })
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true)
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop')
    expect(events.at(-2)).toBe(last)
    expect(events.at(-1)).toBe('[DONE]')
  })

  it('groups tokensPerEvent tokens per chunk and honours the web options of pacing', async () => {
    const backend = await start({ tokensPerEvent: 3, eventDelayMs: 1, reply: () => 'a b c d e f g' })
    const { chunks } = await streamed(backend, { model: 'gpt-4o', messages: [user('x')] })
    expect(chunks.map((c) => c.choices[0]!.delta.content)).toEqual(['', 'a b c ', 'd e f ', 'g', undefined])
  })

  it('gives the reply function the last user message, the thread, the model and the system texts', async () => {
    const seen: { prompt: string; ctx: ReplyContext }[] = []
    const backend = await start({ reply: (prompt, ctx) => (seen.push({ prompt, ctx }), `re: ${prompt}`) })
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'developer', content: [{ type: 'text', text: 'no' }, { type: 'text', text: 'jokes' }] },
      user('first'),
      { role: 'assistant', content: 're: first' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
      { role: 'user', content: [{ type: 'text', text: 'second' }, { type: 'image_url', image_url: { url: 'data:,' } }] }
    ]
    const completion = await (await post(backend, { model: 'gpt-4.1', messages })).json()
    expect(completion.choices[0].message.content).toBe('re: second')
    expect(seen).toHaveLength(1)
    expect(seen[0]!.prompt).toBe('second')
    expect(seen[0]!.ctx).toEqual({
      conversationId: completion.id,
      action: 'next',
      messages: [
        { role: 'user', text: 'first' },
        { role: 'assistant', text: 're: first' },
        { role: 'assistant', text: '' },
        { role: 'user', text: 'second' }
      ],
      chatCompletion: { model: 'gpt-4.1', system: ['be brief', 'no\njokes'] }
    })
    // The whole body is recorded, so tests can check the context a client sent.
    const recorded = backend.requests.filter((r) => r.path === '/v1/chat/completions')
    expect(recorded).toHaveLength(1)
    expect(recorded[0]!.body).toEqual({ model: 'gpt-4.1', messages })
    expect(recorded[0]!.headers.authorization).toBe(`Bearer ${backend.apiKey}`)
  })

  it('answers 500 reply_function_error when the reply function throws, and stores nothing anywhere', async () => {
    const backend = await start({
      reply: () => {
        throw new Error('scripted')
      }
    })
    const answer = await post(backend, { model: 'gpt-4o', messages: [user('x')] })
    expect(answer.status).toBe(500)
    expect(await answer.json()).toEqual({
      error: { message: 'The reply function threw: scripted', type: 'server_error', param: null, code: 'reply_function_error' }
    })
    expect(backend.conversations.size).toBe(0)
  })
})

describe('API keys', () => {
  it('refuses a missing key (code null) and a wrong one (invalid_api_key) without echoing it', async () => {
    const backend = await start()
    const missing = await post(backend, { model: 'gpt-4o', messages: [user('x')] }, null)
    expect(missing.status).toBe(401)
    const missingBody = (await missing.json()) as ApiError
    expect(missingBody.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null })
    expect(missingBody.error.message).toMatch(/^You didn't provide an API key/)

    const wrongKey = `sk-test-${'x'.repeat(32)}`
    const wrong = await post(backend, { model: 'gpt-4o', messages: [user('x')] }, wrongKey)
    expect(wrong.status).toBe(401)
    const wrongText = await wrong.text()
    expect(JSON.parse(wrongText)).toEqual({
      error: {
        message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key'
      }
    })
    expect(wrongText).not.toContain('xxxx')
  })

  it('gives every backend its own keys; added keys work, revoked ones stop', async () => {
    const [a, b] = await Promise.all([start(), start()])
    expect(a.apiKey).toMatch(/^sk-test-[A-Za-z0-9_-]{32}$/)
    expect(a.apiKey).not.toBe(b.apiKey)
    expect((await post(a, { model: 'gpt-4o', messages: [user('x')] }, b.apiKey)).status).toBe(401)

    const second = a.addApiKey()
    expect(second).not.toBe(a.apiKey)
    expect((await post(a, { model: 'gpt-4o', messages: [user('x')] }, second)).status).toBe(200)
    a.revokeApiKey(a.apiKey)
    const revoked = await post(a, { model: 'gpt-4o', messages: [user('x')] })
    expect(revoked.status).toBe(401)
    expect(((await revoked.json()) as ApiError).error.code).toBe('invalid_api_key')
    expect((await post(a, { model: 'gpt-4o', messages: [user('x')] }, second)).status).toBe(200)
    a.reset()
    expect((await post(a, { model: 'gpt-4o', messages: [user('x')] }, second)).status).toBe(200)
  })

  it('keeps the two worlds apart: the web access token is no API key, the API key no web token, and /v1 has no Cloudflare', async () => {
    const backend = await start()
    const accessToken = backend.issueAccessToken()
    expect((await post(backend, { model: 'gpt-4o', messages: [user('x')] }, accessToken)).status).toBe(401)
    const web = await fetch(`${backend.backendApiBaseUrl}/models`, {
      headers: { authorization: `Bearer ${backend.apiKey}`, cookie: `cf_clearance=${backend.clearanceToken}`, 'user-agent': backend.userAgent }
    })
    expect(web.status).toBe(401)
    // No clearance cookie, no browser User-Agent: the API does not challenge.
    backend.rotateClearance()
    expect((await post(backend, { model: 'gpt-4o', messages: [user('x')] })).status).toBe(200)
  })
})

describe('request checks in the API’s words', () => {
  const cases: [string, unknown, number, Partial<ApiError['error']>][] = [
    ['a body that is not JSON', '{"model": ', 400, { param: null, code: null }],
    ['no model', { messages: [user('x')] }, 400, { message: 'you must provide a model parameter', param: null, code: null }],
    ['no messages', { model: 'gpt-4o' }, 400, { message: "Missing required parameter: 'messages'.", param: 'messages', code: 'missing_required_parameter' }],
    ['messages not an array', { model: 'gpt-4o', messages: 'hi' }, 400, { param: 'messages', code: 'invalid_type' }],
    ['no message at all', { model: 'gpt-4o', messages: [] }, 400, { param: 'messages', code: 'empty_array' }],
    ['an unknown role', { model: 'gpt-4o', messages: [{ role: 'wizard', content: 'x' }] }, 400, { param: 'messages[0].role', code: 'invalid_value' }],
    ['a user message without content', { model: 'gpt-4o', messages: [user('x'), { role: 'user' }] }, 400, { param: 'messages[1].content', code: 'missing_required_parameter' }],
    ['content of a wrong type', { model: 'gpt-4o', messages: [{ role: 'user', content: 7 }] }, 400, { param: 'messages[0].content', code: 'invalid_type' }],
    ['max_tokens 0', { model: 'gpt-4o', messages: [user('x')], max_tokens: 0 }, 400, { message: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.", param: 'max_tokens', code: 'integer_below_min_value' }],
    ['a fractional max_completion_tokens', { model: 'gpt-4o', messages: [user('x')], max_completion_tokens: 1.5 }, 400, { param: 'max_completion_tokens', code: 'invalid_type' }],
    ['stream_options without stream', { model: 'gpt-4o', messages: [user('x')], stream_options: { include_usage: true } }, 400, { param: 'stream_options' }],
    ['n above 1', { model: 'gpt-4o', messages: [user('x')], n: 2 }, 400, { param: 'n', code: 'unsupported_value' }],
    ['an unknown model', { model: 'gpt-9', messages: [user('x')] }, 404, { message: 'The model `gpt-9` does not exist or you do not have access to it.', param: null, code: 'model_not_found' }],
    ['max_tokens on a reasoning model', { model: 'gpt-5', messages: [user('x')], max_tokens: 10 }, 400, { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", param: 'max_tokens', code: 'unsupported_parameter' }],
    ['a temperature on a reasoning model', { model: 'gpt-5', messages: [user('x')], temperature: 0.5 }, 400, { message: "Unsupported value: 'temperature' does not support 0.5 with this model. Only the default (1) value is supported.", param: 'temperature', code: 'unsupported_value' }],
    ['max_tokens above the model’s output limit', { model: 'gpt-4o', messages: [user('x')], max_tokens: 16385 }, 400, { message: 'max_tokens is too large: 16385. This model supports at most 16384 completion tokens, whereas you provided 16385.', param: 'max_tokens', code: null }]
  ]

  it.each(cases)('refuses %s', async (_, body, status, error) => {
    const backend = await start()
    const answer = await post(backend, body)
    expect(answer.status).toBe(status)
    const json = (await answer.json()) as ApiError
    expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type'])
    expect(json.error).toMatchObject({ type: 'invalid_request_error', ...error })
  })

  it('accepts what a reasoning model takes, and what only other models take on those', async () => {
    const backend = await start()
    const ok = [
      { model: 'gpt-5', messages: [user('x')], max_completion_tokens: 10, temperature: 1 },
      { model: 'gpt-4o', messages: [user('x')], max_tokens: 10, temperature: 0.2, top_p: 0.9, seed: 1, stop: ['\n\n'] }
    ]
    for (const body of ok) expect((await post(backend, body)).status, body.model).toBe(200)
  })

  it('offers apiModels, apart from the web backend’s models', async () => {
    const backend = await start({ apiModels: ['o3-mini', 'my-model'], models: ['gpt-4o'] })
    expect((await post(backend, { model: 'my-model', messages: [user('x')] })).status).toBe(200)
    expect((await post(backend, { model: 'gpt-4o', messages: [user('x')] })).status).toBe(404)
    const reasoning = await post(backend, { model: 'o3-mini', messages: [user('x')], max_tokens: 5 })
    expect(((await reasoning.json()) as ApiError).error.code).toBe('unsupported_parameter')
    await expect(start({ apiModels: [] })).rejects.toThrow(/apiModels must be a non-empty array/)
  })
})

describe('token limits', () => {
  it('cuts the reply at max_tokens with finish_reason length, streamed or not', async () => {
    const backend = await start({ reply: () => 'one two three four five six seven eight' })
    const whole = await (await post(backend, { model: 'gpt-4o', messages: [user('x')], max_tokens: 3 })).json()
    // Three tokens of four characters each, by the default counter.
    expect(whole.choices[0]).toMatchObject({ message: { content: 'one two thre' }, finish_reason: 'length' })
    expect(whole.usage.completion_tokens).toBe(3)

    const { chunks, text } = await streamed(backend, {
      model: 'gpt-4o',
      messages: [user('x')],
      max_completion_tokens: 3,
      stream_options: { include_usage: true }
    })
    expect(text).toBe('one two thre')
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length')
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 3 })

    // A limit the reply fits in changes nothing.
    const fits = await (await post(backend, { model: 'gpt-4o', messages: [user('x')], max_tokens: 100 })).json()
    expect(fits.choices[0]).toMatchObject({ message: { content: 'one two three four five six seven eight' }, finish_reason: 'stop' })
  })

  it('stops a reply with no limit at apiMaxOutputTokens', async () => {
    const backend = await start({ apiMaxOutputTokens: 2, reply: () => 'abcd efgh ijkl' })
    const whole = await (await post(backend, { model: 'gpt-4o', messages: [user('x')] })).json()
    expect(whole.choices[0]).toMatchObject({ message: { content: 'abcd efg' }, finish_reason: 'length' })
    const refused = await post(backend, { model: 'gpt-4o', messages: [user('x')], max_completion_tokens: 3 })
    expect(((await refused.json()) as ApiError).error.message).toBe(
      'max_completion_tokens is too large: 3. This model supports at most 2 completion tokens, whereas you provided 3.'
    )
  })

  it('refuses messages over the context window with context_length_exceeded, in OpenAI’s words', async () => {
    const backend = await start({ apiContextTokens: 100 })
    // 3 + (4 + 100) = 107 tokens.
    const tooLong = await post(backend, { model: 'gpt-4o', messages: [user('x'.repeat(400))] })
    expect(tooLong.status).toBe(400)
    expect(await tooLong.json()).toEqual({
      error: {
        message: "This model's maximum context length is 100 tokens. However, your messages resulted in 107 tokens. Please reduce the length of the messages.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded'
      }
    })

    // 3 + (4 + 43) = 50 in the messages, 60 asked for the completion.
    const withCompletion = await post(backend, { model: 'gpt-4o', messages: [user('x'.repeat(172))], max_tokens: 60 })
    expect(((await withCompletion.json()) as ApiError).error).toMatchObject({
      message:
        "This model's maximum context length is 100 tokens. However, you requested 110 tokens (50 in the messages, 60 in the completion). Please reduce the length of the messages or completion.",
      code: 'context_length_exceeded'
    })
    expect((await post(backend, { model: 'gpt-4o', messages: [user('x'.repeat(172))], max_tokens: 50 })).status).toBe(200)
  })

  it('never lets a reply run past the window: what is left of it is the limit', async () => {
    const backend = await start({ apiContextTokens: 100, reply: () => 'y'.repeat(400) })
    // 3 + (4 + 88) = 95 in the messages leaves 5 tokens, 20 characters.
    const whole = await (await post(backend, { model: 'gpt-4o', messages: [user('x'.repeat(352))] })).json()
    expect(whole.choices[0]).toMatchObject({ message: { content: 'y'.repeat(20) }, finish_reason: 'length' })
    expect(whole.usage).toMatchObject({ prompt_tokens: 95, completion_tokens: 5, total_tokens: 100 })
  })

  it('counts with apiTokenCounter when given one, names and all', async () => {
    const words = (text: string) => (text.trim() === '' ? 0 : text.trim().split(/\s+/).length)
    const backend = await start({ apiTokenCounter: words, reply: () => 'alpha beta gamma delta' })
    const whole = await (
      await post(backend, {
        model: 'gpt-4o',
        messages: [{ role: 'system', content: 'be kind' }, { role: 'user', content: 'hi there you', name: 'ann' }],
        max_tokens: 2
      })
    ).json()
    // 3 + (4 + 2) + (4 + 3 + 1 + 1)
    expect(whole.usage).toMatchObject({ prompt_tokens: 18, completion_tokens: 2 })
    expect(whole.choices[0]).toMatchObject({ message: { content: 'alpha beta ' }, finish_reason: 'length' })
  })

  it('answers 500 when apiTokenCounter is broken, instead of trusting it', async () => {
    const backend = await start({ apiTokenCounter: () => -1 })
    const answer = await post(backend, { model: 'gpt-4o', messages: [user('x')] })
    expect(answer.status).toBe(500)
    expect(((await answer.json()) as ApiError).error.message).toBe('apiTokenCounter must return a whole number >= 0, got -1.')
    await expect(start({ apiTokenCounter: 'tiktoken' as never })).rejects.toThrow(/apiTokenCounter must be a function/)
    await expect(start({ apiContextTokens: 0 })).rejects.toThrow(/apiContextTokens must be a positive integer/)
  })
})

describe('GET /v1/models and unknown paths', () => {
  it('lists the API models as OpenAI does, and retrieves one', async () => {
    const backend = await start()
    const list = await fetch(`${backend.v1BaseUrl}/models`, { headers: { authorization: `Bearer ${backend.apiKey}` } })
    expect(list.status).toBe(200)
    const body = await list.json()
    expect(body.object).toBe('list')
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-5'])
    for (const model of body.data) {
      expect(model).toEqual({ id: model.id, object: 'model', created: expect.any(Number), owned_by: 'system' })
    }
    const one = await fetch(`${backend.v1BaseUrl}/models/gpt-4o`, { headers: { authorization: `Bearer ${backend.apiKey}` } })
    expect(await one.json()).toEqual(body.data[1])
    const none = await fetch(`${backend.v1BaseUrl}/models/gpt-9`, { headers: { authorization: `Bearer ${backend.apiKey}` } })
    expect(none.status).toBe(404)
    expect(((await none.json()) as ApiError).error).toMatchObject({ param: 'model', code: 'model_not_found' })
    expect((await fetch(`${backend.v1BaseUrl}/models`)).status).toBe(401)
  })

  it('answers an unknown /v1 path or method with the API’s 404 Invalid URL', async () => {
    const backend = await start()
    for (const [method, path] of [['GET', '/v1/embeddings'], ['GET', '/v1/chat/completions'], ['DELETE', '/v1/models']]) {
      const answer = await fetch(`${backend.url}${path}`, { method, headers: { authorization: `Bearer ${backend.apiKey}` } })
      expect(answer.status).toBe(404)
      expect(await answer.json()).toEqual({ error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } })
    }
  })
})

describe('faults on the completions endpoint', () => {
  const ask = (backend: TestBackend, extra: Record<string, unknown> = {}) =>
    post(backend, { model: 'gpt-4o', messages: [user('hello')], ...extra })

  it('answers a 429 with the API’s rate-limit body and the fault’s headers', async () => {
    const backend = await start()
    backend.fault({ endpoint: 'completions', type: 'status', status: 429, headers: { 'retry-after': '7', 'retry-after-ms': '7000' } })
    const answer = await ask(backend)
    expect(answer.status).toBe(429)
    expect(answer.headers.get('retry-after')).toBe('7')
    expect(answer.headers.get('retry-after-ms')).toBe('7000')
    expect(((await answer.json()) as ApiError).error).toMatchObject({ type: 'requests', param: null, code: 'rate_limit_exceeded' })
    // One-shot: the next request is answered.
    expect((await ask(backend)).status).toBe(200)
  })

  it.each([
    [500, 'server_error'],
    [503, 'server_error'],
    [400, 'invalid_request_error']
  ])('answers a %i status fault with the API’s error JSON', async (status, type) => {
    const backend = await start()
    backend.fault({ endpoint: 'completions', type: 'status', status })
    const answer = await ask(backend)
    expect(answer.status).toBe(status)
    expect(((await answer.json()) as ApiError).error).toMatchObject({ type, param: null, code: null })
  })

  it('keeps faults on their own endpoint: a fault without endpoint is the web conversation’s, never /v1’s', async () => {
    const backend = await start()
    backend.fault({ type: 'status', status: 502 })
    backend.fault({ endpoint: 'session', type: 'status', status: 502 })
    expect((await ask(backend)).status).toBe(200)
    expect((await ask(backend, { stream: true })).status).toBe(200)

    // And a completions fault is passed by on the web endpoints.
    const b2 = await start()
    b2.fault({ endpoint: 'completions', type: 'status', status: 500 })
    const session = await fetch(`${b2.apiBaseUrl}/auth/session`, {
      headers: { 'user-agent': b2.userAgent, cookie: `cf_clearance=${b2.clearanceToken}; __Secure-next-auth.session-token=${b2.sessionToken}` }
    })
    expect(session.status).toBe(200)
    expect((await ask(b2)).status).toBe(500)
  })

  it('leaves a stream fault queued for a request that is refused before it could stream', async () => {
    const backend = await start()
    backend.fault({ endpoint: 'completions', type: 'cut', afterEvents: 1 })
    expect((await post(backend, { model: 'gpt-4o', messages: [user('x')] }, null)).status).toBe(401)
    expect((await ask(backend, { model: 'nope' })).status).toBe(404)
    const { events } = await streamed(backend, { model: 'gpt-4o', messages: [user('x')] })
    expect(events).toHaveLength(2)
    expect(events).not.toContain('[DONE]')
  })

  it('cuts a stream after afterEvents content chunks, without [DONE]', async () => {
    const backend = await start({ reply: () => 'a b c d e' })
    backend.fault({ endpoint: 'completions', type: 'cut', afterEvents: 2 })
    const { events, text } = await streamed(backend, { model: 'gpt-4o', messages: [user('x')] })
    expect(text).toBe('a b ')
    expect(events).toHaveLength(3)
    expect(events).not.toContain('[DONE]')
  })

  it('cut finished: the whole reply and its finish_reason, but no usage chunk and no [DONE]', async () => {
    const backend = await start({ reply: () => 'a b c' })
    backend.fault({ endpoint: 'completions', type: 'cut', finished: true })
    const { events, chunks, text } = await streamed(backend, {
      model: 'gpt-4o',
      messages: [user('x')],
      stream_options: { include_usage: true }
    })
    expect(text).toBe('a b c')
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop')
    expect(chunks.some((c) => c.choices.length === 0)).toBe(false)
    expect(events).not.toContain('[DONE]')
  })

  it('sends a mid-stream {"error": …} data event, then ends', async () => {
    const backend = await start({ reply: () => 'a b c' })
    backend.fault({ endpoint: 'completions', type: 'stream-error', afterEvents: 1, error: 'The model is overloaded.' })
    const answer = await ask(backend, { stream: true })
    const events = dataEvents(await answer.text())
    expect(events).toHaveLength(3)
    expect(events[2]).toEqual({ error: { message: 'The model is overloaded.', type: 'server_error', param: null, code: null } })

    backend.fault({ endpoint: 'completions', type: 'stream-error', error: { message: 'custom', type: 'x', param: null, code: 'y' } })
    const custom = dataEvents(await (await ask(backend, { stream: true })).text())
    expect(custom.at(-1)).toEqual({ error: { message: 'custom', type: 'x', param: null, code: 'y' } })
  })

  it('resets the connection mid-stream after what was sent', async () => {
    const backend = await start({ reply: () => 'a b c d e' })
    backend.fault({ endpoint: 'completions', type: 'reset', afterEvents: 2 })
    const answer = await ask(backend, { stream: true })
    const reader = answer.body!.getReader()
    let received = ''
    const failure = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return undefined
          received += new TextDecoder().decode(value)
        }
      } catch (error) {
        return error
      }
    })()
    expect(failure).toBeInstanceOf(Error)
    const events = dataEvents(received)
    expect(events.map((e) => (e as Chunk).choices[0]!.delta.content)).toEqual(['', 'a ', 'b '])
  })

  it('stalls a stream until the client leaves, and close() ends it', async () => {
    const backend = await start({ reply: () => 'a b c' })
    backend.fault({ endpoint: 'completions', type: 'stall', afterEvents: 1 })
    const answer = await post(backend, { model: 'gpt-4o', messages: [user('x')], stream: true })
    const reader = answer.body!.getReader()
    let received = ''
    while (dataEvents(received).length < 2) received += new TextDecoder().decode((await reader.read()).value)
    // Nothing more comes; the stalled stream does not keep the backend from answering others.
    expect(dataEvents(received)).toHaveLength(2)
    expect((await ask(backend)).status).toBe(200)
    const pending = reader.read()
    await backend.close()
    await expect(pending).rejects.toThrow()
  })

  it('breaks a non-streamed answer the closest way', async () => {
    const backend = await start()
    backend.fault({ endpoint: 'completions', type: 'reset' })
    await expect(ask(backend)).rejects.toThrow()

    backend.fault({ endpoint: 'completions', type: 'cut' })
    const cut = await ask(backend)
    expect(cut.status).toBe(200)
    const text = await cut.text()
    expect(text.startsWith('{"id":"chatcmpl-')).toBe(true)
    expect(() => JSON.parse(text)).toThrow()

    backend.fault({ endpoint: 'completions', type: 'stream-error' })
    const errored = await ask(backend)
    expect(errored.status).toBe(200)
    expect(((await errored.json()) as ApiError).error).toMatchObject({ type: 'server_error' })

    backend.fault({ endpoint: 'completions', type: 'json' })
    expect(((await (await ask(backend)).json()) as ApiError).error).toMatchObject({ type: 'server_error' })

    backend.fault({ endpoint: 'completions', type: 'stall' })
    const stalled = ask(backend)
    await until(() => backend.requests.length === 5, 'the stalled request')
    await backend.close()
    await expect(stalled).rejects.toThrow()
  })

  it('refuses a fault aimed at one account on the completions endpoint, and reset() drops queued ones', async () => {
    const backend = await start()
    expect(() => backend.fault({ endpoint: 'completions', userId: 'user-1', type: 'status', status: 429 })).toThrow(TypeError)
    expect(() => backend.fault({ endpoint: 'embeddings' as never, type: 'status', status: 429 })).toThrow(/unknown fault endpoint/)
    backend.fault({ endpoint: 'completions', type: 'status', status: 429 })
    backend.reset()
    expect((await ask(backend)).status).toBe(200)
  })
})

describe('the official openai SDK against the test backend', () => {
  const client = (backend: TestBackend, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
    new OpenAI({ apiKey: backend.apiKey, baseURL: backend.v1BaseUrl, maxRetries: 0, ...options })

  it('creates a completion', async () => {
    const backend = await start()
    const completion = await client(backend).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    expect(completion.choices[0]!.message.content).toBe(defaultReply('hi'))
    expect(completion.usage!.prompt_tokens).toBe(promptTokens('hi'))
    expect(completion._request_id).toMatch(/^req_/)
  })

  it('streams with include_usage', async () => {
    const backend = await start({ eventDelayMs: 1 })
    const stream = await client(backend).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream it' }],
      stream: true,
      stream_options: { include_usage: true }
    })
    let text = ''
    let usage: OpenAI.CompletionUsage | null | undefined
    let finish: string | null = null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      usage = chunk.usage ?? usage
    }
    expect(text).toBe(defaultReply('stream it'))
    expect(finish).toBe('stop')
    expect(usage).toMatchObject({ completion_tokens: approximateTokenCount(text) })
  })

  it("passes the strict .stream() helper's finalChatCompletion(), also when cut by max_completion_tokens", async () => {
    const backend = await start({ reply: () => 'one two three four' })
    const runner = client(backend).chat.completions.stream({ model: 'gpt-5', messages: [{ role: 'user', content: 'go' }] })
    let streamed = ''
    runner.on('content', (delta) => (streamed += delta))
    const final = await runner.finalChatCompletion()
    expect(final.choices[0]!.message.content).toBe('one two three four')
    expect(final.choices[0]!.finish_reason).toBe('stop')
    expect(streamed).toBe('one two three four')

    const cut = await client(backend)
      .chat.completions.stream({ model: 'gpt-5', messages: [{ role: 'user', content: 'go' }], max_completion_tokens: 2 })
      .finalChatCompletion()
    expect(cut.choices[0]).toMatchObject({ message: { content: 'one two ' }, finish_reason: 'length' })
  })

  it('lists and retrieves models', async () => {
    const backend = await start({ apiModels: ['gpt-4o', 'o4-mini'] })
    const ids: string[] = []
    for await (const model of client(backend).models.list()) ids.push(model.id)
    expect(ids).toEqual(['gpt-4o', 'o4-mini'])
    expect(await client(backend).models.retrieve('o4-mini')).toMatchObject({ id: 'o4-mini', object: 'model' })
  })

  it('throws the error classes: AuthenticationError, NotFoundError, BadRequestError with context_length_exceeded', async () => {
    const backend = await start({ apiContextTokens: 50 })
    const ask = (api: OpenAI, model = 'gpt-4o', content = 'hi') => api.chat.completions.create({ model, messages: [{ role: 'user', content }] })

    const auth = await ask(client(backend, { apiKey: 'sk-wrong' })).catch((e: unknown) => e)
    expect(auth).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(auth).toMatchObject({ status: 401, code: 'invalid_api_key' })

    const missing = await ask(client(backend), 'gpt-9').catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError)
    expect(missing).toMatchObject({ status: 404, code: 'model_not_found' })

    const long = await ask(client(backend), 'gpt-4o', 'x'.repeat(400)).catch((e: unknown) => e)
    expect(long).toBeInstanceOf(OpenAI.BadRequestError)
    expect(long).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages', type: 'invalid_request_error' })
    expect((long as Error).message).toMatch(/maximum context length is 50 tokens\. However, your messages resulted in 107 tokens/)
  })

  it('throws RateLimitError with the retry-after headers, and retries after retry-after-ms when allowed', async () => {
    const backend = await start()
    backend.fault({ endpoint: 'completions', type: 'status', status: 429, headers: { 'retry-after': '3600' } })
    const limited = await client(backend)
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError)
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' })
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3600')

    // With retries, the SDK waits what retry-after-ms says and asks again: two requests, one answer.
    backend.reset()
    backend.fault({ endpoint: 'completions', type: 'status', status: 429, headers: { 'retry-after-ms': '1' } })
    backend.fault({ endpoint: 'completions', type: 'status', status: 503, headers: { 'retry-after-ms': '1' } })
    const completion = await client(backend, { maxRetries: 2 }).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
    expect(completion.choices[0]!.message.content).toBe(defaultReply('hi'))
    expect(backend.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(3)
  })

  it('throws InternalServerError for a 500, and an APIError for a mid-stream error event', async () => {
    const backend = await start({ reply: () => 'a b c' })
    backend.fault({ endpoint: 'completions', type: 'status', status: 500 })
    const failed = await client(backend)
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError)

    backend.fault({ endpoint: 'completions', type: 'stream-error', afterEvents: 2, error: 'overloaded mid-way' })
    const stream = await client(backend).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true })
    let text = ''
    const error = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect((error as Error).message).toContain('overloaded mid-way')
    expect(text).toBe('a b ')
  })
})
