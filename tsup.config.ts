import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    // The `chatgpt` command (package.json "bin"); its shebang comes from src/cli/index.ts.
    'cli/index': 'src/cli/index.ts'
  },
  outDir: 'build',
  format: ['esm', 'cjs'],
  target: 'node18',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: false
})
