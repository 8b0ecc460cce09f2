/**
 * The command on a terminal, in process: its modules run on fake TTY streams (see
 * helpers/fake-terminal.ts) against a test backend, and what a terminal would show is checked
 * line by line. (Spawned commands get pipes, never a terminal.)
 */
import { randomUUID } from 'node:crypto'
import { chmod, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { titleNewConversation } from '../packages/chatgpt-kit-cli/src/auto-title.js'
import { HistoryFileError, appendHistory, loadHistory } from '../packages/chatgpt-kit-cli/src/chat-history.js'
import { EXIT, InterruptedError, describeError } from '../packages/chatgpt-kit-cli/src/cli-error.js'
import { ask } from '../packages/chatgpt-kit-cli/src/commands/ask.js'
import { chat } from '../packages/chatgpt-kit-cli/src/commands/chat.js'
import { clear } from '../packages/chatgpt-kit-cli/src/commands/conversations.js'
import { confirm } from '../packages/chatgpt-kit-cli/src/confirm.js'
import { keepLine, startSpinner, writeLines } from '../packages/chatgpt-kit-cli/src/spinner.js'
import { ChatGPTAPI } from '../packages/chatgpt-kit/src/index.js'
import { createTestBackend, defaultReply, type TestBackend } from '../packages/chatgpt-kit/src/testing/index.js'
import { until } from './helpers/backend.js'
import { backendEnv, sandbox, type Sandbox } from './helpers/cli.js'
import { FakeTerminalInput, FakeTerminalOutput, fakeContext, screenOf } from './helpers/fake-terminal.js'

let backend: TestBackend
const boxes: Sandbox[] = []

beforeAll(async () => {
  backend = await createTestBackend({ eventDelayMs: 1 })
})

afterAll(async () => {
  await backend?.close()
  await Promise.all(boxes.map((box) => box.cleanup()))
})

/** A sandbox signed in to the backend with an account of its own. */
async function home(): Promise<{ box: Sandbox; env: NodeJS.ProcessEnv }> {
  const box = await sandbox()
  boxes.push(box)
  return { box, env: { ...box.env, ...backendEnv(backend, backend.addAccount().sessionToken) } }
}

/** A stream that is not a terminal (a pipe), keeping what is written. */
class Pipe extends Writable {
  text = ''
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString()
    callback()
  }
}

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/

/** A proxy in front of `target` that holds the answer to a request until `hold(path)` resolves. */
async function startProxy(target: string, hold: (path: string) => Promise<void> | undefined) {
  const server = createServer((req, res) => {
    const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, async (answer) => {
      await hold(req.url ?? '')
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

describe('the emulated terminal', () => {
  it('shows what a terminal would', () => {
    expect(screenOf('abc\rX\x1b[K\nnext\x1b[1Gfirst\n')).toEqual(['X', 'first', ''])
    expect(screenOf('\x1b[1mbold\x1b[22m line')).toEqual(['bold line'])
  })
})

describe('the spinner and other lines on the same terminal', () => {
  it('a line written while it spins gets a line of its own, and the spinner is drawn again below it', () => {
    const terminal = new FakeTerminalOutput()
    const spinner = startSpinner(terminal as unknown as NodeJS.WriteStream, 'thinking…', (t) => t)
    writeLines(terminal, '[debug] GET /api/auth/session\n')
    writeLines(terminal, '[debug] POST /backend-api/conversation\n')
    const spinning = terminal.screen()
    expect(spinning.slice(0, 2)).toEqual(['[debug] GET /api/auth/session', '[debug] POST /backend-api/conversation'])
    expect(spinning[2]).toMatch(/^. thinking…$/)
    spinner.stop()
    expect(terminal.screen()).toEqual(['[debug] GET /api/auth/session', '[debug] POST /backend-api/conversation', ''])
    // Stopped: lines are written as they are.
    writeLines(terminal, 'after\n')
    expect(terminal.writes.at(-1)).toBe('after\n')
  })

  it("a kept line (chat's prompt) is drawn again below lines written while it is shown, and left alone when it is not", () => {
    const terminal = new FakeTerminalOutput()
    let shown = true
    const release = keepLine(terminal, { shown: () => shown, redraw: () => terminal.write('> half-typed') })
    terminal.write('> half-typed')
    writeLines(terminal, '[debug] a line\n')
    expect(terminal.screen()).toEqual(['[debug] a line', '> half-typed'])
    terminal.write('\nreply text')
    shown = false
    writeLines(terminal, '[debug] later\n')
    expect(terminal.screen().slice(-2)).toEqual(['reply text[debug] later', ''])
    release()
    writeLines(terminal, 'plain\n')
    expect(terminal.writes.at(-1)).toBe('plain\n')
  })

  it('a stream with no spinner, or not a terminal, gets the text unchanged', () => {
    const pipe = new Pipe()
    const spinner = startSpinner(pipe as unknown as NodeJS.WriteStream, 'thinking…', (t) => t)
    writeLines(pipe, 'a line\n')
    spinner.stop()
    expect(pipe.text).toBe('a line\n')
  })

  it('`chatgpt --debug "…"`: every debug line is whole, none shares a line with the spinner', async () => {
    const { box, env } = await home()
    const stderr = new FakeTerminalOutput()
    const stdout = new Pipe()
    const ctx = fakeContext({ env, cwd: box.cwd, stderr, stdout })
    await ask(ctx, ['hello', 'there'], { debug: true })
    expect(stdout.text).toBe(defaultReply('hello there') + '\n')
    // The spinner was drawn, and debug lines came while it turned.
    expect(stderr.text).toMatch(SPINNER)
    const lines = stderr.screen().filter((line) => line !== '')
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines) expect(line).toMatch(/^\[debug\] /)
    for (const line of lines) expect(line).not.toMatch(SPINNER)
  })
})

describe('chat on a terminal', () => {
  it('Ctrl-D at the prompt ends the session on a new line, so the shell prompt gets a line of its own', async () => {
    const { box, env } = await home()
    const stdin = new FakeTerminalInput()
    const stdout = new FakeTerminalOutput()
    const ctx = fakeContext({ env, cwd: box.cwd, stdin, stdout })
    const session = chat(ctx, {})
    await until(() => stdout.screen().at(-1) === '> ', 'the prompt')
    stdin.type('hi\r')
    await until(() => stdout.text.includes('Voilà') && stdout.screen().at(-1) === '> ', 'the reply and the next prompt')
    stdin.type('\x04')
    expect(await session).toBe(EXIT.ok)
    const screen = stdout.screen()
    expect(screen.at(-2)).toBe('> ')
    expect(screen.at(-1)).toBe('')
  })

  it('--debug: the lines of a title made while the prompt waits go above it, and what was typed is kept', async () => {
    const { box, env } = await home()
    // The title's answer is held until the prompt is back, as with a real server's slower title.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const proxy = await startProxy(backend.url, (path) => (path.includes('/gen_title/') ? held : undefined))
    const stdin = new FakeTerminalInput()
    const terminal = new FakeTerminalOutput()
    // One terminal for both streams, as usual.
    const ctx = fakeContext({ env: { ...env, CHATGPT_BASE_URL: proxy.url }, cwd: box.cwd, stdin, stdout: terminal, stderr: terminal })
    const session = chat(ctx, { debug: true })
    await until(() => terminal.screen().at(-1) === '> ', 'the prompt')
    stdin.type('a first message\r')
    await until(() => terminal.text.includes('Voilà') && terminal.screen().at(-1) === '> ', 'the reply and the prompt')
    stdin.type('half-typed')
    await until(() => terminal.screen().at(-1) === '> half-typed', 'the typing')
    release()
    await until(() => terminal.text.includes('titled the new conversation'), 'the title')
    const screen = terminal.screen()
    expect(screen.slice(-3)).toEqual([
      expect.stringMatching(/^\[debug\] POST \/backend-api\/conversation\/gen_title\//),
      '[debug] titled the new conversation "A first message"',
      '> half-typed'
    ])
    for (const line of screen) if (!line.startsWith('[debug] ')) expect(line).not.toContain('[debug]')
    for (const line of screen) expect(line).not.toMatch(SPINNER)
    stdin.type('\x15/exit\r')
    await session
    await proxy.close()
  })

  it('/exit and a second Ctrl-C do not add a blank line', async () => {
    const { box, env } = await home()
    const stdin = new FakeTerminalInput()
    const stdout = new FakeTerminalOutput()
    const ctx = fakeContext({ env, cwd: box.cwd, stdin, stdout })
    const session = chat(ctx, {})
    await until(() => stdout.screen().at(-1) === '> ', 'the prompt')
    stdin.type('/exit\r')
    expect(await session).toBe(EXIT.ok)
    expect(stdout.screen().slice(-2)).toEqual(['> /exit', ''])
  })

  it('titles the conversation it starts, after the first reply, as the web app does', async () => {
    const { box, env } = await home()
    const stdin = new FakeTerminalInput()
    const stdout = new FakeTerminalOutput()
    const ctx = fakeContext({ env, cwd: box.cwd, stdin, stdout })
    const before = backend.conversations.size
    const session = chat(ctx, {})
    await until(() => stdout.screen().at(-1) === '> ', 'the prompt')
    stdin.type('plan a picnic by the lake\r')
    await until(() => stdout.text.includes('Voilà') && stdout.screen().at(-1) === '> ', 'the reply')
    stdin.type('and a second message\r')
    await until(() => stdout.text.split('Voilà').length === 3 && stdout.screen().at(-1) === '> ', 'the second reply')
    stdin.type('\x04')
    await session
    const made = backend.conversations.list().slice(before).filter((c) => c.title === 'Plan a picnic by the lake')
    expect(made).toHaveLength(1)
    // Once: after the first reply only.
    const titled = backend.requests.filter((r) => r.path === `/backend-api/conversation/gen_title/${made[0]!.id}`)
    expect(titled).toHaveLength(1)
  })
})

describe('the chat history file', () => {
  it('is created with mode 0600, in a 0700 directory', async () => {
    const { box } = await home()
    const path = join(box.stateHome, 'chatgpt', 'chat-history')
    const umask = process.umask(0o002)
    try {
      await appendHistory(path, 'first\nsecond line')
    } finally {
      process.umask(umask)
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(join(box.stateHome, 'chatgpt'))).mode & 0o777).toBe(0o700)
    expect(await loadHistory(path, 10)).toEqual(['first\nsecond line'])
  })

  it('an existing file others may read is made 0600 when written or read', async () => {
    const { box } = await home()
    const dir = join(box.stateHome, 'chatgpt')
    await mkdir(dir, { recursive: true })
    const path = join(dir, 'chat-history')
    await writeFile(path, 'old\n')
    await chmod(path, 0o644)
    await appendHistory(path, 'new')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    await chmod(path, 0o664)
    expect(await loadHistory(path, 10)).toEqual(['new', 'old'])
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('a symbolic link in its place is neither followed for writing nor for reading', async () => {
    const { box } = await home()
    const dir = join(box.stateHome, 'chatgpt')
    await mkdir(dir, { recursive: true })
    const target = join(box.dir, 'victim')
    await writeFile(target, 'precious\n')
    await chmod(target, 0o644)
    const path = join(dir, 'chat-history')
    await symlink(target, path)
    await expect(appendHistory(path, 'secret prompt')).rejects.toBeInstanceOf(HistoryFileError)
    await expect(loadHistory(path, 10)).rejects.toBeInstanceOf(HistoryFileError)
    expect(await readFile(target, 'utf8')).toBe('precious\n')
    expect((await stat(target)).mode & 0o777).toBe(0o644)
    expect((await lstat(path)).isSymbolicLink()).toBe(true)
  })

  it('a chat session with a symlinked history warns once and leaves the link and its target alone', async () => {
    const { box, env } = await home()
    const dir = join(box.stateHome, 'chatgpt')
    await mkdir(dir, { recursive: true })
    const target = join(box.dir, 'victim')
    await writeFile(target, 'precious\n')
    await symlink(target, join(dir, 'chat-history'))
    const stdin = new FakeTerminalInput()
    const stdout = new FakeTerminalOutput()
    const stderr = new FakeTerminalOutput()
    const ctx = fakeContext({ env, cwd: box.cwd, stdin, stdout, stderr })
    const session = chat(ctx, {})
    await until(() => stdout.screen().at(-1) === '> ', 'the prompt')
    stdin.type('/help\r')
    await until(() => stdout.text.includes('/rollback') && stdout.screen().at(-1) === '> ', 'the help')
    stdin.type('/help\r')
    await until(() => stdout.text.split('/rollback').length === 3 && stdout.screen().at(-1) === '> ', 'the help again')
    stdin.type('\x04')
    await session
    expect(stderr.text.match(/is a symbolic link/g)).toHaveLength(1)
    expect(await readFile(target, 'utf8')).toBe('precious\n')
  })
})

describe('[y/N] questions', () => {
  it('Ctrl-C stops the command with exit 130 (interrupted), not 1', async () => {
    const stdin = new FakeTerminalInput()
    const stderr = new FakeTerminalOutput()
    const ctx = fakeContext({ env: {}, cwd: '.', stdin, stderr })
    const answer = confirm(ctx, 'Really? [y/N] ')
    stdin.type('y\x03')
    const error = await answer.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(InterruptedError)
    expect(describeError(error).exitCode).toBe(EXIT.interrupted)
    expect(stdin.isRaw).toBe(false)
  })

  it('y or yes is yes; anything else, or Ctrl-D, is no, and what follows starts on a new line', async () => {
    for (const [keys, expected] of [['y\r', true], ['YES\r', true], ['n\r', false], ['\r', false], ['maybe\r', false], ['\x04', false]] as const) {
      const stdin = new FakeTerminalInput()
      const stderr = new FakeTerminalOutput()
      const ctx = fakeContext({ env: {}, cwd: '.', stdin, stderr })
      const answer = confirm(ctx, 'Really? [y/N] ')
      stdin.type(keys)
      expect(await answer, JSON.stringify(keys)).toBe(expected)
      expect(stderr.screen().at(-1), JSON.stringify(keys)).toBe('')
    }
  })

  it('a SIGINT from elsewhere (the command signal aborted) stops the question too', async () => {
    const stdin = new FakeTerminalInput()
    const ctx = fakeContext({ env: {}, cwd: '.', stdin })
    const answer = confirm(ctx, 'Really? [y/N] ')
    ctx.interrupt.press()
    await expect(answer).rejects.toBeInstanceOf(InterruptedError)
  })

  it('`conversations clear`: Ctrl-C at the question deletes nothing and exits 130', async () => {
    const { box, env } = await home()
    const account = { ...env }
    const first = new Pipe()
    await ask(fakeContext({ env: account, cwd: box.cwd, stdout: first, stderr: new Pipe() }), ['keep', 'me'], {})
    const stdin = new FakeTerminalInput()
    const stderr = new FakeTerminalOutput()
    const ctx = fakeContext({ env: account, cwd: box.cwd, stdin, stderr, stdout: new Pipe() })
    const cleared = clear(ctx, {})
    await until(() => stderr.text.includes('[y/N]'), 'the question')
    stdin.type('\x03')
    const error = await cleared.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(describeError(error).exitCode).toBe(EXIT.interrupted)
    expect(backend.requests.filter((r) => r.method === 'PATCH' && r.path === '/backend-api/conversations')).toHaveLength(0)
  })
})

describe('titling a new conversation', () => {
  it('a failure is a debug line, and never an error', async () => {
    const api = new ChatGPTAPI({
      sessionToken: backend.sessionToken,
      clearanceToken: backend.clearanceToken,
      apiBaseUrl: backend.apiBaseUrl,
      backendApiBaseUrl: backend.backendApiBaseUrl
    })
    const lines: string[] = []
    const missing = { conversationId: randomUUID(), messageId: randomUUID() }
    await expect(titleNewConversation(api, missing, { debug: (line) => lines.push(line) })).resolves.toBeUndefined()
    expect(lines).toEqual([expect.stringMatching(/^could not title the new conversation: .*Conversation not found/)])
    await expect(titleNewConversation(api, missing, {})).resolves.toBeUndefined()

    const reply = await api.sendMessageDetailed('name this one')
    await titleNewConversation(api, { conversationId: reply.conversationId!, messageId: reply.messageId! }, { debug: (line) => lines.push(line) })
    expect(lines[1]).toBe('titled the new conversation "Name this one"')
  })
})
