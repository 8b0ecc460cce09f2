import { defineConfig } from 'tsup'

const shared = {
  outDir: 'build',
  target: 'node18',
  dts: true,
  // Users get readable JavaScript; source maps were 64% of the tarball and pointed at files we
  // don't ship.
  sourcemap: false,
  // Keep `node:crypto` as written: Deno and edge runtimes with Node compatibility resolve only the
  // `node:` form of a built-in (tsup 8 strips the prefix unless told not to).
  removeNodeProtocol: false
} as const

export default defineConfig([
  {
    ...shared,
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', internal: 'src/internal.ts' },
    format: ['esm'],
    // Shared modules go to shared chunks, so `chatgpt-kit/internal` (the CLI's) and the main entry
    // hand out the same `ChatGPTError` class and `instanceof` holds across them.
    splitting: true,
    clean: true
  },
  {
    ...shared,
    entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
    format: ['cjs'],
    splitting: false
  }
])
