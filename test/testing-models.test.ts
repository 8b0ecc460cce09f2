/**
 * The test backend offers a list of models and, like the real service, refuses any other slug;
 * the client turns the refusal into a `not_found` error that names the models there are.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { createTestBackend, type TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { rejectionOf, setup } from './helpers/backend.js'

async function token(b: TestBackend): Promise<string> {
  const answer = await fetch(`${b.apiBaseUrl}/auth/session`, {
    headers: { 'user-agent': b.userAgent, cookie: `cf_clearance=${b.clearanceToken}; __Secure-next-auth.session-token=${b.sessionToken}` }
  })
  return ((await answer.json()) as { accessToken: string }).accessToken
}

function call(b: TestBackend, accessToken: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${b.backendApiBaseUrl}${path}`, {
    method,
    headers: {
      'user-agent': b.userAgent,
      cookie: `cf_clearance=${b.clearanceToken}`,
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json'
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
}

function message(model: string | undefined, prompt = 'hi'): Record<string, unknown> {
  return {
    action: 'next',
    ...(model !== undefined && { model }),
    parent_message_id: randomUUID(),
    messages: [{ id: randomUUID(), role: 'user', content: { content_type: 'text', parts: [prompt] } }]
  }
}

describe('models of the test backend', () => {
  it('refuses a slug its models endpoint does not list, with 404 model_not_found naming the ones it does', async () => {
    const { backend } = await setup()
    const access = await token(backend)
    const listed = ((await (await call(backend, access, 'GET', '/models')).json()) as { models: { slug: string }[] }).models.map((m) => m.slug)
    expect(listed).toEqual(['text-davinci-002-render-sha', 'text-davinci-002-render', 'gpt-4', 'gpt-4o', 'auto'])

    const refused = await call(backend, access, 'POST', '/conversation', message('gpt-9-turbo'))
    expect(refused.status).toBe(404)
    const { detail } = (await refused.json()) as { detail: { message: string; code: string } }
    expect(detail.code).toBe('model_not_found')
    expect(detail.message).toContain('"gpt-9-turbo"')
    expect(detail.message).toContain(`Available models: ${listed.join(', ')}.`)
    // Refused before anything is stored.
    expect(backend.conversations.size).toBe(0)

    for (const slug of listed) {
      const answer = await call(backend, access, 'POST', '/conversation', message(slug))
      expect(answer.status, slug).toBe(200)
      await answer.text()
    }
    expect(backend.conversations.size).toBe(listed.length)
  })

  it('the client rejects with not_found and the server message, after one request', async () => {
    const { backend, api } = await setup()
    const error = await rejectionOf(api.sendMessage('hi', { model: 'gpt-9-turbo' }))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error).toMatchObject({ code: 'not_found', statusCode: 404 })
    expect(error.message).toMatch(/gpt-9-turbo.*Available models: text-davinci-002-render-sha,/)
    expect(backend.requests.filter((r) => r.path === '/backend-api/conversation')).toHaveLength(1)

    // A listed model still answers, and is the one recorded.
    const reply = await api.sendMessageDetailed('hi', { model: 'auto' })
    expect(reply.model).toBe('auto')
  })

  it('the client maps model_not_found to not_found whatever the status', async () => {
    const { backend, api } = await setup()
    backend.fault({ type: 'status', status: 400, body: { detail: { message: 'Unknown model x', code: 'model_not_found' } } })
    expect(await rejectionOf(api.sendMessage('hi'))).toMatchObject({ code: 'not_found', statusCode: 400 })
  })

  it('`models` sets what is offered; a request naming no model gets the first of them', async () => {
    const { backend, api } = await setup({ models: ['gpt-5', 'gpt-5-thinking'] })
    expect((await api.getModels()).map((m) => m.slug)).toEqual(['gpt-5', 'gpt-5-thinking'])
    expect(await rejectionOf(api.sendMessage('hi', { model: 'gpt-4' }))).toMatchObject({ code: 'not_found' })
    expect((await api.sendMessageDetailed('hi', { model: 'gpt-5-thinking' })).model).toBe('gpt-5-thinking')

    const access = await token(backend)
    const answer = await call(backend, access, 'POST', '/conversation', message(undefined, 'no model named'))
    expect(answer.status).toBe(200)
    await answer.text()
    const conversation = backend.conversations.list().at(-1)!
    const reply = conversation.mapping[conversation.currentNode]!.message!
    expect(reply.metadata.model_slug).toBe('gpt-5')
  })

  it('a request naming no model gets text-davinci-002-render by default', async () => {
    const { backend } = await setup()
    const access = await token(backend)
    await (await call(backend, access, 'POST', '/conversation', message(undefined))).text()
    const conversation = backend.conversations.list()[0]!
    expect(conversation.mapping[conversation.currentNode]!.message!.metadata.model_slug).toBe('text-davinci-002-render')
  })

  it('gen_title checks the message and the model', async () => {
    const { backend, api } = await setup()
    const reply = await api.sendMessageDetailed('plan a trip to Lyon')
    const access = await token(backend)
    const path = `/conversation/gen_title/${reply.conversationId}`

    const noMessage = await call(backend, access, 'POST', path, { message_id: randomUUID() })
    expect(noMessage.status).toBe(404)
    expect(((await noMessage.json()) as { detail: { code: string } }).detail.code).toBe('message_not_found')
    const badModel = await call(backend, access, 'POST', path, { message_id: reply.messageId, model: 'gpt-9' })
    expect(badModel.status).toBe(404)
    expect(((await badModel.json()) as { detail: { code: string } }).detail.code).toBe('model_not_found')
    expect(backend.conversations.get(reply.conversationId!)!.title).toBe('New chat')

    expect(await api.generateTitle(reply.conversationId!, reply.messageId!)).toBe('Plan a trip to Lyon')
    expect(await rejectionOf(api.generateTitle(reply.conversationId!, reply.messageId!, { model: 'gpt-9' }))).toMatchObject({ code: 'not_found' })
  })

  it('refuses an unusable `models` option at creation', async () => {
    for (const models of [[], [''], ['a\nb'], 'gpt-4', [42]]) {
      await expect(createTestBackend({ models: models as string[] })).rejects.toThrow(/models must be/)
    }
  })

  it('keeps its own copy of `models`', async () => {
    const models = ['gpt-5']
    const { api } = await setup({ models })
    models.push('gpt-6')
    expect(await rejectionOf(api.sendMessage('hi', { model: 'gpt-6' }))).toMatchObject({ code: 'not_found' })
  })
})
