/**
 * Every TypeScript example a user reads type-checks under `strict`, as a user's project would
 * check it: the ```ts / ```typescript blocks of README.md and docs/**\/*.md (the generated API
 * reference included), and the `@example` blocks of the library's TSDoc, which become those pages
 * and the editor's hover text (those of `src/internal/`, which no user sees, excepted).
 *
 * Each block is compiled as its own ES module (`--strict --module nodenext`), with `chatgpt-kit`,
 * `chatgpt-kit/testing` and `chatgpt` (the drop-in name, `npm install chatgpt@npm:chatgpt-kit`)
 * resolving to the library's sources.
 *
 * The convention for fragments: examples are read in context, so every block sees the globals of
 * EXAMPLE_CONTEXT below — the library's exports, and `api`, `sessionToken`, `reply`,
 * `conversationId`, `accounts`, `pool` and `backend`, which earlier examples made (the README says so after its first example).
 * A block that imports or declares one of these names itself uses its own (module scope shadows
 * the globals), so a complete example is checked as it stands. Anything else a block uses it
 * must declare. A failure names the file and line of the offending code.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

import { markdownBlocks, tsdocBlocks, type Block } from './helpers/doc-blocks.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const library = join(root, 'packages/chatgpt-kit/src')

const EXAMPLE_CONTEXT = `
import * as kit from 'chatgpt-kit'
import * as testing from 'chatgpt-kit/testing'

declare global {
  /** A client, as the README's first example makes it. */
  const api: kit.ChatGPTAPI
  /** A session token, read from the environment and checked, as in the README's first example. */
  const sessionToken: string
  /** A reply with its ids, as \`sendMessageDetailed\` resolves to. */
  const reply: kit.ChatGPTReply
  /** The id of an existing conversation. */
  const conversationId: string

  const ChatGPTAPI: typeof kit.ChatGPTAPI
  type ChatGPTAPI = kit.ChatGPTAPI
  const ChatGPTConversation: typeof kit.ChatGPTConversation
  type ChatGPTConversation = kit.ChatGPTConversation
  const ChatGPTError: typeof kit.ChatGPTError
  type ChatGPTError = kit.ChatGPTError
  const ChatGPTMessageStream: typeof kit.ChatGPTMessageStream
  type ChatGPTMessageStream = kit.ChatGPTMessageStream
  const ConversationHistory: typeof kit.ConversationHistory
  type ConversationHistory = kit.ConversationHistory
  const IncrementalMarkdownToText: typeof kit.IncrementalMarkdownToText
  type IncrementalMarkdownToText = kit.IncrementalMarkdownToText
  const markdownToText: typeof kit.markdownToText
  const CHATGPT_ERROR_CODES: typeof kit.CHATGPT_ERROR_CODES
  const CHATGPT_API_DEFAULTS: typeof kit.CHATGPT_API_DEFAULTS
  const createTestBackend: typeof testing.createTestBackend
  const defaultReply: typeof testing.defaultReply
  const seededRandom: typeof testing.seededRandom
  const showcaseReply: typeof testing.showcaseReply

  /** Pool accounts, as the pool's examples start from. */
  const accounts: kit.ChatGPTPoolAccount[]
  /** An account pool. */
  const pool: kit.ChatGPTAccountPool
  /** A running test backend. */
  const backend: testing.TestBackend
  const ChatGPTAccountPool: typeof kit.ChatGPTAccountPool
  type ChatGPTAccountPool = kit.ChatGPTAccountPool
  const MemoryStore: typeof kit.MemoryStore
  type MemoryStore = kit.MemoryStore
  const InProcessCoordinator: typeof kit.InProcessCoordinator
  type InProcessCoordinator = kit.InProcessCoordinator
}
export {}
`

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

/** Every TypeScript example in the repository's documentation. */
function documentedBlocks(): Block[] {
  const read = (path: string) => readFileSync(path, 'utf8')
  const name = (path: string) => relative(root, path)
  return [
    ...markdownBlocks('README.md', read(join(root, 'README.md'))),
    ...filesUnder(join(root, 'docs'), /\.md$/).flatMap((path) => markdownBlocks(name(path), read(path))),
    ...filesUnder(library, /\.ts$/)
      .filter((path) => !name(path).startsWith('packages/chatgpt-kit/src/internal'))
      .flatMap((path) => tsdocBlocks(name(path), read(path)))
  ]
}

/**
 * Type-checks each block as its own module, in one program; returns one line per error,
 * `file:line: TSxxxx message`, pointing into the file the block came from.
 */
function typeCheck(blocks: Block[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'chatgpt-kit-examples-'))
  try {
    return typeCheckIn(dir, blocks)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function typeCheckIn(dir: string, blocks: Block[]): string[] {
  const context = join(dir, 'example-context.d.mts')
  writeFileSync(context, EXAMPLE_CONTEXT)
  const sources = new Map<string, Block>()
  blocks.forEach((block, i) => {
    const path = join(dir, `example-${i}.mts`)
    // `export {}` makes even an import-less block a module, so that its names are its own.
    writeFileSync(path, `${block.code}\nexport {}\n`)
    sources.set(path, block)
  })
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    skipLibCheck: true,
    paths: {
      'chatgpt-kit': [join(library, 'index.ts')],
      'chatgpt-kit/testing': [join(library, 'testing/index.ts')],
      'chatgpt-kit/internal': [join(library, 'internal.ts')],
      'chatgpt-kit-server': [join(root, 'packages/chatgpt-kit-server/src/index.ts')],
      // The gateway's examples show the official client (a dev dependency here).
      openai: [join(root, 'node_modules/openai/index.d.mts')],
      chatgpt: [join(library, 'index.ts')],
      'chatgpt/testing': [join(library, 'testing/index.ts')]
    }
  }
  const program = ts.createProgram([context, ...sources.keys()], options)
  // Only the examples' own diagnostics: checking all of the library's sources too would take most
  // of the time (`npm run typecheck` does that).
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...[context, ...sources.keys()].flatMap((path) => {
      const file = program.getSourceFile(path)!
      return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]
    })
  ]
  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    const where = diagnostic.file
    if (!where || diagnostic.start === undefined) return `TS${diagnostic.code} ${message}`
    const { line } = where.getLineAndCharacterOfPosition(diagnostic.start)
    const block = sources.get(where.fileName)
    const at = block ? `${block.file}:${block.line + line}` : `${where.fileName}:${line + 1}`
    return `${at}: TS${diagnostic.code} ${message}`
  })
}

/** A README with two type errors (lines 6 and 11) and a JavaScript block that is not checked. */
const BROKEN_README = [
  '# Title', //                                           line 1
  '',
  '```ts',
  "import { ChatGPTAPI } from 'chatgpt-kit'", //          line 4
  'const api = new ChatGPTAPI({', //                      line 5
  '  sessionToken: process.env.SESSION_TOKEN', //         line 6: string | undefined
  '})',
  '```',
  '',
  '```typescript',
  "const n: number = await api.sendMessage('hi')", //     line 11: the context's `api`
  '```',
  '',
  '```js',
  'const notChecked: number = "js blocks are not TypeScript"',
  '```'
].join('\n')

/** A doc comment whose example imports the drop-in name and has a type error on line 8. */
const BROKEN_SOURCE = [
  '/**', //                                                line 1
  ' * Does things.',
  ' *',
  ' * @example',
  ' * ```ts',
  " * import { markdownToText } from 'chatgpt'", //       line 6
  " * const text: string = markdownToText('**hi**')",
  ' * const wrong: boolean = text', //                    line 8
  ' * ```',
  ' */',
  'export const x = 1'
].join('\n')

const documented = documentedBlocks()
const broken = [
  ...markdownBlocks('broken/README.md', BROKEN_README),
  ...tsdocBlocks('broken/thing.ts', BROKEN_SOURCE)
]
// One program for all of them: building it is most of the cost.
let errors: string[] = []
beforeAll(() => {
  errors = typeCheck([...documented, ...broken])
}, 120_000)

describe('the TypeScript examples of the README, docs/ and TSDoc', () => {
  it('are found where they are written', () => {
    // README and every kind of source are present, so a broken extractor cannot pass vacuously.
    expect(documented.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(10)
    expect(documented.some((b) => b.file.startsWith('docs/'))).toBe(true)
    expect(documented.some((b) => b.file.startsWith('packages/'))).toBe(true)
    expect(documented.every((b) => b.code.trim() !== '')).toBe(true)
  })

  it('type-check under strict', () => {
    expect(errors.filter((error) => !error.startsWith('broken/'))).toEqual([])
  })
})

describe('the example checker', () => {
  it('reports each type error at its line in the markdown file', () => {
    const found = errors.filter((error) => error.startsWith('broken/README.md'))
    expect(found).toHaveLength(2)
    expect(found[0]).toMatch(/^broken\/README\.md:6: TS2322 /)
    expect(found[1]).toMatch(/^broken\/README\.md:11: TS2322 /)
  })

  it('finds the examples in doc comments, and the drop-in name resolves', () => {
    expect(tsdocBlocks('broken/thing.ts', BROKEN_SOURCE)).toEqual([
      { file: 'broken/thing.ts', line: 6, code: expect.stringContaining("from 'chatgpt'") }
    ])
    const found = errors.filter((error) => error.startsWith('broken/thing.ts'))
    expect(found).toHaveLength(1)
    expect(found[0]).toMatch(/^broken\/thing\.ts:8: TS2322 /)
  })
})
