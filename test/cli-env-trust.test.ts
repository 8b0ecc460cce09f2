/**
 * A `.env` file in the working directory is the least trusted source of settings (any directory
 * the user cds into, a cloned repository's for one): its CHATGPT_BASE_URL may only take the
 * tokens of the same file (or those stored for that very URL by `chatgpt login`), never the
 * user's own from the command line or the environment. The hostile backend here is a raw
 * loopback server recording every request and the credentials it carried.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { describe, expect, it, vi } from 'vitest'

import { defaultReply } from '../packages/chatgpt-kit/src/testing/index.js'
import { cliTestBackend, runCli } from './helpers/cli.js'
import { startRawServer } from './helpers/raw-server.js'

// Tests spawn the command several times in a row (each start takes a second or more on a busy
// machine): the bound is there to catch a hang, not to time anything.
vi.setConfig({ testTimeout: 60_000 })

const cli = cliTestBackend()

/**
 * A server that answers 404 to everything and records which credentials reached it. Tests using
 * one are not concurrent: raw servers are closed after each test, whichever test they belong to.
 */
async function hostileServer() {
  const seen: string[] = []
  const server = await startRawServer((req, res) => {
    seen.push([req.headers.cookie, req.headers.authorization].filter(Boolean).join(' '))
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end('{"detail":"Not Found"}')
  })
  return { server, seen }
}

/** A sandbox whose working directory holds a `.env` with `lines`. */
async function boxWithDotenv(lines: string[]) {
  const box = await cli.sandbox()
  await writeFile(join(box.cwd, '.env'), lines.join('\n') + '\n')
  return box
}

// The user's own tokens, as they would be in their shell.
const SESSION = 'users-own-session-token-0123456789'
const CLEARANCE = 'users-own-clearance-token-0123456789'
const ACCESS = 'users-own-access-token-0123456789'

describe('a .env naming a backend', () => {
  it('does not get tokens from the environment, whatever the command: exit 2, nothing sent', async () => {
    const { server, seen } = await hostileServer()
    const box = await boxWithDotenv([`CHATGPT_BASE_URL=${server.url}`])
    const env = { ...box.env, SESSION_TOKEN: SESSION, CLEARANCE_TOKEN: CLEARANCE, ACCESS_TOKEN: ACCESS }
    for (const [args, input] of [
      [['hi'], ''],
      [['--json', 'hi'], ''],
      [['chat'], 'hi\n'],
      [['auth'], ''],
      [['auth', '--json'], ''],
      [['login'], ''],
      [['models'], ''],
      [['conversations', 'ls'], '']
    ] as const) {
      const result = await runCli([...args], { env, cwd: box.cwd, input })
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toContain(join(box.cwd, '.env'))
      expect(result.stderr).toMatch(/session token comes from the environment/)
      expect(result.stderr).toContain(`--base-url ${server.url}`)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      for (const token of [SESSION, CLEARANCE, ACCESS]) expect(result.stderr).not.toContain(token)
    }
    expect(server.requests).toEqual([])
    expect(seen).toEqual([])
  })

  it('does not get tokens from the command line, nor mixed with its own', async () => {
    const { server, seen } = await hostileServer()
    const box = await boxWithDotenv([`CHATGPT_BASE_URL=${server.url}`, 'SESSION_TOKEN=the-files-own-session-token'])
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--session-token', SESSION, 'hi'], {}, /session token comes from the command line/],
      [['--clearance-token', CLEARANCE, 'hi'], {}, /clearance token comes from the command line/],
      [['--access-token', ACCESS, 'hi'], {}, /access token comes from the command line/],
      [['hi'], { CLEARANCE_TOKEN: CLEARANCE }, /clearance token comes from the environment/],
      [['hi'], { ACCESS_TOKEN: ACCESS }, /access token comes from the environment/],
      [['login', '--session-token', SESSION], {}, /session token comes from the command line/]
    ]
    for (const [args, extra, reason] of cases) {
      const result = await runCli(args, { env: { ...box.env, ...extra }, cwd: box.cwd })
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toMatch(reason)
      for (const token of [SESSION, CLEARANCE, ACCESS]) expect(result.stderr).not.toContain(token)
    }
    expect(server.requests).toEqual([])
    expect(seen).toEqual([])
  })

  it('does not get the tokens `chatgpt login` stored for another backend', async () => {
    const { server } = await hostileServer()
    const box = await cli.sandbox()
    const account = cli.backend.addAccount()
    const login = await runCli(['login', '--base-url', cli.backend.url, '--session-token', account.sessionToken, '--clearance-token', cli.backend.clearanceToken], {
      env: box.env,
      cwd: box.cwd
    })
    expect(login.code, login.stderr).toBe(0)
    await writeFile(join(box.cwd, '.env'), `CHATGPT_BASE_URL=${server.url}\n`)
    const result = await runCli(['hi'], { env: box.env, cwd: box.cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/not signed in/)
    expect(server.requests).toEqual([])
  })
})

describe('what stays allowed', () => {
  it.concurrent('a .env with its own backend and tokens', async () => {
    const box = await boxWithDotenv([
      `CHATGPT_BASE_URL=${cli.backend.url}`,
      `SESSION_TOKEN=${cli.backend.addAccount().sessionToken}`,
      `CLEARANCE_TOKEN=${cli.backend.clearanceToken}`
    ])
    const result = await runCli(['from the file'], { env: box.env, cwd: box.cwd })
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: defaultReply('from the file') + '\n' })
  })

  it.concurrent('a .env backend with the tokens `chatgpt login` stored for that very backend', async () => {
    const box = await cli.sandbox()
    const account = cli.backend.addAccount()
    const login = await runCli(['login', '--base-url', cli.backend.url, '--session-token', account.sessionToken, '--clearance-token', cli.backend.clearanceToken], {
      env: box.env,
      cwd: box.cwd
    })
    expect(login.code, login.stderr).toBe(0)
    await writeFile(join(box.cwd, '.env'), `CHATGPT_BASE_URL=${cli.backend.url}\n`)
    const result = await runCli(['stored for it'], { env: box.env, cwd: box.cwd })
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: defaultReply('stored for it') + '\n' })
  })

  it('tokens from the environment with --base-url or CHATGPT_BASE_URL, which outrank the .env', async () => {
    const { server } = await hostileServer()
    const box = await boxWithDotenv([`CHATGPT_BASE_URL=${server.url}`])
    const env = { ...box.env, SESSION_TOKEN: cli.backend.addAccount().sessionToken, CLEARANCE_TOKEN: cli.backend.clearanceToken }
    const flag = await runCli(['--base-url', cli.backend.url, 'by flag'], { env, cwd: box.cwd })
    expect(flag, flag.stderr).toMatchObject({ code: 0, stdout: defaultReply('by flag') + '\n' })
    const variable = await runCli(['by variable'], { env: { ...env, CHATGPT_BASE_URL: cli.backend.url }, cwd: box.cwd })
    expect(variable, variable.stderr).toMatchObject({ code: 0, stdout: defaultReply('by variable') + '\n' })
    expect(server.requests).toEqual([])
  })
})
