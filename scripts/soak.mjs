#!/usr/bin/env node
/**
 * Soak test: thousands of messages over several accounts against the bundled test backend,
 * with random faults, checking that the BUILT package stays trustworthy:
 *
 * - every call settles, within its bound (its `timeoutMs`, or a fixed bound for calls without
 *   one, plus a grace): it resolves with the exact reply, or rejects with a ChatGPTError whose
 *   `code` is documented (or, when the caller aborted, with the caller's own reason). A call that
 *   has not settled by then counts as hung (`hung: N`), and any hung call fails the run;
 * - callers abort at random points, including exactly at the last event (inside `onProgress`
 *   when the text is the whole reply, and just after the response ended), and leave
 *   `streamMessage` loops with `break` (at the whole reply, at a random update); an "edge" account
 *   talks to a bare server that writes its last event and the end of the response in one write;
 * - no unhandled rejection, no uncaught exception, no MaxListenersExceededWarning;
 * - no socket or handle is left behind once the backend is closed, and no reply stream is left
 *   open on the backend;
 * - the heap (after GC) stays flat from 25% to 100% of the run;
 * - no token (session, clearance, access — every value the clients sent or were given) appears
 *   in any error's message, stack, JSON or inspection, nor in any `debug` line.
 *
 * Usage: `npm run soak -- [--messages 3000] [--accounts 4] [--seed 1] [--fault-rate 0.2]
 *   [--concurrency 6] [--conversations 3] [--idle-timeout-ms 1000] [--chunking event|bytes|N]
 *   [--max-seconds 300] [--grace-ms 3000] [--no-timeout-bound-ms 30000]`
 *
 * `--seeds N` runs seeds `--seed` … `--seed + N - 1` one after another, each in a process of its
 * own (1500 messages each unless `--messages` says otherwise; `--jobs 2` seeds at a time), prints
 * one line per seed and a summary line, and exits 1 if any seed failed: `npm run soak -- --seeds 20`.
 *
 * The run is seeded (faults, options, prompts, scenarios); the interleaving of concurrent calls
 * is not, so counts vary a little between runs of one seed. Exits 1 on any failed check.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { inspect, parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'

import { CHATGPT_ERROR_CODES, ChatGPTAPI, ChatGPTError } from 'chatgpt-kit'
// Imported here too (the backend itself runs in a worker) so that the entry point is checked.
import { createTestBackend, seededRandom } from 'chatgpt-kit/testing'

import { soakReply } from './soak-reply.mjs'

// The heap is measured after a full GC, which needs --expose-gc: re-run under it if missing.
if (typeof globalThis.gc !== 'function') {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' }
  )
  process.exit(child.status ?? 1)
}

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string' },
    seeds: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    'grace-ms': { type: 'string', default: '3000' },
    'no-timeout-bound-ms': { type: 'string', default: '20000' },
    accounts: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    'fault-rate': { type: 'string', default: '0.2' },
    concurrency: { type: 'string', default: '6' },
    conversations: { type: 'string', default: '3' },
    'idle-timeout-ms': { type: 'string', default: '1000' },
    chunking: { type: 'string', default: 'event' },
    'max-seconds': { type: 'string', default: '300' }
  }
})
const SEEDS = args.seeds === undefined ? undefined : positiveInt('seeds')
const JOBS = positiveInt('jobs')
args.messages ??= SEEDS === undefined ? '3000' : '1500'
const MESSAGES = positiveInt('messages')
const ACCOUNTS = positiveInt('accounts')
const SEED = Number(args.seed) >>> 0
const FAULT_RATE = Number(args['fault-rate'])
const CONCURRENCY = positiveInt('concurrency')
const CONVERSATIONS = positiveInt('conversations')
const IDLE_TIMEOUT_MS = positiveInt('idle-timeout-ms')
const CHUNKING = /^\d+$/.test(args.chunking) ? Number(args.chunking) : args.chunking
const MAX_SECONDS = positiveInt('max-seconds')
/** How long past its own timeout a call may take to settle before it counts as hung. */
const GRACE_MS = positiveInt('grace-ms')
/** The bound of a call without `timeoutMs` (the idle timeout and retries still bound it). */
const NO_TIMEOUT_BOUND_MS = positiveInt('no-timeout-bound-ms')
if (!(FAULT_RATE >= 0 && FAULT_RATE <= 1)) usage('--fault-rate must be in [0, 1]')

if (SEEDS !== undefined) await runSeeds()

/**
 * Heap growth allowed from 25% to 100% of the run, after GC. The clients keep no per-message
 * state (the backend, which does, runs on its own heap in a worker), so the expected growth is
 * about zero; GC noise (code space, inline caches, a fragmented old space) stays within a few MB.
 * 10 MB over the last 75% of 3000 messages is ~4.5 KB a message: a leak of anything per message
 * bigger than that (a Response, a stream, its buffers, the reply and its events, a closure over
 * them) fails the run, and so does any leak once the run is long enough.
 */
const HEAP_GROWTH_LIMIT_BYTES = 10 * 1024 * 1024

function positiveInt(name) {
  const value = Number(args[name])
  if (!Number.isInteger(value) || value < 1) usage(`--${name} must be a positive integer`)
  return value
}

function usage(message) {
  console.error(`soak: ${message}`)
  process.exit(2)
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping

const failures = []
/** Records a failed check; the first few examples of each kind are kept for the report. */
const failureCounts = new Map()
function fail(kind, detail) {
  const count = (failureCounts.get(kind) ?? 0) + 1
  failureCounts.set(kind, count)
  if (count <= 3) failures.push(`${kind}: ${detail}`)
}

const outcomes = new Map()
const count = (map, key, by = 1) => map.set(key, (map.get(key) ?? 0) + by)

// Recorded for the report, and the exit code set at once: an exception that ends the script
// early (a missing build, say) must not look like a pass.
let unhandledRejections = 0
process.on('unhandledRejection', (reason) => {
  unhandledRejections++
  process.exitCode = 1
  fail('unhandled rejection', describe(reason))
})
process.on('uncaughtException', (error) => {
  process.exitCode = 1
  console.error('soak: uncaught exception:', error)
  fail('uncaught exception', describe(error))
})
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning') fail('listener leak', warning.message)
})

function describe(value) {
  return value instanceof Error ? `${value.name}: ${value.message}` : inspect(value, { depth: 1 })
}

/** The documented error codes, as the package exports them. */
const DOCUMENTED_CODES = new Set(CHATGPT_ERROR_CODES)
if (DOCUMENTED_CODES.size < 15) usage('CHATGPT_ERROR_CODES from chatgpt looks wrong: ' + inspect(CHATGPT_ERROR_CODES))

// ---------------------------------------------------------------------------------------------
// Seeded randomness

const random = seededRandom(SEED)
const int = (n) => Math.floor(random() * n)
const range = (min, max) => min + int(max - min + 1)
const chance = (p) => random() < p
const pick = (items) => items[int(items.length)]

/** Picks from `[weight, value]` pairs. */
function weighted(pairs) {
  let roll = random() * pairs.reduce((sum, [weight]) => sum + weight, 0)
  for (const [weight, value] of pairs) if ((roll -= weight) < 0) return value
  return pairs.at(-1)[1]
}

// ---------------------------------------------------------------------------------------------
// Secrets: every token any client sent or was given, seen by a pass-through `fetch`

const secrets = new Set()
function addSecret(value) {
  if (typeof value === 'string' && value.length >= 8) secrets.add(value)
}

function headerEntries(headers) {
  if (!headers) return []
  if (typeof headers.entries === 'function' && !Array.isArray(headers)) return [...headers.entries()]
  return Array.isArray(headers) ? headers : Object.entries(headers)
}

function noteRequestSecrets(init) {
  for (const [name, value] of headerEntries(init?.headers)) {
    const lower = name.toLowerCase()
    if (lower === 'authorization') addSecret(String(value).replace(/^Bearer\s+/i, ''))
    if (lower === 'cookie') {
      for (const pair of String(value).split(';')) addSecret(pair.slice(pair.indexOf('=') + 1).trim())
    }
  }
}

/**
 * The clients' `fetch`: global fetch, plus a look at every credential that crosses it (request
 * headers; the session answer's access token and rotated session cookie) before the client sees
 * the answer, so that a leak check never runs before the secret it looks for is known.
 */
async function observingFetch(input, init) {
  noteRequestSecrets(init)
  const response = await fetch(input, init)
  if (String(input).endsWith('/auth/session')) {
    for (const cookie of response.headers.getSetCookie()) {
      addSecret(cookie.slice(cookie.indexOf('=') + 1).split(';')[0])
    }
    try {
      const text = await response.clone().text()
      for (const match of text.matchAll(/"accessToken"\s*:\s*"([^"]+)"/g)) addSecret(match[1])
    } catch {
      // A reset or cut answer: the client hears about it on its own copy.
    }
  }
  return response
}

/** `text` with every known secret masked, for the report (a leak must not spread to CI logs). */
function masked(text) {
  let result = String(text)
  for (const secret of secrets) if (result.includes(secret)) result = result.split(secret).join('[TOKEN]')
  return result
}

/** The secret (abbreviated) that `text` contains, if any. */
function leakedSecret(text) {
  if (typeof text !== 'string') return undefined
  for (const secret of secrets) {
    if (text.includes(secret)) return `a ${secret.length}-character token`
  }
  return undefined
}

function checkErrorForSecrets(error, where) {
  const views = {
    message: error.message,
    stack: error.stack,
    'JSON.stringify': JSON.stringify(error),
    inspect: inspect(error, { depth: 3 }),
    'originalError.message': error.originalError?.message,
    'originalError.stack': error.originalError?.stack
  }
  for (const [view, text] of Object.entries(views)) {
    const leaked = leakedSecret(text)
    if (leaked) fail('token in an error', `${where}: ${leaked} in ${view} of ${error.code} "${masked(error.message)}"`)
  }
}

let debugLines = 0
function debugLogger(account) {
  return (line) => {
    debugLines++
    if (typeof line !== 'string') fail('debug line not a string', inspect(line))
    const leaked = leakedSecret(line)
    if (leaked) fail('token in a debug line', `account ${account}: ${leaked} in "${masked(line).slice(0, 200)}"`)
  }
}

// ---------------------------------------------------------------------------------------------
// Heap and handles

const heap = {}
function sampleHeap(label) {
  globalThis.gc()
  globalThis.gc()
  heap[label] = process.memoryUsage().heapUsed
}

function resourceCounts() {
  const counts = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

/** Resource types (and how many) present now beyond the baseline. */
function extraResources(baseline) {
  const extra = {}
  for (const [type, n] of Object.entries(resourceCounts())) {
    if (n > (baseline[type] ?? 0)) extra[type] = n - (baseline[type] ?? 0)
  }
  return extra
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// The backend (in a worker)

function startBackend() {
  const worker = new Worker(new URL('./soak-backend.mjs', import.meta.url), {
    workerData: { accounts: ACCOUNTS, chunking: CHUNKING, seed: SEED }
  })
  const pending = new Map()
  let nextId = 0
  return new Promise((resolve, reject) => {
    worker.once('error', reject)
    worker.on('message', (message) => {
      if (message.ready) {
        const call = (op, arg) =>
          new Promise((done, failed) => {
            const id = nextId++
            pending.set(id, { done, failed })
            worker.postMessage({ id, op, arg })
          })
        resolve({ worker, info: message.ready, call })
        return
      }
      const waiter = pending.get(message.id)
      pending.delete(message.id)
      if (message.error) waiter?.failed(new Error(message.error))
      else waiter?.done(message.result)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Faults

const retryAfterMs = () => ({ 'retry-after-ms': String(range(5, 50)) })
const CONVERSATION_FAULTS = [
  [3, () => ['status 429', { type: 'status', status: 429, headers: retryAfterMs(), body: { detail: 'Too many requests in 1 hour. Try again later.' } }]],
  [2, () => ['status 500', { type: 'status', status: 500 }]],
  [2, () => ['status 502', { type: 'status', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }]],
  [1, () => ['cloudflare', { type: 'cloudflare' }]],
  [1, () => ['html', { type: 'html' }]],
  [1, () => ['json', { type: 'json' }]],
  [1, () => ['stall', { type: 'stall', afterEvents: int(3) }]],
  [2, () => ['reset', { type: 'reset', afterEvents: int(3) }]],
  [2, () => ['cut', { type: 'cut', afterEvents: int(3) }]],
  [2, () => ['cut finished', { type: 'cut', finished: true }]],
  [1, () => ['stream-error', { type: 'stream-error', afterEvents: int(3) }]],
  [1, () => ['detail-event', { type: 'detail-event', afterEvents: int(3) }]]
]
// A session stall would hold a refresh for its 30 s deadline: left out to keep the run short.
const SESSION_FAULTS = [
  [2, () => ['session status 500', { endpoint: 'session', type: 'status', status: 500 }]],
  [1, () => ['session status 429', { endpoint: 'session', type: 'status', status: 429, headers: retryAfterMs() }]],
  [1, () => ['session cloudflare', { endpoint: 'session', type: 'cloudflare' }]],
  [1, () => ['session html', { endpoint: 'session', type: 'html' }]],
  [1, () => ['session json', { endpoint: 'session', type: 'json' }]],
  [1, () => ['session reset', { endpoint: 'session', type: 'reset' }]],
  [1, () => ['session cut', { endpoint: 'session', type: 'cut' }]],
  [1, () => ['session stream-error', { endpoint: 'session', type: 'stream-error' }]],
  [1, () => ['session detail-event', { endpoint: 'session', type: 'detail-event' }]]
]
const faultsQueued = new Map()

/** Maybe injects one fault (or expires every access token); faults are one global FIFO. */
function maybeFault(backend) {
  if (!chance(FAULT_RATE)) return
  const kind = weighted([
    [8, 'conversation'],
    [1, 'session'],
    [1, 'expire']
  ])
  if (kind === 'expire') {
    count(faultsQueued, 'expireAccessTokens')
    backend.call('expireAccessTokens').catch((error) => fail('backend RPC', describe(error)))
    return
  }
  const [label, fault] = weighted(kind === 'session' ? SESSION_FAULTS : CONVERSATION_FAULTS)()
  count(faultsQueued, label)
  backend.call('fault', fault).catch((error) => fail('backend RPC', describe(error)))
}

// ---------------------------------------------------------------------------------------------
// The run

const started = Date.now()
// stdout and stderr open their handles (pipes, TTYs) on first use: open them before the baseline.
void process.stdout.fd
void process.stderr.fd
const baselineResources = resourceCounts()
// Loaded for the check that the testing entry point resolves from the built package.
if (typeof createTestBackend !== 'function') fail('chatgpt-kit/testing', 'createTestBackend is not a function')

const backend = await startBackend()
const { info } = backend
for (const token of [...info.sessionTokens, info.clearanceToken, info.edgeAccessToken]) addSecret(token)

/** A client for an account, with its conversations; replaced when one of its calls hangs. */
function makeClient(account) {
  const api = account.edge
    ? new ChatGPTAPI({
        // The edge server hands out its one access token; this session token only has to exist.
        sessionToken: account.sessionToken,
        accessToken: info.edgeAccessToken,
        accessTokenTTL: 86_400_000,
        apiBaseUrl: `${info.edgeUrl}/api`,
        backendApiBaseUrl: `${info.edgeUrl}/backend-api`,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
        fetch: observingFetch,
        debug: debugLogger(account.index)
      })
    : new ChatGPTAPI({
        sessionToken: account.sessionToken,
        clearanceToken: info.clearanceToken,
        userAgent: info.userAgent,
        apiBaseUrl: info.apiBaseUrl,
        backendApiBaseUrl: info.backendApiBaseUrl,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
        // Short, so that refreshes (and the session faults that wait for them) happen during the run.
        accessTokenTTL: 5_000,
        // The last account gets a small queue, so that `queue_full` is exercised too.
        maxQueueSize: account.index === ACCOUNTS - 1 && ACCOUNTS > 1 ? 3 : 100,
        fetch: observingFetch,
        debug: debugLogger(account.index)
      })
  return {
    api,
    conversations: Array.from({ length: CONVERSATIONS }, () => api.getConversation()),
    // Set once a call of this client hung: the calls queued behind it are blocked, not hung of
    // their own accord, and the account moves on to a new client.
    hadHang: false
  }
}

const edgeSessionToken = `edge-session-${randomUUID()}`
addSecret(edgeSessionToken)
const accountSpecs = [
  ...info.sessionTokens.map((sessionToken) => ({ sessionToken, edge: false })),
  // The edge account: last event and end of the response in one write (see soak-backend.mjs).
  { sessionToken: edgeSessionToken, edge: true }
]
const accounts = accountSpecs.map(({ sessionToken, edge }, index) => {
  const account = {
    index,
    edge,
    sessionToken,
    // One long-lived signal shared by many calls: a listener left on it per call would show.
    sharedSignal: new AbortController().signal,
    next: index
  }
  account.client = makeClient(account)
  return account
})

sampleHeap('start')
const checkpoints = new Map([
  [Math.ceil(MESSAGES * 0.25), '25%'],
  [Math.ceil(MESSAGES * 0.5), '50%'],
  [Math.ceil(MESSAGES * 0.75), '75%']
])
let settled = 0
let lastProgressLog = Date.now()

function settle(outcome) {
  count(outcomes, outcome)
  settled++
  const label = checkpoints.get(settled)
  if (label) sampleHeap(label)
  if (Date.now() - lastProgressLog > 10_000) {
    lastProgressLog = Date.now()
    console.error(`soak: ${settled}/${MESSAGES} settled after ${((Date.now() - started) / 1000).toFixed(0)} s`)
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios: how a caller uses (and leaves) a call

const SCENARIOS = [
  [48, 'plain'],
  [4, 'abort at a random time'],
  [8, 'abort in onProgress at the whole reply'],
  [6, 'abort just after the whole reply'],
  [10, 'stream: iterate to the end'],
  [9, 'stream: break at the whole reply'],
  [5, 'stream: break at a random update'],
  [3, 'stream: abort() at a random time']
]
const scenarioCounts = new Map()
const hungBy = new Map()
let hung = 0
let lateSettles = 0
/** Aborted synchronously inside a callback, yet resolved (the reply had also ended). */
let resolvedAfterCallbackAbort = 0

/** Defers `fn` the way "just after the response ended" can mean. */
function deferred(fn) {
  const how = int(4)
  if (how === 0) queueMicrotask(fn)
  else if (how === 1) setImmediate(fn)
  else if (how === 2) setTimeout(fn, 0)
  else setTimeout(fn, 1 + int(5))
}

/**
 * Runs one call of `scenario`; resolves to `{ ok: true, text }` or `{ ok: false, error }`, with
 * what the caller did (`callerReason`: the reason it aborted with; `syncAbort`: it aborted inside
 * a callback, before the call could settle).
 */
function runScenario(scenario, client, prompt, expected, opts, sharedSignal) {
  const controller = new AbortController()
  const info = { callerReason: undefined, syncAbort: false }
  const abortWith = (reason, sync) => {
    if (controller.signal.aborted) return
    info.callerReason = reason
    info.syncAbort ||= sync
    controller.abort(reason)
  }
  const reason = (what) => new Error(`soak: caller aborted (${what})`)
  const checkPrefix = (partial) => {
    if (typeof partial !== 'string' || !expected.startsWith(partial)) {
      fail('progress not a prefix of the reply', `${JSON.stringify(partial)} for ${JSON.stringify(expected)}`)
    }
  }
  const conversation = chance(0.6) ? pick(client.conversations) : undefined
  const send = (o) => (conversation ? conversation.sendMessage(prompt, o) : client.api.sendMessage(prompt, o))
  const settleOf = (promise) => promise.then((text) => ({ ok: true, text }), (error) => ({ ok: false, error }))

  switch (scenario) {
    case 'plain': {
      if (chance(0.3)) opts.abortSignal = sharedSignal
      if (chance(0.5)) opts.onProgress = checkPrefix
      return [settleOf(send(opts)), info]
    }
    case 'abort at a random time': {
      opts.abortSignal = controller.signal
      setTimeout(() => abortWith(reason('random time'), false), int(40))
      if (chance(0.5)) opts.onProgress = checkPrefix
      return [settleOf(send(opts)), info]
    }
    case 'abort in onProgress at the whole reply':
    case 'abort just after the whole reply': {
      const now = scenario === 'abort in onProgress at the whole reply'
      opts.abortSignal = controller.signal
      const withReason = chance(0.8)
      opts.onProgress = (partial) => {
        checkPrefix(partial)
        if (partial !== expected) return
        const abort = () => {
          if (withReason) abortWith(reason(scenario), now)
          else if (!controller.signal.aborted) {
            info.callerReason = 'default'
            info.syncAbort ||= now
            controller.abort()
          }
        }
        if (now) abort()
        else deferred(abort)
      }
      return [
        settleOf(send(opts)).then((outcome) => {
          if (info.callerReason === 'default') info.callerReason = controller.signal.reason
          return outcome
        }),
        info
      ]
    }
    default: {
      // The stream scenarios.
      const stream = client.api.streamMessage(prompt, { ...opts, abortSignal: chance(0.3) ? sharedSignal : undefined })
      const breakAfter = scenario === 'stream: break at a random update' ? 1 + int(6) : Infinity
      if (scenario === 'stream: abort() at a random time') {
        const r = chance(0.5) ? reason('stream.abort') : undefined
        setTimeout(() => {
          info.callerReason = r
          stream.abort(r)
        }, int(40))
      }
      const iterate = async () => {
        let updates = 0
        let last
        for await (const update of stream) {
          checkPrefix(update.text)
          last = update
          updates++
          if (scenario === 'stream: break at the whole reply' && update.text === expected) break
          if (updates >= breakAfter) break
        }
        return last
      }
      const iterated = iterate().then(
        () => undefined,
        (error) => error
      )
      const whole = Promise.all([iterated, settleOf(stream.result)]).then(([iterError, outcome]) => {
        // The loop fails as the result does (or not at all, when it left first).
        if (iterError !== undefined && !outcome.ok && iterError !== outcome.error) {
          fail('stream iteration and result disagree', `${describe(iterError)} vs ${describe(outcome.error)}`)
        }
        if (outcome.ok) return { ok: true, text: outcome.text.text }
        return outcome
      })
      return [whole, info]
    }
  }
}

async function oneCall(account, i) {
  const client = account.client
  const prompt = `acct ${account.index} msg ${i}`
  const expected = soakReply(prompt)
  const opts = {}
  const timeoutRoll = random()
  if (timeoutRoll < 0.1) opts.timeoutMs = range(300, 3_000)
  else if (timeoutRoll < 0.75) opts.timeoutMs = 5_000
  if (chance(0.05)) opts.maxRetries = 0
  const scenario = weighted(SCENARIOS)
  count(scenarioCounts, scenario)

  const [work, caller] = runScenario(scenario, client, prompt, expected, opts, account.sharedSignal)
  const boundMs = (opts.timeoutMs ?? NO_TIMEOUT_BOUND_MS) + GRACE_MS
  let boundTimer
  const HUNG = Symbol('hung')
  const outcome = await Promise.race([
    work,
    new Promise((resolve) => {
      boundTimer = setTimeout(() => resolve(HUNG), boundMs)
    })
  ])
  clearTimeout(boundTimer)

  if (outcome === HUNG) {
    hung++
    count(hungBy, client.hadHang ? 'queued behind an earlier hung call of its client' : `${scenario}${account.edge ? ' (edge account)' : ''}`)
    if (!client.hadHang) {
      client.hadHang = true
      // The account is blocked behind the hung call: go on with a new client.
      account.client = makeClient(account)
      fail('hung call', `message ${i} (${scenario}${account.edge ? ', edge account' : ''}) had not settled ${boundMs} ms after it started`)
    }
    work.then(() => lateSettles++)
    settle('hung')
    return
  }

  if (outcome.ok) {
    if (caller.syncAbort) resolvedAfterCallbackAbort++
    if (outcome.text !== expected) fail('wrong reply', `${JSON.stringify(outcome.text)} for ${JSON.stringify(expected)}`)
    settle('resolved')
    return
  }
  const { error } = outcome
  if (caller.callerReason !== undefined && error === caller.callerReason) {
    settle("rejected: the caller's abort reason")
  } else if (error instanceof ChatGPTError) {
    if (!DOCUMENTED_CODES.has(error.code)) fail('undocumented error code', `${inspect(error.code)}: ${error.message}`)
    if (caller.syncAbort && error.code !== 'aborted') {
      // Aborted inside a callback, before the call could settle: the call is the caller's.
      fail('abort not honoured', `message ${i} (${scenario}): ${error.code} "${masked(error.message)}" instead of the caller's reason`)
    }
    checkErrorForSecrets(error, `message ${i}`)
    settle(`rejected: ${error.code}`)
  } else {
    fail('rejection that is not a ChatGPTError', `${scenario}: ${describe(error)}`)
    settle('rejected: not a ChatGPTError')
  }
}

/** One of an account's concurrent senders: the client must queue them. */
async function sender(account) {
  while (account.next < MESSAGES) {
    const i = account.next
    account.next += accounts.length
    if (i % 100 === 0) backend.call('shape', pick(['2022', '2023', 'v1'])).catch((e) => fail('backend RPC', describe(e)))
    if (!account.edge) maybeFault(backend)
    await oneCall(account, i)
  }
}

let deadlineTimer
const everyCall = Promise.all(accounts.flatMap((account) => Array.from({ length: CONCURRENCY }, () => sender(account))))
const finishedInTime = await Promise.race([
  everyCall.then(() => true),
  new Promise((resolve) => {
    deadlineTimer = setTimeout(() => resolve(false), MAX_SECONDS * 1000)
  })
])
clearTimeout(deadlineTimer)
const runSeconds = (Date.now() - started) / 1000
if (!finishedInTime || settled !== MESSAGES) {
  fail('calls never settled', `${MESSAGES - settled} of ${MESSAGES} after ${MAX_SECONDS} s`)
}
sampleHeap('100%')

// Server side: every reply stream ended (a stalled stream the client gave up on must be closed).
let stats = await backend.call('stats')
for (let i = 0; i < 40 && stats.inFlight > 0; i++) {
  await sleep(50)
  stats = await backend.call('stats')
}
if (stats.inFlight > 0) fail('reply streams left open on the backend', `${stats.inFlight}`)

// Client side: once the backend is gone, no socket, timer or other handle may remain.
await backend.call('close')
await backend.worker.terminate()
let leftover = extraResources(baselineResources)
for (let i = 0; i < 50 && Object.keys(leftover).length > 0; i++) {
  await sleep(100)
  leftover = extraResources(baselineResources)
}
if (Object.keys(leftover).length > 0) fail('handles left after closing', JSON.stringify(leftover))

const growth = heap['100%'] - heap['25%']
if (growth > HEAP_GROWTH_LIMIT_BYTES) {
  fail('heap growth', `${mb(growth)} MB from 25% to 100% (limit ${mb(HEAP_GROWTH_LIMIT_BYTES)} MB)`)
}

// ---------------------------------------------------------------------------------------------
// Report

function mb(bytes) {
  return (bytes / 1024 / 1024).toFixed(1)
}

function table(title, rows) {
  const width = Math.max(title.length, ...rows.map(([label]) => label.length))
  const lines = [`${title.padEnd(width)}  ${'count'.padStart(6)}`, `${'-'.repeat(width)}  ------`]
  for (const [label, n] of rows) lines.push(`${label.padEnd(width)}  ${String(n).padStart(6)}`)
  return lines.join('\n')
}

const sortedRows = (map) => [...map.entries()].sort((a, b) => b[1] - a[1])
const resolved = outcomes.get('resolved') ?? 0
console.log(
  `\nsoak: ${MESSAGES} messages, ${ACCOUNTS} accounts + 1 edge account × ${CONCURRENCY} concurrent senders, ` +
    `${CONVERSATIONS} conversations each, seed ${SEED}, fault rate ${FAULT_RATE}, ` +
    `idle timeout ${IDLE_TIMEOUT_MS} ms, chunking ${CHUNKING}: ${runSeconds.toFixed(1)} s\n`
)
console.log(table('outcome', [...sortedRows(outcomes), ['total settled', settled]]))
console.log(`\n${resolved} resolved, ${settled - resolved} rejected\n`)
console.log(table('scenario', sortedRows(scenarioCounts)))
console.log('')
console.log(table('fault injected', [...sortedRows(faultsQueued), ['total', [...faultsQueued.values()].reduce((a, b) => a + b, 0)]]))
console.log(
  `\nbackend: ${stats.requests} requests, ${stats.conversations} conversations; ` +
    `${secrets.size} distinct tokens watched; ${debugLines} debug lines checked`
)
console.log(
  `heap after GC (MB): start ${mb(heap.start)}, 25% ${mb(heap['25%'])}, 50% ${mb(heap['50%'])}, ` +
    `75% ${mb(heap['75%'])}, 100% ${mb(heap['100%'])}; growth 25%→100% ${growth >= 0 ? '+' : ''}${mb(growth)} MB ` +
    `(limit +${mb(HEAP_GROWTH_LIMIT_BYTES)} MB)`
)
console.log(
  `handles before: ${JSON.stringify(baselineResources)}; left after closing: ${JSON.stringify(leftover)}`
)
console.log(
  `\nhung: ${hung} (bound: timeoutMs or ${NO_TIMEOUT_BOUND_MS} ms, + ${GRACE_MS} ms)` +
    (hung > 0 ? `; ${lateSettles} settled later; by scenario: ${JSON.stringify(Object.fromEntries(sortedRows(hungBy)))}` : '')
)
console.log(`unhandled rejections: ${unhandledRejections}`)
console.log(`aborted inside a callback yet resolved (the reply had ended in the same read): ${resolvedAfterCallbackAbort}`)

const checks = [
  ['every call settled', !failureCounts.has('calls never settled')],
  ['no call hung (each settled within its timeout + grace)', hung === 0 && !failureCounts.has('hung call')],
  ["every call aborted inside a callback rejected with the caller's reason", !failureCounts.has('abort not honoured')],
  ['no stream whose iteration and result disagree', !failureCounts.has('stream iteration and result disagree')],
  ['every rejection a ChatGPTError with a documented code (or the caller\'s abort reason)',
    !failureCounts.has('undocumented error code') && !failureCounts.has('rejection that is not a ChatGPTError')],
  ['every resolved reply exact, every progress text a prefix of it',
    !failureCounts.has('wrong reply') && !failureCounts.has('progress not a prefix of the reply')],
  ['no unhandled rejection or uncaught exception', !failureCounts.has('unhandled rejection') && !failureCounts.has('uncaught exception')],
  ['no MaxListenersExceededWarning', !failureCounts.has('listener leak')],
  ['no handle left after closing; no reply stream left open',
    !failureCounts.has('handles left after closing') && !failureCounts.has('reply streams left open on the backend')],
  ['heap flat from 25% to 100%', !failureCounts.has('heap growth')],
  ['no token in errors or debug lines', !failureCounts.has('token in an error') && !failureCounts.has('token in a debug line')]
]
console.log('')
for (const [label, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'}  ${label}`)
if (failures.length > 0) {
  console.log(`\nfailures (${[...failureCounts.values()].reduce((a, b) => a + b, 0)}):`)
  for (const [kind, n] of failureCounts) console.log(`  ${kind}: ${n}`)
  console.log('examples:')
  for (const failure of failures) console.log(`  - ${masked(failure)}`)
}
const pass = failureCounts.size === 0
console.log(pass ? '\nsoak: PASS' : '\nsoak: FAIL')
// One machine-readable line, for `--seeds`.
console.log(
  `SOAK_RESULT ${JSON.stringify({
    seed: SEED,
    messages: MESSAGES,
    seconds: Number(runSeconds.toFixed(1)),
    resolved,
    rejected: settled - resolved - hung,
    hung,
    hungBy: Object.fromEntries(hungBy),
    unhandledRejections,
    resolvedAfterCallbackAbort,
    failures: Object.fromEntries(failureCounts),
    pass
  })}`
)
process.exit(pass ? 0 : 1)

// ---------------------------------------------------------------------------------------------
// --seeds N: one process per seed, one after another

async function runSeeds() {
  const first = SEED
  const passOn = process.argv.slice(2).filter((arg, i, all) => {
    // Everything but --seeds/--seed and their values (given as `--x v` or `--x=v`).
    const name = arg.split('=')[0]
    const previous = all[i - 1]?.split('=')[0]
    if (name === '--seeds' || name === '--seed') return false
    if ((previous === '--seeds' || previous === '--seed') && !all[i - 1].includes('=')) return false
    return true
  })
  if (!passOn.some((arg) => arg.split('=')[0] === '--messages')) passOn.push('--messages', String(MESSAGES))
  const results = []
  const began = Date.now()
  console.log(`soak: ${SEEDS} seeds from ${first}, ${MESSAGES} messages each, ${JOBS} at a time`)
  const runOne = async (seed) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--seed', String(seed), ...passOn], {
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    // Progress lines of parallel seeds would interleave: only the result is printed.
    child.stderr.on('data', () => {})
    const code = await new Promise((resolve) => child.on('close', resolve))
    const line = out.split('\n').find((l) => l.startsWith('SOAK_RESULT '))
    const result = line ? JSON.parse(line.slice('SOAK_RESULT '.length)) : { seed, pass: false, crashed: true, exitCode: code }
    results.push(result)
    if (result.crashed) {
      console.log(`seed ${seed}: FAIL  (exited ${code} without a result)\n${out.split('\n').slice(-20).join('\n')}`)
      return
    }
    const kinds = Object.entries(result.failures).map(([kind, n]) => `${kind} ×${n}`).join(', ')
    console.log(
      `seed ${seed}: ${result.pass ? 'PASS' : 'FAIL'}  ${result.messages} calls in ${result.seconds} s — ` +
        `resolved ${result.resolved}, rejected ${result.rejected}, hung ${result.hung}, ` +
        `unhandled rejections ${result.unhandledRejections}` +
        (result.hung > 0 ? `; hung by scenario ${JSON.stringify(result.hungBy)}` : '') +
        (kinds ? `; failed: ${kinds}` : '')
    )
  }
  const queue = Array.from({ length: SEEDS }, (_, i) => first + i)
  await Promise.all(
    Array.from({ length: Math.min(JOBS, SEEDS) }, async () => {
      while (queue.length > 0) await runOne(queue.shift())
    })
  )
  const failed = results.filter((r) => !r.pass)
  const sum = (key) => results.reduce((total, r) => total + (r[key] ?? 0), 0)
  console.log(
    `\nsoak summary: ${results.length} seeds, ${results.length - failed.length} passed, ${failed.length} failed; ` +
      `${sum('messages')} calls, hung: ${sum('hung')} (${results.filter((r) => r.hung > 0).length} seeds with hangs), ` +
      `unhandled rejections: ${sum('unhandledRejections')}; ` +
      `${((Date.now() - began) / 1000).toFixed(0)} s` +
      (failed.length ? ` — failed seeds: ${failed.map((r) => r.seed).join(', ')}` : '')
  )
  process.exit(failed.length === 0 ? 0 : 1)
}
