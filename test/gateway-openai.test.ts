/**
 * The gateway as users use it: the official `openai` client (6.x) against `serveGateway` over a
 * pool on the test backend. Completions, streams (with its strict `.stream()` helper), usage,
 * models, the error classes, and follow-ups that continue the same web conversation.
 */
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'

import { GATEWAY_KEY, gatewaySetup } from './helpers/gateway.js'

type ConversationBody = { conversation_id?: string; parent_message_id: string; messages: { content: { parts: string[] } }[] }

/** The conversation requests the backend received, in order. */
function conversationRequests(backend: { requests: { path: string; method: string; body: unknown }[] }): ConversationBody[] {
  return backend.requests.filter((r) => r.method === 'POST' && r.path === '/backend-api/conversation').map((r) => r.body as ConversationBody)
}

describe('the openai client against the gateway', () => {
  it('creates a completion: the reply, finish_reason stop, and usage counted by a tokenizer', async () => {
    const { openai } = await gatewaySetup(1)
    const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello there' }] })
    expect(completion.object).toBe('chat.completion')
    expect(completion.id).toMatch(/^chatcmpl-/)
    expect(completion.choices).toHaveLength(1)
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'echo Hello there' })
    expect(completion.choices[0]!.finish_reason).toBe('stop')
    // "echo Hello there" is 3 tokens in o200k_base; the prompt is the message plus the chat overhead.
    expect(completion.usage).toMatchObject({ completion_tokens: 3 })
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(2)
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens)
  })

  it('streams: role first, finish_reason last, the text in between; include_usage adds one chunk with choices []', async () => {
    const { openai } = await gatewaySetup(1, { backend: { tokensPerEvent: 1, eventDelayMs: 5 } })
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream this reply word by word' }],
      stream: true,
      stream_options: { include_usage: true }
    })
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    const choiceChunks = chunks.filter((chunk) => chunk.choices.length > 0)
    expect(choiceChunks[0]!.choices[0]!.delta.role).toBe('assistant')
    expect(choiceChunks.slice(1).every((chunk) => chunk.choices[0]!.delta.role === undefined)).toBe(true)
    expect(choiceChunks.at(-1)!.choices[0]!.finish_reason).toBe('stop')
    expect(choiceChunks.slice(0, -1).every((chunk) => chunk.choices[0]!.finish_reason === null)).toBe(true)
    expect(choiceChunks.map((chunk) => chunk.choices[0]!.delta.content ?? '').join('')).toBe('echo stream this reply word by word')
    // More than one content chunk: it really streamed.
    expect(choiceChunks.filter((chunk) => chunk.choices[0]!.delta.content).length).toBeGreaterThan(2)
    const last = chunks.at(-1)!
    expect(last.choices).toEqual([])
    expect(last.usage).toMatchObject({ completion_tokens: expect.any(Number), prompt_tokens: expect.any(Number) })
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1)
  })

  it("passes the SDK's strict .stream() helper, with finalChatCompletion()", async () => {
    const { openai } = await gatewaySetup(1)
    const runner = openai.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'helper' }] })
    let streamed = ''
    runner.on('content', (delta) => (streamed += delta))
    const final = await runner.finalChatCompletion()
    expect(final.choices[0]!.message.content).toBe('echo helper')
    expect(final.choices[0]!.finish_reason).toBe('stop')
    expect(streamed).toBe('echo helper')
  })

  it('lists the models of the accounts', async () => {
    const { openai } = await gatewaySetup(2, { backend: { models: ['gpt-5', 'gpt-5-thinking'] } })
    const models = []
    for await (const model of openai.models.list()) models.push(model)
    expect(models.map((model) => model.id).sort()).toEqual(['gpt-5', 'gpt-5-thinking'])
    for (const model of models) expect(model).toMatchObject({ object: 'model', owned_by: 'chatgpt', created: expect.any(Number) })
  })

  it('raises AuthenticationError for a wrong key, NotFoundError for an unknown model, RateLimitError with retry-after', async () => {
    const { openai, baseURL, backend, accounts } = await gatewaySetup(2)
    const stranger = new OpenAI({ apiKey: 'sk-not-this-gateway-key', baseURL, maxRetries: 0 })
    await expect(stranger.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError
    )
    const unknown = await openai.chat.completions.create({ model: 'gpt-99', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect(unknown.code).toBe('model_not_found')
    expect(unknown.param).toBe('model')

    for (const account of Object.values(accounts)) {
      backend.fault({ type: 'status', status: 429, userId: account.user.id, headers: { 'retry-after': '30' } })
    }
    const limited = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e)
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(29)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(30)
    // Nothing of the key in any answer.
    expect(JSON.stringify([unknown.error, limited.error])).not.toContain(GATEWAY_KEY)
  })
})

describe('follow-ups', () => {
  it('continues the web conversation on its account, sending only the new message, for three turns', async () => {
    const { openai, backend, ownerOf } = await gatewaySetup(3)
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' }
    ]
    for (const next of ['second', 'third']) {
      const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages })
      messages.push({ role: 'assistant', content: completion.choices[0]!.message.content! }, { role: 'user', content: next })
    }
    const last = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true })
    let text = ''
    for await (const chunk of last) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('echo third')

    const sent = conversationRequests(backend)
    expect(sent).toHaveLength(3)
    // The first turn carries the system message and the user's, written out; then only the new message.
    expect(sent[0]!.messages[0]!.content.parts[0]).toBe('[system]\nBe brief.\n\n[user]\nfirst')
    expect(sent[0]!.conversation_id).toBeUndefined()
    expect(sent.slice(1).map((body) => body.messages[0]!.content.parts[0])).toEqual(['second', 'third'])
    const conversationId = sent[1]!.conversation_id!
    expect(sent[2]!.conversation_id).toBe(conversationId)
    // All three turns ran on the one account that owns the conversation.
    expect(backend.conversations.get(conversationId)).toBeDefined()
    expect(ownerOf(conversationId)).toBeDefined()
    expect(new Set(Object.values(backend.replyStats()).filter((s) => s.maxInFlight > 0)).size).toBe(1)
  })

  it('starts a new conversation with the whole transcript when the history is not one it answered', async () => {
    const { openai, backend } = await gatewaySetup(1)
    await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'an answer some other service gave' },
        { role: 'user', content: 'second' }
      ]
    })
    const [body] = conversationRequests(backend)
    expect(body!.conversation_id).toBeUndefined()
    expect(body!.messages[0]!.content.parts[0]).toBe('[user]\nfirst\n\n[assistant]\nan answer some other service gave\n\n[user]\nsecond')
  })

  it("never continues another key's conversation", async () => {
    const { openai, baseURL, backend } = await gatewaySetup(1, { gateway: { apiKeys: [GATEWAY_KEY, 'sk-second-team-key'] } })
    const first = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'first' }] })
    const other = new OpenAI({ apiKey: 'sk-second-team-key', baseURL, maxRetries: 0 })
    await other.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: first.choices[0]!.message.content! },
        { role: 'user', content: 'second' }
      ]
    })
    const sent = conversationRequests(backend)
    expect(sent[1]!.conversation_id).toBeUndefined()
  })
})
