/**
 * The `chatgpt` command, spawned as built (`packages/chatgpt-kit-cli/build/index.js`) against test backends started
 * here. Each test has its own account, working directory and XDG config/state directories, so
 * the tests of a group run concurrently.
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { ChatGPTAPI, markdownToText } from '../packages/chatgpt-kit/src/index.js'
import {
  createTestBackend,
  defaultReply,
  type ConversationSnapshot,
  type TestBackend
} from '../packages/chatgpt-kit/src/testing/index.js'
import { reasoning2026 } from '../packages/chatgpt-kit/src/testing/event-shape-2026.js'
import { until } from './helpers/backend.js'
import { assertBuilt, backendEnv, runCli, sandbox, spawnCli, type Sandbox } from './helpers/cli.js'
import { startRawServer } from './helpers/raw-server.js'

let backend: TestBackend
const sandboxes: Sandbox[] = []

beforeAll(async () => {
  assertBuilt()
  backend = await createTestBackend()
})

afterAll(async () => {
  await backend?.close()
  await Promise.all(sandboxes.map((s) => s.cleanup()))
})

/** A sandbox signed in to the shared backend with an account of its own. */
async function user(): Promise<{ box: Sandbox; env: NodeJS.ProcessEnv; run: (args: string[], input?: string) => ReturnType<typeof runCli> }> {
  const box = await sandbox()
  sandboxes.push(box)
  const account = backend.addAccount()
  const env = { ...box.env, ...backendEnv(backend, account.sessionToken) }
  return { box, env, run: (args, input) => runCli(args, { env, cwd: box.cwd, input }) }
}

/** A client signed in as the account of `env`. */
function signedIn(env: NodeJS.ProcessEnv): ChatGPTAPI {
  return new ChatGPTAPI({
    sessionToken: env.SESSION_TOKEN!,
    clearanceToken: env.CLEARANCE_TOKEN,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl
  })
}

/** The active thread of a conversation of the backend: role and text, oldest first. */
function thread(conversation: ConversationSnapshot | undefined, from?: string): { role: string; text: string }[] {
  const messages: { role: string; text: string }[] = []
  for (let id: string | undefined = from ?? conversation?.currentNode; id; id = conversation?.mapping[id]?.parent) {
    const message = conversation?.mapping[id]?.message
    if (message && message.author.role !== 'system') messages.unshift({ role: message.author.role, text: message.content.parts.join('') })
  }
  return messages
}

async function readState(box: Sandbox): Promise<any> {
  return JSON.parse(await readFile(join(box.stateHome, 'chatgpt', 'state.json'), 'utf8'))
}

describe('one-shot messages', () => {
  it.concurrent('streams the reply to a prompt given as arguments', async () => {
    const { run } = await user()
    const result = await run(['What', 'is', 'TypeScript?'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    // Not a terminal: the markdown as written, no spinner, no colour.
    expect(result.stdout).toBe(defaultReply('What is TypeScript?') + '\n')
  })

  it.concurrent('reads the prompt from stdin, and `-` joins stdin to the arguments', async () => {
    const { run } = await user()
    const piped = await run([], 'hello from a pipe\n')
    expect(piped).toMatchObject({ code: 0, stdout: defaultReply('hello from a pipe') + '\n' })
    const joined = await run(['Review this:', '-'], 'line one\nline two\n')
    expect(joined.code).toBe(0)
    expect(joined.stdout).toBe(defaultReply('Review this:\n\nline one\nline two') + '\n')
  })

  it.concurrent('--no-stream prints the final text, --plain strips markdown', async () => {
    const { run } = await user()
    const final = await run(['--no-stream', 'show me code'])
    expect(final).toMatchObject({ code: 0, stdout: defaultReply('show me code') + '\n' })
    const plain = await run(['--plain', 'show me code'])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toBe(markdownToText(defaultReply('show me code')) + '\n')
    expect(plain.stdout).not.toContain('**')
    expect(plain.stdout).toContain('const greeting = "héllo 🌍"')
  })

  it.concurrent('--json prints the result with its ids', async () => {
    const { run } = await user()
    const result = await run(['--json', '-m', 'gpt-4', 'Name a colour'])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json).toMatchObject({ text: defaultReply('Name a colour'), finishReason: 'stop' })
    const conversation = backend.conversations.get(json.conversationId)
    expect(conversation?.mapping[json.messageId]?.message?.author.role).toBe('assistant')
    expect(conversation?.mapping[json.messageId]?.parent).toBe(json.parentMessageId)
    const sent = backend.requests.find((r) => r.path === '/backend-api/conversation' && JSON.stringify(r.body).includes('Name a colour'))
    expect((sent?.body as { model?: string }).model).toBe('gpt-4')
  })

  it("--json adds the title and the reasoning when today's stream carries them", async () => {
    const today = await createTestBackend({ shape: '2026' })
    try {
      const box = await sandbox()
      sandboxes.push(box)
      const result = await runCli(['--json', 'think about tea'], { env: { ...box.env, ...backendEnv(today) }, cwd: box.cwd })
      expect(result.code).toBe(0)
      const json = JSON.parse(result.stdout)
      expect(json.reasoning).toBe(reasoning2026('think about tea'))
      expect(typeof json.title).toBe('string')
      expect(json.text).not.toContain(json.reasoning)
    } finally {
      await today.close()
    }
  })

  it.concurrent('a conversation started here is titled after its first reply; continuing one keeps its title', async () => {
    const { run, env } = await user()
    const title = (id: string) => backend.conversations.get(id)?.title
    const before = backend.conversations.size
    expect((await run(['plan', 'a', 'trip', 'to', 'Lyon'])).code).toBe(0)
    const first = backend.conversations.list().slice(before).find((c) => c.title === 'Plan a trip to Lyon')
    expect(first).toBeDefined()

    const named = JSON.parse((await run(['--json', '-n', 'lyon', 'a named one'])).stdout)
    expect(title(named.conversationId)).toBe('A named one')
    await signedIn(env).renameConversation(named.conversationId, 'Mine')
    expect((await run(['-n', 'lyon', 'and then Paris'])).code).toBe(0)
    expect(title(named.conversationId)).toBe('Mine')
    const titled = backend.requests.filter((r) => r.path === `/backend-api/conversation/gen_title/${named.conversationId}`)
    expect(titled).toHaveLength(1)
  })

  it.concurrent('-c continues the last conversation; -n keeps named ones apart', async () => {
    const { box, run } = await user()
    const none = await run(['-c', 'too early'])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/no conversation to continue/)

    const first = JSON.parse((await run(['--json', 'first'])).stdout)
    const second = JSON.parse((await run(['--json', '-c', 'second'])).stdout)
    expect(second.conversationId).toBe(first.conversationId)
    expect(second.parentMessageId).not.toBe(first.parentMessageId)
    expect(thread(backend.conversations.get(first.conversationId)).map((m) => m.text)).toEqual([
      'first', defaultReply('first'), 'second', defaultReply('second')
    ])

    const a1 = JSON.parse((await run(['--json', '-n', 'alpha', 'a one'])).stdout)
    const b1 = JSON.parse((await run(['--json', '-n', 'beta', 'b one'])).stdout)
    const a2 = JSON.parse((await run(['--json', '-n', 'alpha', 'a two'])).stdout)
    expect(a2.conversationId).toBe(a1.conversationId)
    expect(b1.conversationId).not.toBe(a1.conversationId)
    expect(thread(backend.conversations.get(a1.conversationId)).filter((m) => m.role === 'user').map((m) => m.text)).toEqual(['a one', 'a two'])

    // -c continues whatever came last: now the named one.
    const third = JSON.parse((await run(['--json', '-c', 'third'])).stdout)
    expect(third.conversationId).toBe(a1.conversationId)

    const state = await readState(box)
    const mine = state.backends[backend.url]
    expect(mine.last).toBe(a1.conversationId)
    expect(mine.conversations[a1.conversationId]).toMatchObject({ name: 'alpha', parentMessageId: third.messageId })
    expect(mine.conversations[b1.conversationId]).toMatchObject({ name: 'beta', parentMessageId: b1.messageId })
  })

  it.concurrent('concurrent commands on the same state all land, and concurrent continuations make one thread', async () => {
    const { box, run } = await user()
    const ok = (results: Awaited<ReturnType<typeof run>>[]) => {
      for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' })
      return results.map((result) => JSON.parse(result.stdout))
    }
    // Same account, same state file, all at once.
    const [one, two, fresh, other] = ok(
      await Promise.all([
        run(['--json', '-n', 'one', 'named one']),
        run(['--json', '-n', 'two', 'named two']),
        run(['--json', 'fresh']),
        run(['--json', 'another'])
      ])
    )
    let state = (await readState(box)).backends[backend.url]
    expect(state.conversations[one.conversationId]).toMatchObject({ name: 'one', parentMessageId: one.messageId })
    expect(state.conversations[two.conversationId]).toMatchObject({ name: 'two', parentMessageId: two.messageId })
    expect(state.conversations[fresh.conversationId]).toMatchObject({ parentMessageId: fresh.messageId })
    expect(state.conversations[other.conversationId]).toMatchObject({ parentMessageId: other.messageId })
    expect(Object.keys(state.conversations)).toHaveLength(4)

    // Continuing the same conversation at once: they take turns, each answering the reply before.
    const users = (id: string) =>
      thread(backend.conversations.get(id)).filter((m) => m.role === 'user').map((m) => m.text)
    const named = ok(await Promise.all(['x', 'y', 'z'].map((p) => run(['--json', '-n', 'one', p]))))
    expect(new Set(named.map((r) => r.conversationId))).toEqual(new Set([one.conversationId]))
    expect(users(one.conversationId).slice(1).sort()).toEqual(['x', 'y', 'z'])
    state = (await readState(box)).backends[backend.url]
    expect(state.conversations[one.conversationId].parentMessageId).toBe(backend.conversations.get(one.conversationId)?.currentNode)
    expect(state.last).toBe(one.conversationId)

    const continued = ok(await Promise.all([run(['--json', '-c', 'c1']), run(['--json', '-c', 'c2'])]))
    expect(continued.map((r) => r.conversationId)).toEqual([one.conversationId, one.conversationId])
    expect(users(one.conversationId).slice(4).sort()).toEqual(['c1', 'c2'])
    state = (await readState(box)).backends[backend.url]
    expect(state.conversations[one.conversationId].parentMessageId).toBe(backend.conversations.get(one.conversationId)?.currentNode)
  })
})

describe('usage and errors', () => {
  it.concurrent('a remembered conversation deleted elsewhere is forgotten, with a clear line', async () => {
    const { box, env, run } = await user()
    const named = JSON.parse((await run(['--json', '-n', 'gone', 'hello'])).stdout)
    const api = new ChatGPTAPI({
      sessionToken: env.SESSION_TOKEN!,
      clearanceToken: env.CLEARANCE_TOKEN,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl
    })
    await api.deleteConversation(named.conversationId)
    const result = await run(['-n', 'gone', 'again'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^chatgpt: the conversation 'gone' no longer exists .*forgotten/)
    expect((await readState(box)).backends[backend.url]).toBeUndefined()
    const anew = JSON.parse((await run(['--json', '-n', 'gone', 'again'])).stdout)
    expect(anew.conversationId).not.toBe(named.conversationId)
  })

  it.concurrent('usage errors exit 2 with one line on stderr', async () => {
    const { run } = await user()
    for (const args of [['--bogus', 'hi'], ['-c', '-n', 'x', 'hi'], ['-t', 'soon', 'hi'], ['conversations', 'show'], ['conversations', 'rename', 'x'], ['models', 'extra']]) {
      const result = await run(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^chatgpt: [^\n]+\n$/)
    }
    const empty = await run([], '   \n')
    expect(empty).toMatchObject({ code: 2, stdout: '' })
    expect(empty.stderr).toMatch(/prompt is empty/)
  })

  it.concurrent('--help and --version exit 0', async () => {
    const { run } = await user()
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: chatgpt')
    expect(help.stdout).toContain('conversations')
    const pkg = JSON.parse(await readFile(new URL('../packages/chatgpt-kit-cli/package.json', import.meta.url), 'utf8'))
    expect(await run(['-v'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  })

  it.concurrent("a command's --help lists its own options, and points to the main help for the shared ones", async () => {
    const { run } = await user()
    for (const args of [['chat', '--help'], ['conversations', 'ls', '--help'], ['conversations', 'clear', '--help'], ['test-backend', '--help'], ['models', '--help']]) {
      const result = await run(args)
      expect(result.code, args.join(' ')).toBe(0)
      expect(result.stdout, args.join(' ')).toMatch(/^Global options .*: see `chatgpt --help`$/m)
      const options = /^Options:\n([\s\S]*?)\n\n/m.exec(result.stdout)![1]!
      expect(options).toMatch(/--help/)
      for (const global of ['--session-token', '--base-url', '--json', '--model', '--debug']) {
        expect(options, `${args.join(' ')}: ${global}`).not.toContain(global)
      }
    }
    expect((await run(['conversations', 'ls', '--help'])).stdout).toContain('--limit <n>')
    expect((await run(['test-backend', '--help'])).stdout).toContain('--port <n>')
    const main = (await run(['--help'])).stdout
    for (const global of ['--session-token', '--base-url', '--json', '--model', '--debug']) expect(main).toContain(global)
  })

  it.concurrent('a bad session token exits 1 with one line that does not show the token', async () => {
    const { box } = await user()
    const token = 'not-a-real-session-token-0123456789'
    const env = { ...box.env, ...backendEnv(backend, token) }
    const result = await runCli(['hi'], { env, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/session token was refused.*chatgpt login/)
    expect(result.stderr).not.toContain(token)

    const flag = await runCli(['--session-token', token, 'hi'], { env: { ...box.env, CHATGPT_BASE_URL: backend.url }, cwd: box.cwd })
    expect(flag.code).toBe(1)
    expect(flag.stderr).not.toContain(token)
  })

  it.concurrent('no credentials at all: exit 1 and how to sign in', async () => {
    const box = await sandbox()
    sandboxes.push(box)
    const result = await runCli(['hi'], { env: { ...box.env, CHATGPT_BASE_URL: backend.url }, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/not signed in.*chatgpt login.*SESSION_TOKEN/)
  })

  it.concurrent('credentials from a .env file in the current directory, and --base-url', async () => {
    const box = await sandbox()
    sandboxes.push(box)
    await writeFile(join(box.cwd, '.env'), `SESSION_TOKEN=${backend.addAccount().sessionToken}\nCLEARANCE_TOKEN="${backend.clearanceToken}"\n`)
    const result = await runCli(['--base-url', backend.url, 'from dotenv'], { env: box.env, cwd: box.cwd })
    expect(result).toMatchObject({ code: 0, stdout: defaultReply('from dotenv') + '\n' })
  })
})

describe('faults (own backend, one at a time)', () => {
  let faulty: TestBackend
  beforeAll(async () => {
    faulty = await createTestBackend()
  })
  afterAll(async () => {
    await faulty?.close()
  })
  // A fault a test queued but never reached (its command gave up first, as `-t 300ms` can before
  // the reply on a busy machine) must not be taken by the next test's request.
  beforeEach(() => faulty.reset())

  async function faultyUser() {
    const box = await sandbox()
    sandboxes.push(box)
    const env = { ...box.env, ...backendEnv(faulty) }
    return { box, env }
  }

  it('a stale clearance token: the error line says how to refresh it', async () => {
    const { box, env } = await faultyUser()
    faulty.rotateClearance()
    const result = await runCli(['hi'], { env, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/Cloudflare/)
    expect(result.stderr).toMatch(/fresh cf_clearance/)
    expect(result.stderr).toMatch(/chatgpt login|CLEARANCE_TOKEN/)
    expect(result.stderr).not.toContain(env.CLEARANCE_TOKEN)
  })

  it('Ctrl-C (SIGINT) stops a reply and exits 130', async () => {
    const { box, env } = await faultyUser()
    faulty.fault({ type: 'stall', afterEvents: 2 })
    const child = spawnCli(['tell me a long story'], { env, cwd: box.cwd })
    child.stdin.end()
    await until(() => child.output().stdout.length > 0, 'the first tokens')
    child.kill('SIGINT')
    const result = await child.done
    expect(result.code).toBe(130)
    expect(result.stdout.endsWith('\n')).toBe(true)
    await until(() => faulty.inFlight === 0, 'the request to be aborted')
  })

  it('-t gives up on a stalled reply with exit 1', async () => {
    const { box, env } = await faultyUser()
    faulty.fault({ type: 'stall' })
    const result = await runCli(['-t', '300ms', 'hi'], { env, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/timed out.*-t/)
  })

  it('Ctrl-C in chat stops the reply and the session goes on', async () => {
    const { box, env } = await faultyUser()
    faulty.fault({ type: 'stall', afterEvents: 1 })
    const child = spawnCli(['chat'], { env, cwd: box.cwd })
    child.stdin.write('a story please\n')
    await until(() => faulty.inFlight === 1 && child.output().stdout.length > 0, 'the reply to start')
    child.kill('SIGINT')
    await until(() => child.output().stderr.includes('(stopped)'), 'the reply to stop')
    child.stdin.end('after the stop\n/exit\n')
    const result = await child.done
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(defaultReply('after the stop'))
  })
})

describe('login and auth', () => {
  it.concurrent('login checks the tokens, stores them with mode 0600, and later commands use them', async () => {
    const box = await sandbox()
    sandboxes.push(box)
    const account = backend.addAccount({ name: 'Ada Lovelace', email: 'ada@example.com' })
    const bare = { ...box.env, CHATGPT_BASE_URL: backend.url }

    const refused = await runCli(['login'], { env: { ...bare, SESSION_TOKEN: 'wrong-token-wrong-token', CLEARANCE_TOKEN: backend.clearanceToken }, cwd: box.cwd })
    expect(refused.code).toBe(1)
    expect(refused.stderr).not.toContain('wrong-token-wrong-token')
    await expect(stat(join(box.configHome, 'chatgpt', 'config.json'))).rejects.toThrow()

    const missing = await runCli(['login'], { env: bare, cwd: box.cwd })
    expect(missing.code).toBe(2)

    const ok = await runCli(['login', '--session-token', account.sessionToken, '--clearance-token', backend.clearanceToken], { env: bare, cwd: box.cwd })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain('Ada Lovelace')
    expect(ok.stdout).not.toContain(account.sessionToken)
    const path = join(box.configHome, 'chatgpt', 'config.json')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(box.configHome, 'chatgpt'))).mode & 0o077).toBe(0)
    const config = JSON.parse(await readFile(path, 'utf8'))
    expect(config.backends[backend.url].sessionToken).toBe(account.sessionToken)

    // No token in the environment now: the stored ones are used.
    expect(await runCli(['stored'], { env: bare, cwd: box.cwd })).toMatchObject({ code: 0, stdout: defaultReply('stored') + '\n' })

    const auth = await runCli(['auth'], { env: bare, cwd: box.cwd })
    expect(auth.code).toBe(0)
    expect(auth.stdout).toContain('Ada Lovelace <ada@example.com>')
    expect(auth.stdout).toContain('config.json')
    expect(auth.stdout).not.toContain(account.sessionToken)
    expect(auth.stdout).not.toContain(backend.clearanceToken)

    backend.revokeSession(account.sessionToken)
    const revoked = await runCli(['auth', '--json'], { env: bare, cwd: box.cwd })
    expect(revoked.code).toBe(1)
    const json = JSON.parse(revoked.stdout)
    expect(json).toMatchObject({ signedIn: false, error: { code: 'unauthorized' } })
    expect(revoked.stdout + revoked.stderr).not.toContain(account.sessionToken)

    expect((await runCli(['logout'], { env: bare, cwd: box.cwd })).code).toBe(0)
    expect(JSON.parse(await readFile(path, 'utf8')).backends[backend.url]).toBeUndefined()
  })
})

describe('conversations and models', () => {
  it.concurrent('ls, show, rename, rm and clear', async () => {
    const { run, box } = await user()
    const a = JSON.parse((await run(['--json', '-n', 'notes', 'first topic'])).stdout)
    const b = JSON.parse((await run(['--json', 'second topic'])).stdout)

    const ls = JSON.parse((await run(['conversations', 'ls', '--json'])).stdout)
    expect(ls.map((c: { id: string }) => c.id)).toEqual([b.conversationId, a.conversationId])
    expect(ls[1]).toMatchObject({ name: 'notes', last: false })
    expect(ls[0]).toMatchObject({ name: null, last: true })
    const text = await run(['conversations', 'ls'])
    expect(text.stdout).toContain(a.conversationId)
    expect(text.stdout).toContain('[notes]')

    const show = await run(['conversations', 'show', 'notes'])
    expect(show.code).toBe(0)
    expect(show.stdout).toContain('first topic')
    expect(show.stdout).toContain(defaultReply('first topic'))
    const shown = JSON.parse((await run(['conversations', 'show', '--json', a.conversationId])).stdout)
    expect(shown.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant'])

    expect((await run(['conversations', 'rename', 'notes', 'My', 'notes'])).code).toBe(0)
    expect(backend.conversations.get(a.conversationId)?.title).toBe('My notes')

    expect((await run(['conversations', 'show', 'nonesuch'])).code).toBe(1)

    expect((await run(['conversations', 'rm', 'last'])).code).toBe(0)
    expect(backend.conversations.get(b.conversationId)?.isVisible).toBe(false)
    expect((await readState(box)).backends[backend.url].conversations[b.conversationId]).toBeUndefined()

    const gone = await run(['conversations', 'show', b.conversationId])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/does not exist on the server/)

    expect((await run(['conversations', 'clear'])).code).toBe(2)
    expect((await run(['conversations', 'clear', '--yes'])).code).toBe(0)
    expect(backend.conversations.get(a.conversationId)?.isVisible).toBe(false)
    expect(JSON.parse((await run(['conversations', 'ls', '--json'])).stdout)).toEqual([])
    expect((await readState(box)).backends[backend.url]).toBeUndefined()
  })

  it.concurrent('ls says how many more there are beyond --limit', async () => {
    const { run, env } = await user()
    for (const topic of ['one', 'two', 'three', 'four']) await signedIn(env).sendMessage(topic)
    const limited = await run(['conversations', 'ls', '--limit', '2'])
    expect(limited.stdout.trim().split('\n')).toHaveLength(2)
    expect(limited.stderr).toBe('2 more (--all, or --limit N)\n')
    for (const args of [['--limit', '4'], ['--all'], []]) {
      const all = await run(['conversations', 'ls', ...args])
      expect(all.stdout.trim().split('\n'), args.join(' ')).toHaveLength(4)
      expect(all.stderr, args.join(' ')).toBe('')
    }
  })

  it('ls says there are more even when the server does not say how many', async () => {
    const { box } = await user()
    const server = await startRawServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      res.setHeader('content-type', 'application/json')
      if (url.pathname === '/api/auth/session') {
        res.end(JSON.stringify({ user: { id: 'u', name: 'U' }, expires: '2999-01-01T00:00:00Z', accessToken: 'raw-access' }))
        return
      }
      const limit = Number(url.searchParams.get('limit'))
      // No `total`: the list only shows what is on the page.
      const items = Array.from({ length: Math.min(limit, 10) }, (_, i) => ({ id: `00000000-0000-4000-8000-00000000000${i % 10}`, title: `c${i}` }))
      res.end(JSON.stringify({ items, limit, offset: 0 }))
    })
    const env = { ...box.env, CHATGPT_BASE_URL: server.url, SESSION_TOKEN: 'raw-session' }
    const limited = await runCli(['conversations', 'ls', '--limit', '3'], { env, cwd: box.cwd })
    expect(limited.code, limited.stderr).toBe(0)
    expect(limited.stdout.trim().split('\n')).toHaveLength(3)
    expect(limited.stderr).toBe('more (--all, or --limit N)\n')
    const exact = await runCli(['conversations', 'ls', '--limit', '10'], { env, cwd: box.cwd })
    expect(exact.code, exact.stderr).toBe(0)
    expect(exact.stdout.trim().split('\n')).toHaveLength(10)
    expect(exact.stderr).toBe('')
  })

  it.concurrent('models lists the slugs', async () => {
    const { run } = await user()
    const result = await run(['models'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^gpt-4o\s/m)
    const json = JSON.parse((await run(['models', '--json'])).stdout)
    expect(json.map((m: { slug: string }) => m.slug)).toContain('text-davinci-002-render-sha')
  })
})

describe('chat', () => {
  it.concurrent('a scripted session through stdin: /regen, /continue, /history, /new, /exit', async () => {
    const { run, box } = await user()
    const script = ['hello there', '/regen', '/continue', '/history', '/title', '/new', '/history', 'second \\', 'line', '/nonsense', '/exit', 'never sent'].join('\n') + '\n'
    const result = await run(['chat'], script)
    expect(result.code, result.stderr).toBe(0)
    // Not a terminal: no prompt, no spinner, no colour.
    expect(result.stdout + result.stderr).not.toMatch(/\x1b|⠋/)
    const out = result.stdout
    const reply = defaultReply('hello there')
    // the reply, the regenerated one, then only what /continue added
    expect(out.startsWith(`${reply}\n\n${reply}\n\nAnd a little more, as asked. Fin ✨\n\n`)).toBe(true)
    expect(out).toContain(`\nYou\nhello there\n\nChatGPT\n${reply}\n\nAnd a little more, as asked. Fin ✨\n`)
    expect(out).toContain('Title: Hello there')
    expect(out).toContain('Started a new conversation.')
    expect(out).toContain(defaultReply('second \nline'))
    expect(out).not.toContain('never sent')
    expect(result.stderr).toContain('error: no conversation yet')
    expect(result.stderr).toContain('unknown command /nonsense')

    const state = (await readState(box)).backends[backend.url]
    const conversations = Object.values(state.conversations) as { conversationId: string; parentMessageId: string }[]
    expect(conversations).toHaveLength(2)
    const first = conversations.find((c) => c.conversationId !== state.last)!
    const tree = backend.conversations.get(first.conversationId)!
    // the regeneration is a sibling of the first reply; the thread ends at the continued one
    const userNode = Object.values(tree.mapping).find((n) => n.message?.author.role === 'user')!
    expect(userNode.children).toHaveLength(2)
    expect(thread(tree, first.parentMessageId).map((m) => m.text)).toEqual(['hello there', `${reply}\n\nAnd a little more, as asked. Fin ✨`])
  })

  it.concurrent('-n in chat resumes a named conversation and /rollback forks it', async () => {
    const { run, box } = await user()
    await run(['-n', 'story', 'once'])
    await run(['-n', 'story', 'upon'])
    const result = await run(['chat', '-n', 'story'], '/rollback\na time\n/history\n')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('Went back 1 exchange')
    const history = result.stdout.slice(result.stdout.lastIndexOf('\nYou\n'))
    expect(result.stdout).toContain('\nYou\nonce\n')
    expect(history).toContain('a time')
    expect(result.stdout).not.toContain('\nYou\nupon\n')
    const state = (await readState(box)).backends[backend.url]
    const story = Object.values(state.conversations).find((c: any) => c.name === 'story') as any
    expect(thread(backend.conversations.get(story.conversationId), story.parentMessageId).filter((m) => m.role === 'user').map((m) => m.text)).toEqual(['once', 'a time'])
  })
})

describe('test-backend', () => {
  it('runs the bundled backend and prints how to reach it', async () => {
    const box = await sandbox()
    sandboxes.push(box)
    const server = spawnCli(['test-backend', '--delay', '0'], { env: box.env, cwd: box.cwd })
    await until(() => server.output().stdout.includes('USER_AGENT='), 'the settings to be printed')
    const env: NodeJS.ProcessEnv = { ...box.env }
    for (const line of server.output().stdout.trim().split('\n')) {
      const [, key, value] = /^export (\w+)=(.*)$/.exec(line)!
      env[key] = value.replace(/^'(.*)'$/, '$1')
    }
    const result = await runCli(['offline'], { env, cwd: box.cwd })
    expect(result).toMatchObject({ code: 0, stdout: defaultReply('offline') + '\n' })
    // The OpenAI SDK's own variables point it at the backend's Chat Completions API.
    const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL, maxRetries: 0 })
    const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'offline' }] })
    expect(completion.choices[0]!.message.content).toBe(defaultReply('offline'))
    server.kill('SIGINT')
    // Ctrl-C is how it stops, and like any interrupted command it exits 130.
    expect((await server.done).code).toBe(130)
  })

  /** Starts `chatgpt test-backend` in the sandbox; resolves once it printed its settings. */
  async function startBackend(box: Sandbox, args: string[] = []) {
    const server = spawnCli(['test-backend', '--delay', '0', ...args], { env: box.env, cwd: box.cwd })
    await until(() => server.output().stdout.includes('USER_AGENT=') || server.exitCode !== null, 'the settings to be printed')
    const env: NodeJS.ProcessEnv = { ...box.env }
    for (const line of server.output().stdout.trim().split('\n')) {
      const [, key, value] = /^export (\w+)=(.*)$/.exec(line)!
      env[key] = value.replace(/^'(.*)'$/, '$1')
    }
    return { server, env, url: env.CHATGPT_BASE_URL! }
  }

  it('forgets the state of earlier test backends that are gone, and only theirs', async () => {
    const box = await sandbox()
    sandboxes.push(box)
    const a = await startBackend(box)
    expect((await runCli(['-n', 'demo', 'hello'], { env: a.env, cwd: box.cwd })).code).toBe(0)
    a.server.kill('SIGINT')
    await a.server.done

    // Entries the command did not make for a test backend: a real account's, and a local one
    // that is down now. Both must survive.
    const statePath = join(box.stateHome, 'chatgpt', 'state.json')
    const state = await readState(box)
    expect(Object.keys(state.backends)).toEqual([a.url])
    const record = (id: string) => ({ conversationId: id, parentMessageId: '11111111-1111-4111-8111-111111111111', updatedAt: new Date().toISOString() })
    const real = '22222222-2222-4222-8222-222222222222'
    state.backends['https://chat.openai.com'] = { last: real, conversations: { [real]: record(real) } }
    state.backends['http://127.0.0.1:1'] = { last: real, conversations: { [real]: record(real) } }
    await writeFile(statePath, JSON.stringify(state))

    const b = await startBackend(box)
    expect(b.url).not.toBe(a.url)
    const pruned = await readState(box)
    expect(Object.keys(pruned.backends).sort()).toEqual(['http://127.0.0.1:1', 'https://chat.openai.com'])
    expect(pruned.backends['https://chat.openai.com']).toEqual(state.backends['https://chat.openai.com'])
    const known = JSON.parse(await readFile(join(box.stateHome, 'chatgpt', 'test-backends.json'), 'utf8'))
    expect(known.urls).toEqual([b.url])

    // A backend still running is kept: a second one beside it does not prune it.
    expect((await runCli(['hi'], { env: b.env, cwd: box.cwd })).code).toBe(0)
    const c = await startBackend(box)
    expect(Object.keys((await readState(box)).backends)).toContain(b.url)
    c.server.kill('SIGINT')
    await c.server.done

    // The same --port again: the port is taken, and the line says what to do.
    const port = new URL(b.url).port
    const taken = await runCli(['test-backend', '--port', port], { env: box.env, cwd: box.cwd })
    expect(taken.code).toBe(1)
    expect(taken.stderr).toMatch(new RegExp(`^chatgpt: port ${port} is in use on 127\\.0\\.0\\.1: pick another with --port`))

    // Restarted on its port, the backend is a new one: what was remembered for it is forgotten.
    b.server.kill('SIGINT')
    expect((await b.server.done).code).toBe(130)
    const again = await startBackend(box, ['--port', port])
    expect(again.url).toBe(b.url)
    expect(Object.keys((await readState(box)).backends)).not.toContain(b.url)
    again.server.kill('SIGINT')
    expect((await again.server.done).code).toBe(130)
    // Six commands started one after another: more than the default time on a busy machine.
  }, 90_000)
})
