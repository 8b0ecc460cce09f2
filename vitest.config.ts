import { fileURLToPath } from 'node:url'

import { defineConfig } from 'vitest/config'

const library = (path: string) => fileURLToPath(new URL(`./packages/chatgpt-kit/src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run the sources: the CLI's `chatgpt-kit` imports must be the same modules the tests
    // import, or `instanceof ChatGPTError` would compare two copies. (Specific paths first.)
    alias: [
      { find: /^chatgpt-kit\/testing$/, replacement: library('testing/index.ts') },
      { find: /^chatgpt-kit\/internal$/, replacement: library('internal.ts') },
      { find: /^chatgpt-kit$/, replacement: library('index.ts') }
    ]
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Every spec talks to its own test backend on 127.0.0.1:0, so files can run in parallel.
    pool: 'forks'
  }
})
