/**
 * A call made of several requests (regenerateReply: a history lookup, then a reply) settles as a
 * single message does: its timeout error carries the text that had arrived.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { setup } from './helpers/backend.js'
import { rejectionWithin } from './helpers/raw-server.js'

describe('regenerateReply bounded by timeoutMs', () => {
  it('a reply that goes silent after some text: timeout with partialText, the text onProgress last saw', async () => {
    const { backend, api } = await setup({ shape: '2023' })
    const first = await api.sendMessageDetailed('hello there my friend')
    backend.fault({ type: 'stall', afterEvents: 3 })
    const seen: string[] = []
    const error = await rejectionWithin(
      api.regenerateReply({
        conversationId: first.conversationId,
        messageId: first.messageId,
        timeoutMs: 800,
        onProgress: (text) => seen.push(text)
      }),
      10_000
    )
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('timeout')
    expect(seen.length).toBeGreaterThan(0)
    expect(error.partialText).toBe(seen.at(-1))
  })

  it("(guard) the caller's abort reason, from inside onProgress, is what it rejects with", async () => {
    const { backend, api } = await setup({ shape: '2023' })
    const first = await api.sendMessageDetailed('hello there my friend')
    backend.fault({ type: 'stall', afterEvents: 3 })
    const controller = new AbortController()
    const reason = new Error('stop')
    const error = await rejectionWithin(
      api.regenerateReply({
        conversationId: first.conversationId,
        messageId: first.messageId,
        abortSignal: controller.signal,
        onProgress: () => controller.abort(reason)
      })
    )
    expect(error).toBe(reason)
  })
})
