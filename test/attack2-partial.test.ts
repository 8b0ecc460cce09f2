/**
 * `partialText` is the text that had arrived as the caller saw it: with `markdown: false`, the
 * plain text onProgress showed, whichever way the reply failed (not only on a timeout).
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/index.js'
import { setup } from './helpers/backend.js'
import { rejectionWithin } from './helpers/raw-server.js'

const reply = () => 'Some **bold** words and more words here to stream out slowly'

describe('partialText with markdown: false', () => {
  for (const fault of [
    { type: 'cut', afterEvents: 4 },
    { type: 'reset', afterEvents: 4 },
    { type: 'stream-error', afterEvents: 4 }
  ] as const) {
    it(`${fault.type} after some text: partialText is the plain text onProgress last showed`, async () => {
      const { backend, api } = await setup({ shape: '2023', reply }, { markdown: false, maxRetries: 0 })
      backend.fault(fault)
      let shown: string | undefined
      const error = await rejectionWithin(api.sendMessage('x', { onProgress: (text) => (shown = text) }))
      expect(error).toBeInstanceOf(ChatGPTError)
      expect(shown).toContain('bold')
      expect(error.partialText).toBe(shown)
    })
  }

  it('(guard) a timeout after some text: the same', async () => {
    const { backend, api } = await setup({ shape: '2023', reply }, { markdown: false })
    backend.fault({ type: 'stall', afterEvents: 4 })
    let shown: string | undefined
    const error = await rejectionWithin(api.sendMessage('x', { timeoutMs: 500, onProgress: (text) => (shown = text) }))
    expect(error.code).toBe('timeout')
    expect(error.partialText).toBe(shown)
  })
})
