/**
 * The pool against careless callers and broken parts: unusable options fail at once and say
 * what is wrong, secrets never show, a store or coordinator that fails or loses a lease gives
 * `store_unavailable`, and a listener that throws breaks nothing.
 */
import { inspect } from 'node:util'

import { describe, expect, it } from 'vitest'

import {
  ChatGPTAccountPool,
  ChatGPTAPI,
  ChatGPTError,
  InProcessCoordinator,
  MemoryStore,
  type AccountLease,
  type AccountStateChange,
  type ChatGPTAccountPoolOptions,
  type ConversationStore,
  type LeaseRequest,
  type PoolCoordinator
} from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf, until } from './helpers/backend.js'
import { conversationPosts, poolSetup, track } from './helpers/pool.js'
import { leaksIn, leaksInLines } from './helpers/secret-views.js'

const SESSION = 'session-token-of-alice-0123456789'

function constructionError(options: unknown): ChatGPTError {
  try {
    new ChatGPTAccountPool(options as ChatGPTAccountPoolOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(ChatGPTError)
    return error as ChatGPTError
  }
  throw new Error('expected the pool constructor to throw')
}

describe('unusable options', () => {
  const account = (id: unknown, extra: Record<string, unknown> = {}) => ({ id, sessionToken: `${SESSION}-${String(id)}`, ...extra })
  const cases: [string, unknown, RegExp][] = [
    ['no options', undefined, /options with accounts/],
    ['accounts missing', {}, /accounts must be a non-empty array/],
    ['accounts empty', { accounts: [] }, /accounts must be a non-empty array/],
    ['accounts not an array', { accounts: 'alice' }, /accounts must be a non-empty array/],
    ['an account that is not an object', { accounts: [null] }, /accounts\[0\] must be an object/],
    ['an id missing', { accounts: [{ sessionToken: SESSION }] }, /accounts\[0\]\.id/],
    ['an empty id', { accounts: [account('')] }, /accounts\[0\]\.id/],
    ['an id with a space', { accounts: [account('a b')] }, /accounts\[0\]\.id/],
    ['an id with a newline', { accounts: [account('a\nb')] }, /accounts\[0\]\.id/],
    ['an id too long', { accounts: [account('x'.repeat(129))] }, /accounts\[0\]\.id/],
    ['a duplicate id', { accounts: [account('a'), account('b'), account('a')] }, /account id 'a' appears twice/],
    ['one session token under two ids', { accounts: [{ id: 'a', sessionToken: SESSION }, { id: 'b', sessionToken: SESSION }] }, /accounts 'a' and 'b' have the same session token/],
    ['no session token', { accounts: [{ id: 'a' }] }, /account 'a': ChatGPT invalid session token/],
    ['a bad account option', { accounts: [account('a', { maxRetries: -1 })] }, /account 'a': maxRetries/],
    ['model on an account', { accounts: [account('a', { model: 'gpt-4' })] }, /set model on the pool/],
    ['markdown on an account', { accounts: [account('a', { markdown: false })] }, /set markdown on the pool/],
    ['models empty', { accounts: [account('a', { models: [] })] }, /models must be a non-empty array/],
    ['a models entry that is no slug', { accounts: [account('a', { models: ['gpt-4', 'bad\nslug'] })] }, /models/],
    ['a client that is no ChatGPTAPI', { accounts: [{ id: 'a', client: {} }] }, /client must be a ChatGPTAPI/],
    ['a bad pool model', { accounts: [account('a')], model: '' }, /model must be a model slug/],
    ['markdown not a boolean', { accounts: [account('a')], markdown: 'yes' }, /markdown must be true or false/],
    ['a negative maxRetries', { accounts: [account('a')], maxRetries: -1 }, /maxRetries/],
    ['a zero maxQueueSize', { accounts: [account('a')], maxQueueSize: 0 }, /maxQueueSize/],
    ['a listener that is no function', { accounts: [account('a')], onStateChange: 'log' }, /onStateChange must be a function/],
    ['a store without its methods', { accounts: [account('a')], store: { getBinding() {} } }, /store must implement putBinding/],
    ['a coordinator without its methods', { accounts: [account('a')], coordinator: {} }, /coordinator must implement acquire/]
  ]
  it.each(cases)('%s: invalid_argument, saying what is wrong and never a token', (_name, options, message) => {
    const error = constructionError(options)
    expect(error.code).toBe('invalid_argument')
    expect(error.message).toMatch(message)
    expect(leaksIn(error, { session: SESSION }, { pieces: true })).toEqual([])
  })

  it('refuses one client under two ids, a client with options too, and a client whose markdown differs', () => {
    const client = new ChatGPTAPI({ sessionToken: SESSION })
    expect(constructionError({ accounts: [{ id: 'a', client }, { id: 'b', client }] }).message).toMatch(/accounts 'a' and 'b' are the same client/)
    expect(constructionError({ accounts: [{ id: 'a', client, sessionToken: SESSION }] }).message).toMatch(/either a client or its options \(sessionToken\)/)
    expect(constructionError({ accounts: [{ id: 'a', client }], markdown: false }).message).toMatch(/markdown option differs/)
  })

  it('refuses bad call arguments at once, without waiting for a busy account', async () => {
    const { pool, backend } = await poolSetup(1, { reply: () => 'a slow reply of a few words', eventDelayMs: 20 })
    const running = pool.sendMessage('busy')
    await until(() => backend.inFlight === 1, 'a running reply')
    const bad: [string, Promise<unknown>][] = [
      ['empty message', pool.sendMessage('  ')],
      ['message not a string', pool.sendMessage(42 as never)],
      ['conversationId not a UUID', pool.sendMessage('Hi', { conversationId: '../../etc' })],
      ['messageId not a UUID', pool.sendMessage('Hi', { messageId: 'x' })],
      ['bad model', pool.sendMessage('Hi', { model: 'a\nb' })],
      ['bad timeout', pool.sendMessage('Hi', { timeoutMs: -5 })],
      ['regenerate without ids', pool.regenerateReply({} as never)],
      ['history of nothing', pool.getConversationHistory(undefined as never)],
      ['feedback without a conversation', pool.sendMessageFeedback(undefined as never)]
    ]
    for (const [what, call] of bad) expect((await rejectionOf(call)).code, what).toBe('invalid_argument')
    expect(pool.status().waiting).toBe(0)
    expect(() => pool.onStateChange('nope' as never)).toThrow(/listener must be a function/)
    await running
    expect(conversationPosts(backend)).toBe(1)
  })
})

describe('secrets', () => {
  it('never show in status(), events, debug lines, inspect(pool) or a failed call', async () => {
    const lines: string[] = []
    const changes: AccountStateChange[] = []
    const { backend, accounts, accountOptions } = await poolSetup(2, { reply: () => 'ok' })
    const pool = track(
      new ChatGPTAccountPool({
        accounts: ['a', 'b'].map(accountOptions),
        debug: (line) => lines.push(line),
        onStateChange: (change) => changes.push(change)
      })
    )
    backend.expireSession(accounts.a!.sessionToken)
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '30' }, userId: accounts.b!.user.id })
    const error = await rejectionOf(pool.sendMessage('Hi'))
    expect(error.code).toBe('rate_limited')
    const accessToken = await new ChatGPTAPI(accountOptions('b')).ensureAuth()
    const secrets = {
      'a session': accounts.a!.sessionToken,
      'b session': accounts.b!.sessionToken,
      clearance: backend.clearanceToken,
      'b access token': accessToken
    }
    expect(leaksIn(error, secrets, { pieces: true })).toEqual([])
    expect(lines.length).toBeGreaterThan(3)
    expect(leaksInLines(lines, secrets)).toEqual([])
    const views = [JSON.stringify(pool.status()), JSON.stringify(changes), inspect(pool, { depth: Infinity }), inspect(changes, { depth: Infinity })]
    expect(leaksInLines(views, secrets)).toEqual([])
    expect(pool.status().accounts[0]!.dead!.code).toBe('session_expired')
  })
})

describe('a store that fails', () => {
  /** A memory store whose calls fail (with a plain Error, as a driver would) while `broken`. */
  function flakyStore(): ConversationStore & { broken: Set<string> } {
    const inner = new MemoryStore()
    const broken = new Set<string>()
    const guard =
      <A extends unknown[], R>(name: string, run: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        if (broken.has(name)) throw new Error(`ECONNRESET while ${name} (password=hunter2)`)
        return run(...args)
      }
    return {
      broken,
      getBinding: guard('getBinding', (id: string) => inner.getBinding(id)),
      putBinding: guard('putBinding', (b) => inner.putBinding(b)),
      deleteBinding: guard('deleteBinding', (id: string) => inner.deleteBinding(id)),
      getMessage: guard('getMessage', (id: string) => inner.getMessage(id)),
      putMessage: guard('putMessage', (m) => inner.putMessage(m)),
      deleteMessage: guard('deleteMessage', (id: string) => inner.deleteMessage(id)),
      close: () => inner.close()
    }
  }

  it('fails a follow-up with store_unavailable before sending anything when the binding cannot be read', async () => {
    const store = flakyStore()
    const { backend, accountOptions } = await poolSetup(2, { reply: () => 'ok' })
    const pool = track(new ChatGPTAccountPool({ accounts: ['a', 'b'].map(accountOptions), store }))
    const first = await pool.sendMessageDetailed('Hi')
    store.broken.add('getBinding')
    const error = await rejectionOf(pool.sendMessage('next', { conversationId: first.conversationId, parentMessageId: first.messageId }))
    expect(error.code).toBe('store_unavailable')
    expect(error.message).not.toMatch(/hunter2/)
    expect(conversationPosts(backend)).toBe(1)
  })

  it('fails a new conversation with store_unavailable when it cannot be recorded, the reply in partialText', async () => {
    const store = flakyStore()
    store.broken.add('putBinding')
    const { accountOptions } = await poolSetup(1, { reply: () => 'the reply' })
    const pool = track(new ChatGPTAccountPool({ accounts: [accountOptions('a')], store }))
    const error = await rejectionOf(pool.sendMessage('Hi'))
    expect(error.code).toBe('store_unavailable')
    expect(error.partialText).toBe('the reply')
    expect(error.message).toMatch(/The reply arrived but the store could not record its conversation/)
  })

  it('lets the call’s timeout bound a store that never answers', async () => {
    const hanging = new MemoryStore()
    hanging.getBinding = () => new Promise(() => {})
    const { accountOptions } = await poolSetup(1)
    const pool = track(new ChatGPTAccountPool({ accounts: [accountOptions('a')], store: hanging }))
    const error = await rejectionOf(pool.sendMessage('Hi', { conversationId: crypto.randomUUID(), timeoutMs: 50 }))
    expect(error.code).toBe('timeout')
  })
})

describe('a coordinator that fails', () => {
  /** An in-process coordinator whose leases the test can take away, and whose acquire can fail. */
  class UnreliableCoordinator extends InProcessCoordinator implements PoolCoordinator {
    failAcquire = false
    readonly held: { lose: (reason: unknown) => void }[] = []

    override async acquire(request: LeaseRequest): Promise<AccountLease> {
      if (this.failAcquire) throw new Error('connect ECONNREFUSED 127.0.0.1:6379')
      const lease = await super.acquire(request)
      const controller = new AbortController()
      this.held.push({ lose: (reason) => controller.abort(reason) })
      return { accountId: lease.accountId, token: lease.token, signal: controller.signal, release: () => lease.release() }
    }
  }

  it('fails a call with store_unavailable when no lease can be had', async () => {
    const coordinator = new UnreliableCoordinator()
    coordinator.failAcquire = true
    const { accountOptions, backend } = await poolSetup(1)
    const pool = track(new ChatGPTAccountPool({ accounts: [accountOptions('a')], coordinator }))
    const error = await rejectionOf(pool.sendMessage('Hi'))
    expect(error.code).toBe('store_unavailable')
    expect(error.originalError.message).toMatch(/ECONNREFUSED/)
    expect(conversationPosts(backend)).toBe(0)
    await coordinator.close()
  })

  it('stops a reply at once when its lease is lost, with the lease’s reason, and sends it nowhere else', async () => {
    const coordinator = new UnreliableCoordinator()
    const { accountOptions, backend } = await poolSetup(2, { reply: () => 'many words '.repeat(50), eventDelayMs: 5 })
    const pool = track(new ChatGPTAccountPool({ accounts: ['a', 'b'].map(accountOptions), coordinator }))
    const lost = new ChatGPTError('Lost the lease of the account', { code: 'store_unavailable' })
    let progress = 0
    const error = await rejectionOf(
      pool.sendMessage('Hi', {
        onProgress: () => {
          if (++progress === 3) coordinator.held[0]!.lose(lost)
        }
      })
    )
    expect(error).toBe(lost)
    expect(conversationPosts(backend)).toBe(1)
    await until(() => backend.inFlight === 0, 'the backend to see the reply end')
    expect(pool.status().accounts.map((a) => a.state)).toEqual(['active', 'active'])
    await coordinator.close()
  })
})

describe('listeners', () => {
  it('a listener that throws is reported to debug, and the others still hear every change', async () => {
    const lines: string[] = []
    const heard: string[] = []
    const { backend, accounts, accountOptions } = await poolSetup(2, { reply: () => 'ok' })
    const pool = track(new ChatGPTAccountPool({ accounts: ['a', 'b'].map(accountOptions), debug: (line) => lines.push(line) }))
    pool.onStateChange(() => {
      throw new Error('listener bug')
    })
    const stop = pool.onStateChange((c) => heard.push(`${c.accountId}:${c.state}`))
    backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '30' }, userId: accounts.a!.user.id })
    expect(await pool.sendMessage('Hi')).toBe('ok')
    expect(heard).toEqual(['a:refreshing', 'a:active', 'a:cooling', 'b:refreshing', 'b:active'])
    expect(lines.some((line) => /a state listener threw: listener bug/.test(line))).toBe(true)
    stop()
    await pool.revive('a')
    expect(heard).toHaveLength(5)
  })
})
