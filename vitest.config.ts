import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Every spec talks to its own test backend on 127.0.0.1:0, so files can run in parallel.
    pool: 'forks'
  }
})
