import { defineConfig } from 'tsup'

export default defineConfig({
  // The `chatgpt` command (package.json "bin"); its shebang comes from src/index.ts. The library
  // (`chatgpt-kit`) stays an external dependency: one copy of it, installed beside this package.
  entry: { index: 'src/index.ts' },
  outDir: 'build',
  format: ['esm'],
  target: 'node20',
  dts: false,
  sourcemap: false,
  splitting: false,
  clean: true
})
