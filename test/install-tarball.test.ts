import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createTestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { assertBuilt } from './helpers/cli.js'
import { npm, npmEnv, pack } from './helpers/npm.js'

// The issue's "done when": both packages packed into tarballs and installed into new projects
// outside this repository, as a user would get them. Dependencies (eventsource-parser, commander)
// come from the npm cache that installing this workspace filled (--prefer-offline): no network
// when the cache has them. `npm test` builds first; packing skips `prepare` (see helpers/npm.ts).

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))
const libraryVersion: string = readJson(join(root, 'packages/chatgpt-kit/package.json')).version
const cliVersion: string = readJson(join(root, 'packages/chatgpt-kit-cli/package.json')).version

// Generous: npm and tsc are slow on a busy machine, and nothing here is timed.
const INSTALL_TIMEOUT_MS = 240_000
const TSC_TIMEOUT_MS = 180_000
const RUN_TIMEOUT_MS = 60_000

let work: string
/** chatgpt-kit and chatgpt-kit-cli from their tarballs. */
let app: string
/** The library's tarball as `chatgpt`, nothing else. */
let dropIn: string

/** A new project in `work/name` with these dependencies, installed. */
function project(name: string, dependencies: Record<string, string>): string {
  const dir = join(work, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, dependencies }, null, 2))
  npm(['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], dir)
  return dir
}

/** Runs `code` (written to `file` in `dir`) with node; returns its one JSON line of output. */
function run(dir: string, file: string, code: string): any {
  writeFileSync(join(dir, file), code)
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' }))
}

/** A script that sends two messages of one conversation to the package's own test backend. */
function conversationScript(name: string, kind: 'esm' | 'cjs'): string {
  const body = `
  const backend = await createTestBackend({ reply: (prompt) => 'echo: ' + prompt })
  try {
    const api = new ChatGPTAPI({ sessionToken: backend.sessionToken, clearanceToken: backend.clearanceToken, apiBaseUrl: backend.apiBaseUrl, backendApiBaseUrl: backend.backendApiBaseUrl })
    const conversation = api.getConversation()
    const replies = [await conversation.sendMessage('ping'), await conversation.sendMessage('again')]
    let error
    try { new ChatGPTAPI({ sessionToken: '' }) } catch (caught) { error = caught }
    console.log(JSON.stringify({ replies, error: error instanceof ChatGPTError ? error.code : String(error), from: RESOLVED }))
  } finally {
    await backend.close()
  }`
  return kind === 'esm'
    ? `import { ChatGPTAPI, ChatGPTError } from '${name}'
import { createTestBackend } from '${name}/testing'
${body.replace('RESOLVED', `import.meta.resolve('${name}')`)}\n`
    : `const { ChatGPTAPI, ChatGPTError } = require('${name}')
const { createTestBackend } = require('${name}/testing')
;(async () => {${body.replace('RESOLVED', `require.resolve('${name}')`)}
})().catch((error) => { console.error(error); process.exitCode = 1 })\n`
}

/** TypeScript a user would write against the package under `name`, for tsc --strict. */
function typedExample(name: string): string {
  return `import { ChatGPTAPI, ChatGPTError, type ChatGPTAPIOptions } from '${name}'
import { createTestBackend } from '${name}/testing'

const options: ChatGPTAPIOptions = { sessionToken: process.env.SESSION_TOKEN ?? '', clearanceToken: process.env.CLEARANCE_TOKEN }
const api = new ChatGPTAPI(options)
try {
  const reply: string = await api.sendMessage('Hello', {
    timeoutMs: 60_000,
    onProgress: (partial, appended) => process.stdout.write(appended ?? partial)
  })
  const conversation = api.getConversation()
  await conversation.sendMessage(reply)
  for await (const update of api.streamMessage('Tell me a story')) void update
} catch (error) {
  if (error instanceof ChatGPTError && error.code === 'timeout') console.error(error.message)
}
const backend = await createTestBackend({ reply: (prompt) => prompt })
await backend.close()

// If the declarations did not resolve (everything \`any\`), these expectations would go unused.
// @ts-expect-error sendMessage takes the message as a string
await api.sendMessage(42)
// @ts-expect-error the error codes are a closed set
const code: ChatGPTError['code'] = 'not-a-code'
void code
`
}

function commonJsExample(name: string): string {
  return `import { ChatGPTAPI, ChatGPTError, markdownToText } from '${name}'

async function main(): Promise<void> {
  const api = new ChatGPTAPI({ sessionToken: process.env.SESSION_TOKEN ?? '', markdown: false })
  await api.ensureAuth()
  console.log(markdownToText(await api.sendMessage('Hi')))
}
main().catch((error: unknown) => console.error(error instanceof ChatGPTError ? error.code : error))
`
}

/** The first ```ts block of a README. */
function readmeExample(readme: string): string {
  const match = /^```ts\n([\s\S]*?)^```$/m.exec(readme)
  if (!match) throw new Error('the README has no ```ts example')
  return match[1]!
}

beforeAll(() => {
  assertBuilt()
  work = mkdtempSync(join(tmpdir(), 'chatgpt-kit-install-'))
  const libraryTarball = join(work, pack(join(root, 'packages/chatgpt-kit'), ['--pack-destination', work]).filename)
  const cliTarball = join(work, pack(join(root, 'packages/chatgpt-kit-cli'), ['--pack-destination', work]).filename)
  app = project('app', { 'chatgpt-kit': `file:${libraryTarball}`, 'chatgpt-kit-cli': `file:${cliTarball}` })
  // npm aliases (`chatgpt@npm:chatgpt-kit`) name a registry package; a tarball under another name
  // installs the same way: node_modules/chatgpt holds chatgpt-kit.
  dropIn = project('drop-in', { chatgpt: `file:${libraryTarball}` })
}, INSTALL_TIMEOUT_MS)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the packed library and CLI, installed into a new project', { timeout: RUN_TIMEOUT_MS }, () => {
  it('imports from ESM, with chatgpt-kit/testing, and holds a conversation', () => {
    const result = run(app, 'check.mjs', conversationScript('chatgpt-kit', 'esm'))
    expect(result).toEqual({
      replies: ['echo: ping', 'echo: again'],
      error: 'invalid_argument',
      from: expect.stringMatching(/^file:\/\/.*\/app\/node_modules\/chatgpt-kit\/build\/index\.js$/)
    })
  })

  it('requires from CommonJS, with chatgpt-kit/testing, and holds a conversation', () => {
    const result = run(app, 'check.cjs', conversationScript('chatgpt-kit', 'cjs'))
    expect(result).toEqual({
      replies: ['echo: ping', 'echo: again'],
      error: 'invalid_argument',
      from: join(app, 'node_modules/chatgpt-kit/build/index.cjs')
    })
  })

  it('holds one copy of the library, the one the CLI runs on', () => {
    expect(readJson(join(app, 'node_modules/chatgpt-kit/package.json')).version).toBe(libraryVersion)
    expect(existsSync(join(app, 'node_modules/chatgpt-kit-cli/node_modules'))).toBe(false)
  })

  it('has the chatgpt command: npx chatgpt --version prints the version', () => {
    const output = execFileSync('npx', ['--no', '--', 'chatgpt', '--version'], { cwd: app, env: npmEnv(), encoding: 'utf8' })
    expect(output.trim()).toBe(cliVersion)
  })

  it('the chatgpt command sends a message to a test backend', async () => {
    const backend = await createTestBackend({ reply: () => 'pong' })
    const home = join(work, 'home')
    try {
      // Asynchronous: the backend answers from this process while the command runs.
      const { stdout } = await promisify(execFile)(join(app, 'node_modules/.bin/chatgpt'), ['--no-stream', 'ping'], {
        cwd: app,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: home,
          XDG_CONFIG_HOME: join(home, 'config'),
          XDG_STATE_HOME: join(home, 'state'),
          CHATGPT_BASE_URL: backend.url,
          SESSION_TOKEN: backend.sessionToken,
          CLEARANCE_TOKEN: backend.clearanceToken
        }
      })
      expect(stdout).toBe('pong\n')
    } finally {
      await backend.close()
    }
  })
})

describe('the packed library as the drop-in chatgpt', { timeout: RUN_TIMEOUT_MS }, () => {
  it('is chatgpt-kit under the name chatgpt, with nothing named chatgpt-kit beside it', () => {
    expect(readJson(join(dropIn, 'node_modules/chatgpt/package.json')).name).toBe('chatgpt-kit')
    expect(existsSync(join(dropIn, 'node_modules/chatgpt-kit'))).toBe(false)
  })

  it("keeps import { ChatGPTAPI } from 'chatgpt' working, and chatgpt/testing", () => {
    const result = run(dropIn, 'check.mjs', conversationScript('chatgpt', 'esm'))
    expect(result).toEqual({
      replies: ['echo: ping', 'echo: again'],
      error: 'invalid_argument',
      from: expect.stringMatching(/^file:\/\/.*\/drop-in\/node_modules\/chatgpt\/build\/index\.js$/)
    })
  })

  it("keeps require('chatgpt') working, and chatgpt/testing", () => {
    const result = run(dropIn, 'check.cjs', conversationScript('chatgpt', 'cjs'))
    expect(result).toEqual({
      replies: ['echo: ping', 'echo: again'],
      error: 'invalid_argument',
      from: join(dropIn, 'node_modules/chatgpt/build/index.cjs')
    })
  })
})

describe('TypeScript against the installed packages', () => {
  it('compiles with tsc --strict: ESM and CommonJS, under either name, and the README example', () => {
    const files = {
      [join(app, 'example.mts')]: typedExample('chatgpt-kit'),
      [join(app, 'example.cts')]: commonJsExample('chatgpt-kit'),
      [join(app, 'readme.mts')]: readmeExample(readFileSync(join(app, 'node_modules/chatgpt-kit/README.md'), 'utf8')),
      [join(dropIn, 'example.mts')]: typedExample('chatgpt'),
      [join(dropIn, 'example.cts')]: commonJsExample('chatgpt')
    }
    for (const [file, code] of Object.entries(files)) writeFileSync(file, code)
    // A Node project's usual settings: node16-style resolution, Node's types, no DOM library, and
    // the shipped declarations checked too (no skipLibCheck).
    const args = [
      tsc, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2023', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--typeRoots', join(root, 'node_modules/@types'), '--types', 'node', ...Object.keys(files)
    ]
    const result = (() => {
      try {
        return { status: 0, output: execFileSync(process.execPath, args, { cwd: work, encoding: 'utf8' }) }
      } catch (error) {
        const failed = error as { status: number; stdout: string }
        return { status: failed.status, output: failed.stdout }
      }
    })()
    expect(result).toEqual({ status: 0, output: '' })
  }, TSC_TIMEOUT_MS)
})
