import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

import { describe, expect, it } from 'vitest'

// These check the built library from the workspace, the quick way; `npm test` builds first.
// pack.test.ts checks what npm would publish (every file package.json points at included), and
// install-tarball.test.ts installs the tarballs into new projects as users get them.
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
})
