import { defineConfig } from 'tsup'

export default defineConfig({
  // Server-side only (Node ≥20): ESM, with declarations. `chatgpt-kit` and the database clients
  // stay external dependencies.
  entry: { index: 'src/index.ts' },
  outDir: 'build',
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: false,
  splitting: false,
  clean: true
})
