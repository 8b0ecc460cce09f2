#!/usr/bin/env node
// What coordinating an account pool costs, against the test backend with no delay between events
// (so the pool's own work shows, not the backend's pacing). The backend runs in a process of its
// own, each pool in its own process (bench/pool-worker.mjs).
//
// Measured, side by side in one run:
//   throughput   messages per second through ChatGPTAccountPool: 1 process with the in-process
//                coordinator; 1 process on Redis; 3 processes sharing Redis (RedisCoordinator +
//                RedisStore) and the same accounts
//   lease cost   one sender, messages one after another, so no lease is ever waited for: the time
//                the pool spends in the coordinator's acquire + release, per message (a wrapping
//                coordinator times them), and the whole message, in-process vs Redis
//   round trips  Redis commands per message: the lease's (RedisCoordinator.leaseRoundTrips) and
//                all of them, counted on the client (every command ioredis sends, by name)
// The issue's aim: Redis coordination costing <= 2 round trips and <= 1 ms per message on
// loopback. The backend's reply counts check that no account ever had two replies in flight.
//
//   node bench/pool.mjs [--messages 400 --senders 8 --accounts 4 --processes 3 --sequential 200 --words 20]
//   (after `npm run build`; `npm run bench` runs it with the defaults, and passes its own
//   arguments to long-reply-cpu.mjs, the last of its scripts)
//   Redis: CHATGPT_KIT_BENCH_REDIS_URL (default redis://127.0.0.1:6379); skipped when it doesn't answer.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import { RedisCoordinator, connectRedis } from 'chatgpt-kit-server'

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '400' },
    senders: { type: 'string', default: '8' },
    accounts: { type: 'string', default: '4' },
    processes: { type: 'string', default: '3' },
    sequential: { type: 'string', default: '200' },
    words: { type: 'string', default: '20' }
  },
  strict: false
})
const MESSAGES = Number(values.messages)
const SENDERS = Number(values.senders)
const ACCOUNTS = Number(values.accounts)
const PROCESSES = Number(values.processes)
const SEQUENTIAL = Number(values.sequential)
const REDIS_URL = process.env.CHATGPT_KIT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const AIM = { roundTrips: 2, ms: 1 }

const here = (file) => new URL(file, import.meta.url).pathname

/** A process that prints JSON lines: `next()` resolves to the next one. */
function jsonLines(child, what) {
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return async () => {
    const { value, done } = await lines.next()
    if (done) throw new Error(`${what} ended early: ${stderr.trim().slice(-2000) || 'no error output'}`)
    return JSON.parse(value)
  }
}

async function startBackend() {
  const child = spawn(
    process.execPath,
    [here('./backend-process.mjs'), JSON.stringify({ shape: 'v1', eventDelayMs: 0, tokens: Number(values.words), accounts: ACCOUNTS, control: true })],
    { stdio: ['pipe', 'pipe', 'pipe'] }
  )
  const next = jsonLines(child, 'the test backend')
  const backend = await next()
  const ask = async (line) => {
    child.stdin.write(`${line}\n`)
    return next()
  }
  return { ...backend, ask, stop: () => child.kill('SIGTERM') }
}

/**
 * One phase: `processes` workers share `messages` (and the backend's accounts), each with
 * `senders` concurrent senders; they all start on one signal. Throws when a message went
 * unanswered or an account had two replies in flight.
 */
async function phase(backend, { processes = 1, coordinator, senders, messages, prefix }) {
  const accounts = backend.sessionTokens.map((sessionToken, i) => ({
    id: `bench-${i}`,
    sessionToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl
  }))
  const workers = Array.from({ length: processes }, (_, n) => {
    const share = Math.floor(messages / processes) + (n < messages % processes ? 1 : 0)
    const config = { coordinator, redisUrl: REDIS_URL, prefix, accounts, senders, messages: share, warmup: accounts.length * 4 }
    const child = spawn(process.execPath, [here('./pool-worker.mjs'), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] })
    return { child, next: jsonLines(child, `pool process ${n + 1}`) }
  })
  try {
    await Promise.all(workers.map(({ next }) => next()))
    await backend.ask('reset')
    for (const { child } of workers) child.stdin.write('go\n')
    const results = await Promise.all(workers.map(({ next }) => next()))
    await Promise.all(workers.map(({ child }) => (child.exitCode === null ? once(child, 'exit') : undefined)))
    const stats = await backend.ask('stats')
    return summarize(results, stats, messages)
  } finally {
    for (const { child } of workers) if (child.exitCode === null) child.kill('SIGTERM')
  }
}

function summarize(results, stats, messages) {
  const sum = (key) => results.reduce((total, result) => total + result[key], 0)
  const answered = sum('answered')
  if (answered !== messages) throw new Error(`only ${answered} of ${messages} messages were answered: the run is not valid`)
  const replies = Object.values(stats.replies)
  const maxInFlight = Math.max(...replies.map((account) => account.maxInFlight))
  const refused = replies.reduce((total, account) => total + account.refused, 0)
  if (maxInFlight > 1 || refused > 0) throw new Error(`collision at the backend: ${maxInFlight} replies at once on an account, ${refused} refused`)
  const added = (key) => {
    const total = {}
    for (const result of results) for (const [name, count] of Object.entries(result[key])) total[name] = (total[name] ?? 0) + count
    return total
  }
  const commands = added('commands')
  const seconds = (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000
  return {
    messages,
    seconds,
    perSecond: messages / seconds,
    cpuMsPerMessage: sum('cpuMs') / messages,
    // Of one process's messages (the uncontended runs have one): with several, it would mix them.
    medianMs: results.length === 1 ? results[0].medianMs : undefined,
    acquireMs: sum('acquireMs') / sum('acquires'),
    releaseMs: sum('releaseMs') / sum('releases'),
    leaseRoundTrips: sum('leaseRoundTrips') / messages,
    commands,
    leaseScripts: added('leaseScripts'),
    commandsPerMessage: Object.values(commands).reduce((a, b) => a + b, 0) / messages,
    conversationPosts: stats.paths['POST /backend-api/conversation'] ?? 0,
    accountsUsed: replies.length
  }
}

/** Redis, or why not: the Redis part is skipped rather than failing the whole bench. */
async function reachRedis() {
  try {
    return { redis: await connectRedis(REDIS_URL, { connectTimeoutMs: 1000, commandTimeoutMs: 2000 }) }
  } catch (error) {
    return { why: error instanceof Error ? error.message : String(error) }
  }
}

async function deletePrefix(redis, prefix) {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
}

/**
 * The coordinator without a pool, in this process: `count` leases on one of 4 accounts, each
 * released (awaited) before the next is taken. What the lease costs with nothing else on the event
 * loop; and a PING's round trip, the floor of any command on this connection.
 */
async function bareLeases(redis, prefix, count) {
  const pings = []
  for (let i = 0; i < count; i++) {
    const start = performance.now()
    await redis.ping()
    pings.push(performance.now() - start)
  }
  const coordinator = await RedisCoordinator.open({ redis, prefix: `${prefix}bare:` })
  try {
    const request = { candidates: () => ['a', 'b', 'c', 'd'], signal: new AbortController().signal }
    for (let i = 0; i < 50; i++) await (await coordinator.acquire(request)).release() // warm-up
    const before = coordinator.leaseRoundTrips
    const start = performance.now()
    for (let i = 0; i < count; i++) await (await coordinator.acquire(request)).release()
    return {
      leaseMs: (performance.now() - start) / count,
      roundTrips: (coordinator.leaseRoundTrips - before) / count,
      pingMs: pings.sort((a, b) => a - b)[Math.floor(count / 2)]
    }
  } finally {
    await coordinator.close()
  }
}

const ms = (value) => `${value.toFixed(3)} ms`
const ratio = (value, aim) => `${(value / aim).toFixed(2)}× the aim`
const byName = (commands, messages) =>
  Object.entries(commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${name} ${(count / messages).toFixed(2)}`)
    .join(', ')

const backend = await startBackend()
const { redis, why } = await reachRedis()
const prefix = `chatgpt-kit-bench:pool:${randomUUID().slice(0, 8)}:`
try {
  console.log(
    `\npool: ${ACCOUNTS} accounts, replies of ${backend.replyLength} chars (v1 shape, events back to back), ` +
      `test backend in its own process; Node ${process.version}`
  )
  const rows = []
  const local = await phase(backend, { coordinator: 'memory', senders: SENDERS, messages: MESSAGES })
  rows.push(['1 process, in-process coordinator', `${SENDERS}`, local])
  let redisRows
  if (redis) {
    const one = await phase(backend, { coordinator: 'redis', senders: SENDERS, messages: MESSAGES, prefix })
    rows.push(['1 process, Redis', `${SENDERS}`, one])
    const many = await phase(backend, { processes: PROCESSES, coordinator: 'redis', senders: SENDERS, messages: MESSAGES, prefix })
    rows.push([`${PROCESSES} processes, Redis`, `${PROCESSES}×${SENDERS}`, many])
    redisRows = { one, many }
  }

  console.log(`\nthroughput: ${MESSAGES} messages, each process's senders sending the next as soon as theirs is answered`)
  console.log('pool                                senders    msg/s   × in-process   pool CPU/msg   lease RT/msg   Redis cmds/msg')
  for (const [name, senders, row] of rows) {
    const redisColumns = row === local ? ['-', '-'] : [row.leaseRoundTrips.toFixed(2), row.commandsPerMessage.toFixed(2)]
    console.log(
      `${name.padEnd(35)} ${senders.padStart(7)} ${row.perSecond.toFixed(0).padStart(8)} ${`${(row.perSecond / local.perSecond).toFixed(2)}×`.padStart(14)}` +
        ` ${ms(row.cpuMsPerMessage).padStart(14)} ${redisColumns[0].padStart(14)} ${redisColumns[1].padStart(16)}`
    )
  }
  console.log(`every message answered once; no account ever had 2 replies in flight, no "one message at a time" refusal`)

  if (!redis) {
    console.log(`\npool over Redis: skipped, Redis at ${REDIS_URL} is not reachable (${why})`)
  } else {
    console.log(`\nlease cost, uncontended: 1 process, 1 sender, ${SEQUENTIAL} messages one after another`)
    const alone = await phase(backend, { coordinator: 'memory', senders: 1, messages: SEQUENTIAL })
    const shared = await phase(backend, { coordinator: 'redis', senders: 1, messages: SEQUENTIAL, prefix })
    console.log('coordinator        acquire     release   acquire+release   message, median   lease RT/msg   Redis cmds/msg')
    for (const [name, row] of [['in-process', alone], ['Redis', shared]]) {
      const perMessage = row.medianMs
      const redisColumns = row === alone ? ['-', '-'] : [row.leaseRoundTrips.toFixed(2), row.commandsPerMessage.toFixed(2)]
      console.log(
        `${name.padEnd(14)} ${ms(row.acquireMs).padStart(11)} ${ms(row.releaseMs).padStart(11)} ${ms(row.acquireMs + row.releaseMs).padStart(17)}` +
          ` ${ms(perMessage).padStart(17)} ${redisColumns[0].padStart(14)} ${redisColumns[1].padStart(16)}`
      )
    }
    console.log('(acquire and release: from the call to its end, so other work of the event loop meanwhile counts too; the pool does not wait for a release)')
    const bare = await bareLeases(redis, prefix, 1000)
    const overhead = shared.acquireMs + shared.releaseMs - (alone.acquireMs + alone.releaseMs)
    const wholeMs = shared.medianMs - alone.medianMs
    console.log(`\nlease overhead per message (Redis acquire+release − in-process, in the pool): ${ms(overhead)}, ${ratio(overhead, AIM.ms)} (≤ ${AIM.ms} ms)`)
    console.log(`  a whole message on Redis vs in-process (lease and store), median: ${wholeMs >= 0 ? '+' : ''}${ms(wholeMs)}`)
    console.log(
      `  the coordinator alone, acquire then release awaited, 1000 times: ${ms(bare.leaseMs)} per lease in ${bare.roundTrips.toFixed(2)} round trips` +
        ` (a PING's round trip: ${ms(bare.pingMs)})`
    )
    console.log(
      `Redis round trips per message for the lease, uncontended: ${shared.leaseRoundTrips.toFixed(2)}, ${ratio(shared.leaseRoundTrips, AIM.roundTrips)} (≤ ${AIM.roundTrips})`
    )
    console.log(`  all commands, uncontended: ${shared.commandsPerMessage.toFixed(2)} per message (${byName(shared.commands, SEQUENTIAL)})`)
    console.log(`    lease scripts: ${byName(shared.leaseScripts, SEQUENTIAL)}`)
    for (const [name, row] of [['1 process', redisRows.one], [`${PROCESSES} processes`, redisRows.many]]) {
      console.log(`  under load, ${name}: ${row.leaseRoundTrips.toFixed(2)} for the lease, ${row.commandsPerMessage.toFixed(2)} in all (${byName(row.commands, MESSAGES)})`)
      console.log(`    lease scripts: ${byName(row.leaseScripts, MESSAGES)}`)
    }
    console.log("  (counted on the client, as ioredis sends them: evalsha = the lease's scripts, set = the store's conversation binding)")
  }
} finally {
  backend.stop()
  if (redis) {
    await deletePrefix(redis, prefix).catch((error) => console.error(`could not delete ${prefix}* from Redis: ${error.message}`))
    redis.disconnect()
  }
}
