import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

import { describe, expect, it } from 'vitest'

// These check the built package as users get it; `npm test` builds first.
describe('the built package', () => {
  it('exists (run `npm run build` first)', () => {
    expect(existsSync(new URL('../packages/chatgpt-kit/build/index.cjs', import.meta.url))).toBe(true)
  })

  it('loads with require() from CommonJS, with every public export', () => {
    const output = execFileSync(process.execPath, [
      '-e',
      `const m = require('chatgpt-kit'); const t = require('chatgpt-kit/testing');
       console.log(JSON.stringify([typeof m.ChatGPTAPI, typeof m.ChatGPTConversation, typeof m.ChatGPTError, typeof m.markdownToText, typeof t.createTestBackend]))`
    ], { cwd: new URL('..', import.meta.url) }).toString()
    expect(JSON.parse(output)).toEqual(['function', 'function', 'function', 'function', 'function'])
  })

  it('loads with import from ESM', () => {
    const output = execFileSync(process.execPath, [
      '--input-type=module',
      '-e',
      `import { ChatGPTAPI, ChatGPTError } from 'chatgpt-kit'; import { createTestBackend } from 'chatgpt-kit/testing';
       const backend = await createTestBackend({ reply: () => 'pong' });
       const api = new ChatGPTAPI({ sessionToken: backend.sessionToken, clearanceToken: backend.clearanceToken, apiBaseUrl: backend.apiBaseUrl, backendApiBaseUrl: backend.backendApiBaseUrl });
       console.log(await api.sendMessage('ping'), new ChatGPTError('x', { code: 'timeout' }).name);
       await backend.close()`
    ], { cwd: new URL('..', import.meta.url) }).toString()
    expect(output.trim()).toBe('pong ChatGPTError')
  })

  it('ships type declarations for both module systems', () => {
    const require = createRequire(import.meta.url)
    const pkg = require('../packages/chatgpt-kit/package.json')
    for (const entry of Object.values(pkg.exports as Record<string, any>)) {
      if (typeof entry !== 'object') continue
      expect(existsSync(new URL(`../packages/chatgpt-kit/${entry.import.types}`, import.meta.url))).toBe(true)
      if (entry.require) expect(existsSync(new URL(`../packages/chatgpt-kit/${entry.require.types}`, import.meta.url))).toBe(true)
    }
  })
})
