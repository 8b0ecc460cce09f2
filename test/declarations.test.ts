import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// The built type declarations are the public surface: internal classes must not leak into them,
// or users would start depending on what we are free to change. (npm test builds first.)
const buildDir = new URL('../packages/chatgpt-kit/build/', import.meta.url).pathname

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? declarationFiles(join(dir, entry.name))
      : /\.d\.c?ts$/.test(entry.name) ? [join(dir, entry.name)] : []
  )
}

describe("the library's build/*.d.ts", () => {
  it('names no internal type', () => {
    const files = declarationFiles(buildDir)
    expect(files.length).toBeGreaterThan(0)
    // `chatgpt-kit/internal` is the sibling packages' entry, internal by name and by contract.
    for (const file of files.filter((path) => !path.endsWith('/internal.d.ts'))) {
      const text = readFileSync(file, 'utf8')
      for (const internal of ['CallSignal', 'AccountQueue', 'AccessTokenCache', 'ReplyState', 'AuthState', 'AuthSource', 'AccessTokenAuth', 'Transport', 'Secrets', 'clientInternals', 'ClientHooks', 'LeaseWaiters']) {
        expect(text, `${file} names ${internal}`).not.toMatch(new RegExp(`\\b${internal}\\b`))
      }
    }
  })
})
