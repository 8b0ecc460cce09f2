/**
 * `chatgpt serve` as scripts drive it: the one `listening URL` line on stdout, an accounts file,
 * API keys, the refusals that keep accounts safe, JSON logs without secrets, and SIGTERM letting
 * a reply in flight finish before exit 0. It runs the built command (`npm test` builds first).
 */
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import OpenAI from 'openai'
import { beforeAll, describe, expect, it } from 'vitest'

import type { TestBackendOptions } from '../packages/chatgpt-kit/src/testing/index.js'
import { until } from './helpers/backend.js'
import { assertBuilt, runCli } from './helpers/cli.js'
import { afterTest, serveSetup, startServe } from './helpers/serve.js'

beforeAll(assertBuilt)


const KEY = 'sk-serve-test-key'

const setup = (accountCount = 2, backendOptions: TestBackendOptions = {}) => serveSetup(accountCount, backendOptions)

describe('chatgpt serve', () => {
  it('prints exactly one listening line, answers the openai client with an API key, and logs JSON lines without secrets', { timeout: 60_000 }, async () => {
    const { backend, box, accounts, accountsFile, env } = await setup()
    const { child, url } = await startServe(['--accounts', accountsFile, '--api-key', KEY, '--store', 'memory'], env, box.cwd)
    const openai = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 })
    const completion = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] })
    expect(completion.choices[0]!.message.content).toBe('echo hello')
    const unauthorized = await fetch(`${url}/v1/models`)
    expect(unauthorized.status).toBe(401)

    child.kill('SIGTERM')
    const result = await child.done
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`listening ${url}\n`)
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    const requests = lines.filter((line) => line.msg === 'request')
    expect(requests.map((line) => [line.path, line.status])).toEqual([
      ['/v1/chat/completions', 200],
      ['/v1/models', 401]
    ])
    for (const secret of [KEY, backend.clearanceToken, ...accounts.map((a) => a.sessionToken)]) expect(result.stderr).not.toContain(secret)
  })

  it('on SIGTERM lets a streaming reply finish, then exits 0', { timeout: 60_000 }, async () => {
    const { box, accountsFile, env } = await setup(1, { eventDelayMs: 30, tokensPerEvent: 1 })
    const { child, url } = await startServe(['--accounts', accountsFile, '--store', 'memory'], env, box.cwd)
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] })
    })
    const reader = response.body!.getReader()
    await reader.read()
    child.kill('SIGTERM')
    let text = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    expect(text).toContain('data: [DONE]')
    expect(text).toContain('eight')
    expect((await child.done).code).toBe(0)
  })

  it('keeps stdout to the one line when clients go away mid-stream', { timeout: 60_000 }, async () => {
    const { box, accountsFile, env, backend } = await setup(1, { eventDelayMs: 30, tokensPerEvent: 1 })
    const { child, url } = await startServe(['--accounts', accountsFile, '--store', 'memory'], env, box.cwd)
    for (let i = 0; i < 3; i++) {
      const client = new AbortController()
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] }),
        signal: client.signal
      })
      await response.body!.getReader().read()
      client.abort()
      await until(() => backend.inFlight === 0, 'the upstream reply to stop')
    }
    child.kill('SIGTERM')
    const result = await child.done
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`listening ${url}\n`)
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.filter((line) => line.msg === 'request').map((line) => line.status)).toEqual([499, 499, 499])
  })

  it('serves the signed-in account when no accounts file is given, keeping conversations in SQLite in the state directory', { timeout: 60_000 }, async () => {
    const { backend, box } = await setup(0)
    const env = { ...box.env, CHATGPT_BASE_URL: backend.url, SESSION_TOKEN: backend.sessionToken, CLEARANCE_TOKEN: backend.clearanceToken }
    const first = await startServe([], env, box.cwd)
    const openai = new OpenAI({ apiKey: 'none', baseURL: `${first.url}/v1`, maxRetries: 0 })
    const reply = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'first' }] })
    first.child.kill('SIGTERM')
    expect((await first.child.done).code).toBe(0)

    // A restarted gateway continues the conversation: the store outlived the process.
    const second = await startServe([], env, box.cwd)
    const again = new OpenAI({ apiKey: 'none', baseURL: `${second.url}/v1`, maxRetries: 0 })
    await again.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: reply.choices[0]!.message.content! },
        { role: 'user', content: 'second' }
      ]
    })
    const posts = backend.requests.filter((r) => r.path === '/backend-api/conversation').map((r) => r.body as { conversation_id?: string })
    expect(posts).toHaveLength(2)
    expect(posts[1]!.conversation_id).toBeDefined()
  })
})

describe('chatgpt serve with protocol 2026 accounts', () => {
  it("serves accounts marked protocol '2026' through today's send sequence, each on its own device id", { timeout: 60_000 }, async () => {
    const { backend, box, accounts, env } = await setup(2, { protocol: '2026' })
    const deviceIds = ['6f1d2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b', '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d']
    const file = join(box.dir, 'accounts-2026.json')
    await writeFile(file, JSON.stringify(accounts.map((account, i) => ({ ...account, protocol: '2026', deviceId: deviceIds[i] }))), { mode: 0o600 })
    const { child, url } = await startServe(['--accounts', file, '--store', 'memory'], env, box.cwd)
    const openai = new OpenAI({ apiKey: 'none', baseURL: `${url}/v1`, maxRetries: 0 })
    const replies = await Promise.all(
      ['one', 'two'].map((content) => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] }))
    )
    expect(replies.map((reply) => reply.choices[0]!.message.content)).toEqual(['echo one', 'echo two'])
    expect(backend.requests.filter((r) => r.path === '/backend-api/f/conversation')).toHaveLength(2)
    expect([...backend.deviceIds].sort()).toEqual([...deviceIds].sort())
    child.kill('SIGTERM')
    expect((await child.done).code).toBe(0)
  })

  it('refuses an unknown protocol in the accounts file, naming the account', async () => {
    const { box, accounts, env } = await setup(1)
    const file = join(box.dir, 'accounts-bad.json')
    await writeFile(file, JSON.stringify([{ ...accounts[0], protocol: '2099' }]), { mode: 0o600 })
    const result = await runCli(['serve', '--port', '0', '--accounts', file, '--store', 'memory'], { env, cwd: box.cwd })
    expect(result.code).not.toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/acct-0.*protocol/)
  })
})

describe('chatgpt serve refuses', () => {
  it('to listen on a non-loopback host without an API key (exit 2)', async () => {
    const { box, accountsFile, env } = await setup(1)
    const result = await runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--accounts', accountsFile], { env, cwd: box.cwd })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/without an API key/)
  })

  it('a malformed accounts file, naming the entry and field but no token (exit 2)', async () => {
    const { box, env } = await setup(0)
    const file = join(box.dir, 'bad.json')
    const cases: [string, RegExp][] = [
      ['{"id": "a", "sessionToken": "secret-token-value-1"', /not valid JSON/],
      ['[{"id": "a", "session_token": "secret-token-value-1"}]', /account 1 has unknown field "session_token"/],
      ['[{"id": "a"}]', /account 1 \("a"\) needs a "sessionToken"/],
      ['[{"id": "a", "sessionToken": "secret-token-value-1"}, {"id": "a", "sessionToken": "secret-token-value-2"}]', /account 2: the id "a" is used twice/],
      ['[]', /non-empty JSON array/],
      ['[{"id": "a", "sessionToken": 42}]', /"sessionToken" must be a non-empty string/]
    ]
    for (const [content, message] of cases) {
      await writeFile(file, content)
      await chmod(file, 0o600)
      const result = await runCli(['serve', '--port', '0', '--accounts', file], { env, cwd: box.cwd })
      expect({ content, code: result.code }).toEqual({ content, code: 2 })
      expect(result.stderr).toMatch(message)
      expect(result.stderr).not.toContain('secret-token-value')
    }
  })

  it('--store redis without --redis, and a bad --store (exit 2)', async () => {
    const { box, accountsFile, env } = await setup(1)
    for (const store of ['redis', 'mongo', 'sqlite:']) {
      const result = await runCli(['serve', '--port', '0', '--accounts', accountsFile, '--store', store], { env, cwd: box.cwd })
      expect(result.code).toBe(2)
    }
  })

  it('with a warning, an accounts file that others may read', { timeout: 60_000 }, async () => {
    const { box, accountsFile, env } = await setup(1)
    await chmod(accountsFile, 0o644)
    const { child } = await startServe(['--accounts', accountsFile, '--store', 'memory'], env, box.cwd)
    child.kill('SIGTERM')
    const result = await child.done
    expect(result.stderr).toMatch(/others may read it: chmod 600/)
  })
})
