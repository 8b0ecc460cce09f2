/**
 * The round trip: `ChatGPTCompletionsAPI` talks to our own gateway (`createGateway`), which talks
 * to the web test backend. A three-turn conversation proves both sides of the Chat Completions
 * wire: the client's context rebuilt from its store, the gateway's follow-ups on one web
 * conversation.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTCompletionsAPI, ChatGPTError, MemoryStore } from '../packages/chatgpt-kit/src/index.js'
import { GATEWAY_KEY, gatewaySetup } from './helpers/gateway.js'

type ConversationBody = { conversation_id?: string; messages: { content: { parts: string[] } }[] }

describe('ChatGPTCompletionsAPI through our gateway', () => {
  it('holds a three-turn conversation: the gateway continues one web conversation, sending only each new message', async () => {
    const { baseURL, backend } = await gatewaySetup(2)
    const store = new MemoryStore()
    const api = new ChatGPTCompletionsAPI({ apiKey: GATEWAY_KEY, apiBaseUrl: baseURL, systemMessage: 'Be brief.', store, completionParams: { model: 'gpt-4o' } })
    const progress: string[] = []
    const first = await api.sendMessageDetailed('first', { onProgress: (text) => progress.push(text) })
    expect(first.text).toBe('echo [system]\nBe brief.\n\n[user]\nfirst')
    expect(progress.at(-1)).toBe(first.text)
    expect(first.usage).toMatchObject({ promptTokens: expect.any(Number), completionTokens: expect.any(Number) })
    expect(first.finishReason).toBe('stop')

    const second = await api.sendMessageDetailed('second', { parentMessageId: first.messageId })
    expect(second.text).toBe('echo second')
    expect(second.conversationId).toBe(first.conversationId)
    let streamed = ''
    for await (const update of api.streamMessage('third', { parentMessageId: second.messageId })) streamed += update.delta
    expect(streamed).toBe('echo third')

    const posts = backend.requests.filter((r) => r.path === '/backend-api/conversation').map((r) => r.body as ConversationBody)
    expect(posts).toHaveLength(3)
    expect(posts[0]!.conversation_id).toBeUndefined()
    expect(posts[1]!.conversation_id).toBeDefined()
    expect(posts[2]!.conversation_id).toBe(posts[1]!.conversation_id)
    expect(posts.slice(1).map((body) => body.messages[0]!.content.parts[0])).toEqual(['second', 'third'])
    expect(store.size.messages).toBe(6)
  })

  it('works through ChatGPTConversation, as with the web client', async () => {
    const { baseURL } = await gatewaySetup(1)
    const api = new ChatGPTCompletionsAPI({ apiKey: GATEWAY_KEY, apiBaseUrl: baseURL, systemMessage: '', completionParams: { model: 'gpt-4o' } })
    const chat = api.getConversation()
    expect(await chat.sendMessage('one')).toBe('echo one')
    expect(await chat.sendMessage('two')).toBe('echo two')
    const history = await chat.history()
    expect(history.messages.map((m) => [m.role, m.text])).toEqual([
      ['user', 'one'],
      ['assistant', 'echo one'],
      ['user', 'two'],
      ['assistant', 'echo two']
    ])
  })

  it("maps the gateway's errors to the same codes: a wrong key, an unknown model", async () => {
    const { baseURL } = await gatewaySetup(1)
    const wrongKey = new ChatGPTCompletionsAPI({ apiKey: 'sk-not-the-key', apiBaseUrl: baseURL, maxRetries: 0 })
    const denied = await wrongKey.sendMessage('hi').catch((e) => e)
    expect(denied).toBeInstanceOf(ChatGPTError)
    expect(denied.code).toBe('unauthorized')
    expect(JSON.stringify(denied)).not.toContain('sk-not-the-key')
    const api = new ChatGPTCompletionsAPI({ apiKey: GATEWAY_KEY, apiBaseUrl: baseURL, completionParams: { model: 'gpt-99' } })
    const unknown = await api.sendMessage('hi').catch((e) => e)
    expect(unknown.code).toBe('not_found')
    expect(unknown.statusCode).toBe(404)
  })
})
