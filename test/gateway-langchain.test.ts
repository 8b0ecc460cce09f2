/**
 * LangChain's `ChatOpenAI` (@langchain/openai 1.5.8, the last release that runs on Node 20)
 * against the gateway: invoke, and stream, with a transcript it keeps itself.
 */
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { describe, expect, it } from 'vitest'

import { GATEWAY_KEY, gatewaySetup } from './helpers/gateway.js'

describe('LangChain ChatOpenAI through the gateway', () => {
  it('invokes, then continues the same web conversation with the transcript it kept', async () => {
    const { baseURL, backend } = await gatewaySetup(2)
    const model = new ChatOpenAI({ model: 'gpt-4o', apiKey: GATEWAY_KEY, configuration: { baseURL }, maxRetries: 0 })
    const history = [new SystemMessage('Be brief.'), new HumanMessage('first')]
    const first = await model.invoke(history)
    expect(first.content).toBe('echo [system]\nBe brief.\n\n[user]\nfirst')
    expect(first.usage_metadata?.output_tokens).toBeGreaterThan(0)
    const second = await model.invoke([...history, new AIMessage(first.content as string), new HumanMessage('second')])
    expect(second.content).toBe('echo second')
    const posts = backend.requests.filter((r) => r.path === '/backend-api/conversation').map((r) => r.body as { conversation_id?: string })
    expect(posts[1]!.conversation_id).toBeDefined()
  })

  it('streams the reply in chunks, with usage at the end', async () => {
    const { baseURL } = await gatewaySetup(1, { backend: { eventDelayMs: 5, tokensPerEvent: 1 } })
    const model = new ChatOpenAI({ model: 'gpt-4o', apiKey: GATEWAY_KEY, configuration: { baseURL }, maxRetries: 0, streamUsage: true })
    let text = ''
    let chunks = 0
    let usage: unknown
    for await (const chunk of await model.stream('stream me a few words')) {
      text += chunk.content as string
      chunks++
      usage = chunk.usage_metadata ?? usage
    }
    expect(text).toBe('echo stream me a few words')
    expect(chunks).toBeGreaterThan(3)
    expect(usage).toMatchObject({ output_tokens: expect.any(Number), input_tokens: expect.any(Number) })
  })
})
