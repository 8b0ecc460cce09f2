/**
 * The gateway under load and spread over processes, as the users run it: 16 requests at
 * once over 4 accounts through one gateway; then three `chatgpt serve` processes on one Redis over
 * the same accounts and one test backend: follow-ups that land on their account whichever process
 * gets them, load across the processes, a process killed with -9 while it holds a lease, and Redis
 * going away and coming back. The backend counts collisions (two replies asked of an account at
 * once); nothing here is timed. The processes run the built command (`npm run build` first).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { Redis } from 'ioredis'
import OpenAI from 'openai'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

import { createTestBackend, type TestBackend, type TestBackendOptions } from '../packages/chatgpt-kit/src/testing/index.js'
import { until } from './helpers/backend.js'
import { assertBuilt, sandbox, spawnCli } from './helpers/cli.js'
import { gatewaySetup } from './helpers/gateway.js'
import { PrivateRedis, SHARED_REDIS_URL, deletePrefix, testPrefix } from './helpers/redis.js'

const KEY = 'sk-multiprocess-test-key'
const MODEL = 'gpt-4o'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

type ConversationBody = { conversation_id?: string; parent_message_id: string; messages: { content: { parts: string[] } }[] }

/** The conversation requests the backend received, in order. */
function conversationPosts(backend: TestBackend): ConversationBody[] {
  return backend.requests.filter((r) => r.method === 'POST' && r.path === '/backend-api/conversation').map((r) => r.body as ConversationBody)
}

/** Every account asked for a reply was asked one at a time, and none refused one as "one message at a time". */
function expectNoCollisions(backend: TestBackend): void {
  for (const [user, stats] of Object.entries(backend.replyStats())) {
    expect({ user, maxInFlight: stats.maxInFlight, refused: stats.refused }).toEqual({ user, maxInFlight: 1, refused: 0 })
  }
}

/** One reply through the official client, streamed or not: its text. */
async function ask(openai: OpenAI, messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[], stream: boolean): Promise<string> {
  if (!stream) {
    const completion = await openai.chat.completions.create({ model: MODEL, messages })
    expect(completion.choices[0]!.finish_reason).toBe('stop')
    return completion.choices[0]!.message.content!
  }
  const chunks = await openai.chat.completions.create({ model: MODEL, messages, stream: true })
  let text = ''
  let finish: string | null = null
  for await (const chunk of chunks) {
    text += chunk.choices[0]?.delta.content ?? ''
    finish = chunk.choices[0]?.finish_reason ?? finish
  }
  expect(finish).toBe('stop')
  return text
}

function chatBody(content: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }], ...extra })
}

describe('one gateway under load', () => {
  it('answers 16 requests at once over 4 accounts, streamed and not, with no collision at the backend', { timeout: 60_000 }, async () => {
    const { openai, backend } = await gatewaySetup(4, { backend: { eventDelayMs: 2, tokensPerEvent: 1 } })
    const prompts = Array.from({ length: 16 }, (_, i) => `request ${i} of sixteen at once`)
    const replies = await Promise.all(prompts.map((prompt, i) => ask(openai, [{ role: 'user', content: prompt }], i % 2 === 1)))
    expect(replies).toEqual(prompts.map((prompt) => `echo ${prompt}`))
    // Each sent once: no collision made the pool send one again.
    expect(conversationPosts(backend)).toHaveLength(16)
    expect(Object.keys(backend.replyStats())).toHaveLength(4)
    expectNoCollisions(backend)
  })
})

type ServeProcess = {
  url: string
  openai: OpenAI
  /** A raw request with the API key. */
  request(path: string, init?: RequestInit): Promise<Response>
  kill(signal: NodeJS.Signals): Promise<void>
  stderr(): string
}

/**
 * A test backend with `accountCount` accounts ('acct-0', …) in an accounts file, and a way to start
 * `chatgpt serve` processes over them on `redisUrl` under a fresh prefix (deleted after the test).
 */
async function fleet(accountCount: number, opts: { backend?: TestBackendOptions; redisUrl?: string } = {}) {
  const redisUrl = opts.redisUrl ?? SHARED_REDIS_URL
  const backend = await createTestBackend({ reply: (prompt) => `echo ${prompt}`, ...opts.backend })
  cleanups.push(() => backend.close())
  const box = await sandbox()
  cleanups.push(() => box.cleanup())
  const prefix = testPrefix('gateway-multiprocess')
  // Registered before any process starts, so it runs after they are all killed.
  cleanups.push(() => deletePrefix(prefix, redisUrl))
  const accounts = Array.from({ length: accountCount }, (_, i) => {
    const account = backend.addAccount({ name: `Account ${i}` })
    return { id: `acct-${i}`, sessionToken: account.sessionToken, clearanceToken: backend.clearanceToken, userId: account.user.id }
  })
  const accountsFile = join(box.dir, 'accounts.json')
  await writeFile(accountsFile, JSON.stringify(accounts.map(({ userId: _, ...entry }) => entry)), { mode: 0o600 })
  const env = { ...box.env, CHATGPT_BASE_URL: backend.url }

  async function start(): Promise<ServeProcess> {
    const args = ['serve', '--port', '0', '--accounts', accountsFile, '--api-key', KEY, '--redis', redisUrl, '--redis-prefix', prefix, '--store', 'redis']
    const child = spawnCli(args, { env, cwd: box.cwd })
    child.stdin.end()
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await child.done
    })
    // Generous: three processes start at once on a loaded 2-core machine.
    await until(() => child.output().stdout.includes('\n') || child.exitCode !== null, 'the listening line', 6000)
    const { stdout, stderr } = child.output()
    const match = /^listening (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(stdout)
    if (!match) throw new Error(`no listening line: ${JSON.stringify({ stdout, stderr: stderr.slice(-1000) })}`)
    const url = match[1]!
    return {
      url,
      openai: new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0, timeout: 60_000 }),
      request: (path, init = {}) =>
        fetch(`${url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) }
        }),
      async kill(signal) {
        child.kill(signal)
        await child.done
      },
      stderr: () => child.output().stderr
    }
  }

  return {
    backend,
    prefix,
    accounts,
    /** Starts `count` processes at once. */
    start: (count: number) => Promise.all(Array.from({ length: count }, () => start()))
  }
}

describe('three chatgpt serve processes on one Redis', () => {
  beforeAll(assertBuilt)

  it('continue a conversation on its account whichever process gets each turn, sending only the new message', { timeout: 120_000 }, async () => {
    const { backend, accounts, start } = await fleet(4)
    const [first, second, third] = await start(3)
    // A fresh process starts with acct-0, so a follow-up that ignored its binding would go there.
    // Two earlier requests make the first process put the conversation on another account.
    for (const warmUp of ['warm-up one', 'warm-up two']) await ask(first!.openai, [{ role: 'user', content: warmUp }], false)
    const before = conversationPosts(backend).length

    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'turn one' }]
    const turns: [ServeProcess, string, boolean][] = [
      [first!, 'turn two', false],
      [second!, 'turn three', true],
      [third!, '', false]
    ]
    const replies: string[] = []
    for (const [gateway, next, stream] of turns) {
      const reply = await ask(gateway.openai, messages, stream)
      replies.push(reply)
      if (next) messages.push({ role: 'assistant', content: reply }, { role: 'user', content: next })
    }
    expect(replies).toEqual(['echo turn one', 'echo turn two', 'echo turn three'])

    const sent = conversationPosts(backend).slice(before)
    expect(sent).toHaveLength(3)
    expect(sent[0]!.conversation_id).toBeUndefined()
    const conversationId = sent[1]!.conversation_id
    expect(conversationId).toBeDefined()
    expect(sent[2]!.conversation_id).toBe(conversationId)
    // Only the new message each time, not the transcript replayed.
    expect(sent.map((body) => body.messages.map((message) => message.content.parts.join('')))).toEqual([['turn one'], ['turn two'], ['turn three']])
    // The backend answers a conversation only to its owner: every turn ran on that one account,
    // and it is not the one a fresh process would have picked.
    const conversation = backend.conversations.get(conversationId!)!
    expect(conversation.ownerId).not.toBe(accounts[0]!.userId)
    const userTurns = Object.values(conversation.mapping).filter((node) => node.message?.author.role === 'user')
    expect(userTurns.map((node) => node.message!.content.parts.join(''))).toEqual(['turn one', 'turn two', 'turn three'])
    expect(backend.conversations.size).toBe(3)
    expectNoCollisions(backend)
  })

  it('make a follow-up wait for its account while another process holds it, though another account is idle', { timeout: 120_000 }, async () => {
    const { backend, start } = await fleet(2, { backend: { eventDelayMs: 10, tokensPerEvent: 1 } })
    const [holder, waiter] = await start(2)
    const turnOne = await ask(holder!.openai, [{ role: 'user', content: 'turn one' }], false)
    expect(backend.conversations.size).toBe(1)
    const { id: conversationId, ownerId: owner } = backend.conversations.list()[0]!
    const followUp = (content: string) => [
      { role: 'user' as const, content: 'turn one' },
      { role: 'assistant' as const, content: turnOne },
      { role: 'user' as const, content }
    ]

    // One follow-up streams a long reply on the owner through the first process, holding its
    // lease for seconds. It ends by itself: a reply cut short by its client frees the lease
    // before the backend has seen it end (the pool then retries a collision; not tested here).
    const longPrompt = `branch a ${'word '.repeat(600).trim()}`
    const long = ask(holder!.openai, followUp(longPrompt), true)
    await until(() => backend.inFlight === 1, 'the long follow-up', 3000)

    // Another follow-up of the same conversation, through the second process, waits for it.
    const waiting = ask(waiter!.openai, followUp('branch b'), false)
    let metrics = ''
    for (let i = 0; i < 300 && !/^chatgpt_gateway_waiting_requests 1$/m.test(metrics); i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100))
      metrics = await (await waiter!.request('/metrics')).text()
    }
    expect(metrics).toMatch(/^chatgpt_gateway_waiting_requests 1$/m)
    // Seen waiting while the long reply still streamed, and not moved to the idle account.
    expect(backend.inFlight).toBe(1)
    expect(conversationPosts(backend)).toHaveLength(2)

    expect(await long).toBe(`echo ${longPrompt}`)
    expect(await waiting).toBe('echo branch b')
    const sent = conversationPosts(backend)
    expect(sent).toHaveLength(3)
    expect(sent.slice(1).map((body) => [body.conversation_id, body.messages[0]!.content.parts[0]])).toEqual([
      [conversationId, longPrompt],
      [conversationId, 'branch b']
    ])
    expect(backend.conversations.size).toBe(1)
    // Only the owner was ever asked for a reply; the other account stayed idle throughout.
    expect(Object.keys(backend.replyStats())).toEqual([owner])
    expectNoCollisions(backend)
  })

  it('share 4 accounts under load from all three: every request answered, no collision at the backend', { timeout: 120_000 }, async () => {
    const { backend, start } = await fleet(4, { backend: { eventDelayMs: 2, tokensPerEvent: 1 } })
    const processes = await start(3)
    const jobs = processes.flatMap((gateway, p) =>
      Array.from({ length: 8 }, (_, i) => ({ gateway, prompt: `process ${p} request ${i} under load`, stream: i % 2 === 0 }))
    )
    const replies = await Promise.all(jobs.map(({ gateway, prompt, stream }) => ask(gateway.openai, [{ role: 'user', content: prompt }], stream)))
    expect(replies).toEqual(jobs.map(({ prompt }) => `echo ${prompt}`))
    expect(conversationPosts(backend)).toHaveLength(24)
    // Load from three processes at once spread over more than one account (or there was no contention to test).
    expect(Object.keys(backend.replyStats()).length).toBeGreaterThan(1)
    expectNoCollisions(backend)
  })

  it('after kill -9 of a process mid-reply, the others serve its account once its lease expires, never before', { timeout: 120_000 }, async () => {
    const { backend, prefix, accounts, start } = await fleet(1)
    const [victim, ...others] = await start(3)
    // The victim's reply stalls after one chunk: it holds the account's lease when it dies.
    backend.fault({ type: 'stall', afterEvents: 1, userId: accounts[0]!.userId })
    const stalled = await victim!.request('/v1/chat/completions', { method: 'POST', body: chatBody('the reply that never ends', { stream: true }) })
    expect(stalled.status).toBe(200)
    void stalled.body!.pipeTo(new WritableStream()).catch(() => {})
    await until(() => backend.inFlight === 1, 'the stalled reply')

    const redis = new Redis(SHARED_REDIS_URL)
    cleanups.push(async () => redis.disconnect())
    const leaseKey = `${prefix}lease:${accounts[0]!.id}`
    const deadHoldersToken = await redis.get(leaseKey)
    expect(deadHoldersToken).not.toBeNull()
    await victim!.kill('SIGKILL')

    // Both survivors ask for the account now; neither may send while the dead holder's lease lasts.
    const pending = others.map((gateway, i) => ask(gateway.openai, [{ role: 'user', content: `after the kill ${i}` }], i === 1))
    const settled = Promise.allSettled(pending)
    let observedDuringLease = 0
    for (;;) {
      // Counted first: if the dead holder's token is still there afterwards, the count was taken under its lease.
      const posts = conversationPosts(backend).length
      if ((await redis.get(leaseKey)) !== deadHoldersToken) break
      expect(posts).toBe(1)
      observedDuringLease++
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    // The lease outlived the kill by a good while (about 10 s), so the loop really watched it.
    expect(observedDuringLease).toBeGreaterThan(3)
    const results = await settled
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : String(result.reason)))).toEqual([
      'echo after the kill 0',
      'echo after the kill 1'
    ])
    expect(conversationPosts(backend)).toHaveLength(3)
    expectNoCollisions(backend)
  })
})

describe('chatgpt serve processes when Redis goes away', () => {
  beforeAll(assertBuilt)

  it('answer 503 store_unavailable in bounded time (not a hang), say not ready, and serve again once Redis is back', { timeout: 120_000 }, async () => {
    const redis = await PrivateRedis.start()
    cleanups.push(() => redis.stop())
    const { backend, start } = await fleet(1, { redisUrl: redis.url })
    const processes = await start(2)
    const first = await ask(processes[0]!.openai, [{ role: 'user', content: 'before the outage' }], false)
    expect(first).toBe('echo before the outage')
    for (const gateway of processes) expect((await gateway.request('/readyz')).status).toBe(200)

    await redis.stop()
    const followUp = JSON.stringify({
      model: MODEL,
      messages: [
        { role: 'user', content: 'before the outage' },
        { role: 'assistant', content: first },
        { role: 'user', content: 'during the outage' }
      ]
    })
    for (const gateway of processes) {
      for (const body of [chatBody('during the outage'), chatBody('during the outage', { stream: true }), followUp]) {
        // A hang becomes a failure here, not a 503.
        const response = await gateway.request('/v1/chat/completions', { method: 'POST', body, signal: AbortSignal.timeout(15_000) })
        const answer = (await response.json()) as { error?: { code?: string } }
        expect({ status: response.status, code: answer.error?.code }).toEqual({ status: 503, code: 'store_unavailable' })
      }
      const ready = await gateway.request('/readyz', { signal: AbortSignal.timeout(15_000) })
      expect(ready.status).toBe(503)
    }
    // Nothing reached the backend while coordination was down.
    expect(conversationPosts(backend)).toHaveLength(1)

    await redis.start()
    for (const gateway of processes) {
      // ioredis reconnects by itself (backing off up to a second): readiness follows.
      let status = 0
      for (let i = 0; i < 300 && status !== 200; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100))
        status = (await gateway.request('/readyz', { signal: AbortSignal.timeout(15_000) })).status
      }
      expect(status, gateway.stderr().slice(-1000)).toBe(200)
    }
    const after = await Promise.all(processes.map((gateway, i) => ask(gateway.openai, [{ role: 'user', content: `after the outage ${i}` }], i === 1)))
    expect(after).toEqual(['echo after the outage 0', 'echo after the outage 1'])
    expectNoCollisions(backend)
  })
})
