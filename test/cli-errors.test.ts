/**
 * Clear failures of the `chatgpt` command: an unreachable backend is not blamed on the token, a
 * 404 points at --base-url, an unusable state directory does not lose a reply that was sent, and
 * a state file of the wrong shape is set aside instead of breaking every command.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'

import { describe, expect, it, vi } from 'vitest'

import { StateStore } from '../packages/chatgpt-kit-cli/src/state-store.js'
import { defaultReply } from '../packages/chatgpt-kit/src/testing/index.js'
import { backendEnv, cliTestBackend, runCli } from './helpers/cli.js'
import { startRawServer } from './helpers/raw-server.js'

// Tests spawn the command several times in a row (each start takes a second or more on a busy
// machine): the bound is there to catch a hang, not to time anything.
vi.setConfig({ testTimeout: 60_000 })

const cli = cliTestBackend()

const user = () => cli.user()

/** A loopback port nothing listens on (taken, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Whether the backend was ever sent this prompt. */
function wasSent(prompt: string): boolean {
  return cli.backend.requests.some((r) => r.method === 'POST' && r.path === '/backend-api/conversation' && r.bodyText.includes(prompt))
}

describe('chatgpt auth, backend unreachable', () => {
  it.concurrent('says the backend could not be reached (host, cause), and does not blame the token', async () => {
    const box = await cli.sandbox()
    const port = await closedPort()
    const env = { ...box.env, CHATGPT_BASE_URL: `http://127.0.0.1:${port}`, SESSION_TOKEN: 'a-session-token-that-was-never-checked' }

    const result = await runCli(['auth'], { env, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`could not reach the backend at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`))
    expect(result.stderr).toMatch(/session token was not checked/)
    expect(result.stdout).toMatch(/^Session token:\s+not checked/m)
    const blame = /not working|refused|expired|sign in again|chatgpt login/
    expect(result.stdout + result.stderr).not.toMatch(blame)

    const json = await runCli(['auth', '--json'], { env, cwd: box.cwd })
    expect(json.code).toBe(1)
    const parsed = JSON.parse(json.stdout)
    expect(parsed.error.code).toBe('network')
    expect(parsed.error.message).toMatch(new RegExp(`could not reach the backend at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`))
    expect(parsed.error.message).not.toMatch(blame)
    expect(json.stdout + json.stderr).not.toContain(env.SESSION_TOKEN)
  })

  it.concurrent('a token the backend refuses is still called not working', async () => {
    const box = await cli.sandbox()
    const result = await runCli(['auth'], { env: { ...box.env, ...backendEnv(cli.backend, 'a-token-the-backend-does-not-know') }, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^Session token:\s+not working/m)
    expect(result.stderr).toMatch(/session token was refused/)
  })
})

describe('a 404 at the base URL', () => {
  // Not concurrent: a raw server is closed after each test, whichever test it belongs to.
  it('points at --base-url, naming the URL in use', async () => {
    const server = await startRawServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('nothing here')
    })
    const box = await cli.sandbox()
    const env = { ...box.env, SESSION_TOKEN: 'a-session-token-0123456789' }
    for (const args of [['hi'], ['--json', 'hi'], ['models'], ['auth']]) {
      const result = await runCli(['--base-url', `${server.url}/wrong`, ...args], { env, cwd: box.cwd })
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr, args.join(' ')).toMatch(/--base-url or CHATGPT_BASE_URL/)
      expect(result.stderr, args.join(' ')).toContain(`${server.url}/wrong`)
      expect(result.stderr).not.toContain(env.SESSION_TOKEN)
    }
  })

  it.concurrent('the usual slip, the API path as the base URL, gets the hint too', async () => {
    const { env, box } = await user()
    const result = await runCli(['--base-url', cli.backend.apiBaseUrl, 'hi'], { env, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/root, like https:\/\/chat\.openai\.com/)
  })

  it.concurrent('no such hint for a conversation that is gone (a 404 too)', async () => {
    const { run } = await user()
    const result = await run(['conversations', 'show', '00000000-0000-4000-8000-000000000000'])
    expect(result.code).toBe(1)
    expect(result.stderr).not.toMatch(/--base-url or CHATGPT_BASE_URL/)
  })
})

describe('a state directory that cannot be written', () => {
  it.concurrent('a file where the directory should be (ENOTDIR): the reply and the JSON still print, with a warning naming the directory; exit 0', async () => {
    const { box, env } = await user()
    await writeFile(box.stateHome, 'not a directory')
    const stateDir = join(box.stateHome, 'chatgpt')
    const run = (args: string[], input?: string) => runCli(args, { env, cwd: box.cwd, input })

    const json = await run(['--json', 'still answered'])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ text: defaultReply('still answered') })
    expect(json.stderr).toMatch(/^chatgpt: warning: the conversation could not be saved, so -c and -n cannot continue it/)
    expect(json.stderr).toContain(stateDir)
    expect(json.stderr).toContain('ENOTDIR')
    expect(json.stderr.trim().split('\n')).toHaveLength(1)

    const plain = await run(['plain too'])
    expect(plain).toMatchObject({ code: 0, stdout: defaultReply('plain too') + '\n' })
    expect(plain.stderr).toContain(stateDir)

    const chat = await run(['chat'], 'one\ntwo\n')
    expect(chat.code, chat.stderr).toBe(0)
    expect(chat.stdout).toContain(defaultReply('two'))
    // Said once per session, not after every reply.
    expect(chat.stderr.match(/could not be saved/g)).toHaveLength(1)
  })

  it.concurrent('-c and -n, which need the state, stop before sending, naming the directory', async () => {
    const { box, env } = await user()
    await writeFile(box.stateHome, 'not a directory')
    for (const args of [['-c'], ['-n', 'notes']]) {
      const prompt = `never sent ${args.join(' ')} ${Math.random()}`
      const result = await runCli([...args, prompt], { env, cwd: box.cwd })
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^chatgpt: -c and -n need the state directory/)
      expect(result.stderr).toContain(join(box.stateHome, 'chatgpt'))
      expect(wasSent(prompt)).toBe(false)
    }
  })

  it.concurrent('a failure to save after the reply (here EISDIR on the state lock; EACCES cannot be made as root): a warning, exit 0', async () => {
    const { box, run } = await user()
    expect((await run(['first'])).code).toBe(0)
    // The state reads fine, so -c continues; recording the reply then fails.
    await mkdir(join(box.stateHome, 'chatgpt', 'state.json.lock'))
    const result = await run(['--json', '-c', 'second'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ text: defaultReply('second') })
    expect(result.stderr).toMatch(/could not be saved.*chatgpt cannot be (read|written) \(.*EISDIR\)/)
  })
})

describe('a state file of the wrong shape', () => {
  const url = 'http://127.0.0.1:1'
  const shapes: [string, unknown][] = [
    ['an array', []],
    ['null', null],
    ['backends a number', { backends: 5 }],
    ['no version', { backends: {} }],
    ['backends an array', { version: 1, backends: [] }],
    ['a backend that is a number', { version: 1, backends: { [url]: 5 } }],
    ['conversations null', { version: 1, backends: { [url]: { conversations: null } } }],
    ['a record that is null', { version: 1, backends: { [url]: { last: 'a', conversations: { a: null } } } }],
    ['a record with ids that are not strings', { version: 1, backends: { [url]: { last: 'a', conversations: { a: { conversationId: 5, parentMessageId: [], updatedAt: '' } } } } }],
    ['a record filed under another id', { version: 1, backends: { [url]: { conversations: { a: { conversationId: 'b', parentMessageId: 'm', updatedAt: '' } } } } }],
    ['last not a string', { version: 1, backends: { [url]: { last: 7, conversations: {} } } }]
  ]

  it.concurrent.each(shapes)('%s: set aside with a warning, and a new state started', async (_what, content) => {
    const box = await cli.sandbox()
    const path = join(box.stateHome, 'state.json')
    await mkdir(box.stateHome, { recursive: true })
    const text = JSON.stringify(content)
    await writeFile(path, text)
    const warnings: string[] = []
    const store = new StateStore(path, url, (line) => warnings.push(line))

    await store.recordReply({ conversationId: 'c1', messageId: 'm1', name: 'notes' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^the state file .*state\.json was damaged; it was moved to .*state\.json\.damaged-\d+/)
    const aside = (await readdir(box.stateHome)).filter((name) => name.startsWith('state.json.damaged-'))
    expect(aside).toHaveLength(1)
    expect(await readFile(join(box.stateHome, aside[0]), 'utf8')).toBe(text)
    expect(await store.read()).toMatchObject({ last: 'c1', conversations: { c1: { parentMessageId: 'm1', name: 'notes' } } })
    expect(warnings).toHaveLength(1)
  })

  it('a valid state passes the check untouched', async () => {
    const box = await cli.sandbox()
    const path = join(box.stateHome, 'state.json')
    const warnings: string[] = []
    const store = new StateStore(path, url, (line) => warnings.push(line))
    await store.recordReply({ conversationId: 'c1', messageId: 'm1', name: 'notes' })
    await store.recordReply({ conversationId: 'c2', messageId: 'm2' })
    expect(Object.keys((await store.read()).conversations)).toEqual(['c1', 'c2'])
    expect(warnings).toEqual([])
    expect(await readdir(box.stateHome)).toEqual(['state.json'])
  })

  it('the command: set aside with a warning, the message goes on, and so do later commands', async () => {
    for (const content of [[], { version: 1, backends: { [cli.backend.url]: { last: 'a', conversations: { a: null } } } }]) {
      const { box, run } = await user()
      const dir = join(box.stateHome, 'chatgpt')
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'state.json'), JSON.stringify(content))
      const result = await run(['-n', 'notes', 'hello'])
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: defaultReply('hello') + '\n' })
      expect(result.stderr).toMatch(/^chatgpt: warning: the state file .*state\.json was damaged; it was moved to .*state\.json\.damaged-\d+\b/)
      const again = await run(['-n', 'notes', 'again'])
      expect(again, again.stderr).toMatchObject({ code: 0, stderr: '' })
    }
  })
})

describe('a config file of the wrong shape', () => {
  it.concurrent('a token that is not a string is no token (not signed in), not a crash', async () => {
    const box = await cli.sandbox()
    const dir = join(box.configHome, 'chatgpt')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeFile(join(dir, 'config.json'), JSON.stringify({ version: 1, backends: { [cli.backend.url]: { sessionToken: 5 } } }), { mode: 0o600 })
    const result = await runCli(['hi'], { env: { ...box.env, CHATGPT_BASE_URL: cli.backend.url }, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/not signed in/)
  })
})
