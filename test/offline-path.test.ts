/**
 * The offline path the README describes: the `export` lines `chatgpt test-backend` prints, pasted
 * into a shell, point `npm run demo` (examples/demo.mjs) and the README's first Usage example at
 * that backend; without them the demo starts a backend of its own. Everything runs as users run
 * it — the built command, `node` on the demo and on the example's code, `chatgpt-kit` resolved
 * through node_modules (`npm test` builds first) — with no environment but what is set here.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createTestBackend, type TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { until } from './helpers/backend.js'
import { assertBuilt, sandbox, spawnCli, type Sandbox } from './helpers/cli.js'
import { markdownBlocks } from './helpers/doc-blocks.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The README's first example: the first TypeScript block under "## Usage". */
function firstUsageExample(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const usageLine = readme.split('\n').indexOf('## Usage') + 1
  expect(usageLine).toBeGreaterThan(0)
  const block = markdownBlocks('README.md', readme).find((b) => b.line > usageLine)
  return block!.code
}

type Run = { code: number | null; stdout: string; stderr: string }

/** Runs node with these arguments from the repository root, with exactly this environment. */
function node(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const runDemo = (env: NodeJS.ProcessEnv) => node(['examples/demo.mjs'], env)
// `--input-type=module -e` resolves `chatgpt-kit` from the working directory, as a file there would.
const runUsageExample = (env: NodeJS.ProcessEnv) => node(['--input-type=module', '-e', firstUsageExample()], env)

let box: Sandbox
beforeAll(async () => {
  assertBuilt()
  box = await sandbox()
})
afterAll(() => box?.cleanup())

describe('pasting what `chatgpt test-backend` prints', () => {
  it('points the demo and the README example at that backend', { timeout: 60_000 }, async () => {
    const server = spawnCli(['test-backend'], { env: box.env, cwd: box.cwd })
    try {
      // The settings go to stdout in one write, then a notice to stderr.
      await until(() => server.output().stderr !== '', 'the settings to be printed')
      const pasted: NodeJS.ProcessEnv = {}
      for (const line of server.output().stdout.split('\n')) {
        const match = /^export (\w+)=(.*)$/.exec(line)
        // What a POSIX shell makes of the single-quoted values.
        if (match) pasted[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1').replace(/'\\''/g, "'")
      }
      expect(pasted).toMatchObject({ CHATGPT_BASE_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) })
      const env = { ...box.env, ...pasted }

      const demo = await runDemo(env)
      expect(demo.stderr).toBe('')
      expect(demo.code).toBe(0)
      // Not its own backend: the one the variables name.
      expect(demo.stdout).toContain(` on ${pasted.CHATGPT_BASE_URL}.\n`)
      expect(demo.stdout).not.toContain('bundled test backend')
      expect(demo.stdout).toMatch(/\nconversation [0-9a-f-]{36}, last message [0-9a-f-]{36}\n$/)

      const example = await runUsageExample(env)
      expect(example.stderr).toBe('')
      expect(example.code).toBe(0)
      expect(example.stdout.trim()).not.toBe('')
    } finally {
      server.kill('SIGINT')
      await server.done
    }
  })
})

describe('with the variables of a backend set', () => {
  let backend: TestBackend
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    // A User-Agent of its own: the clearance works only if USER_AGENT is passed on.
    backend = await createTestBackend({ reply: (prompt) => `this backend answers: ${prompt}`, userAgent: 'Offline/1.0' })
    env = {
      ...box.env,
      CHATGPT_BASE_URL: backend.url,
      SESSION_TOKEN: backend.sessionToken,
      CLEARANCE_TOKEN: backend.clearanceToken,
      USER_AGENT: backend.userAgent
    }
  })
  afterAll(() => backend?.close())

  const messagesSent = () =>
    backend.requests.filter((r) => r.method === 'POST' && r.path === '/backend-api/conversation').length

  it('the demo holds its conversation there', { timeout: 30_000 }, async () => {
    const before = messagesSent()
    const demo = await runDemo(env)
    expect(demo).toMatchObject({ code: 0, stderr: '' })
    expect(demo.stdout).toContain('this backend answers: Write a haiku about TypeScript.')
    expect(demo.stdout).toContain('this backend answers: Now show it as code in a JavaScript string.')
    expect(messagesSent() - before).toBe(2)
  })

  it("the README's first example sends its message there", { timeout: 30_000 }, async () => {
    const example = await runUsageExample(env)
    expect(example).toEqual({ code: 0, stdout: 'this backend answers: Write a python version of bubble sort.\n', stderr: '' })
  })

  it('without USER_AGENT both fail at the clearance check, so it was passed on', { timeout: 30_000 }, async () => {
    const { USER_AGENT, ...withoutAgent } = env
    const demo = await runDemo(withoutAgent)
    expect(demo.code).toBe(1)
    expect(demo.stderr).toMatch(/^cloudflare_challenge: /)
    const example = await runUsageExample(withoutAgent)
    expect(example.code).toBe(1)
    expect(example.stderr).toContain('cloudflare_challenge')
  })
})

describe('the demo with no variables set', () => {
  it('starts the bundled test backend and talks to it', { timeout: 30_000 }, async () => {
    const demo = await runDemo(box.env)
    expect(demo).toMatchObject({ code: 0, stderr: '' })
    expect(demo.stdout).toMatch(/^Signed in as .* on the bundled test backend at http:\/\/127\.0\.0\.1:\d+\.\n/)
  })
})
