// One process of the pool bench: a pool over the bench backend's accounts, with the in-process
// coordinator and memory store, or a RedisCoordinator and RedisStore. It warms up (every account
// signs in, the JIT runs), prints `{"ready":true}`, sends its messages when a line `go` arrives on
// stdin, and prints one JSON line of what it measured.
import { createInterface } from 'node:readline'
import { once } from 'node:events'

import { ChatGPTAccountPool, InProcessCoordinator, MemoryStore } from 'chatgpt-kit'
import { RedisCoordinator, RedisStore, connectRedis } from 'chatgpt-kit-server'

import { countCommands, countsSince } from './count-commands.mjs'
import { timedCoordinator } from './timed-coordinator.mjs'

const config = JSON.parse(process.argv[2])
const { accounts, senders, messages, warmup } = config

let redis
let counts = { sent: {}, described: {} }
let inner
let store
if (config.coordinator === 'redis') {
  redis = await connectRedis(config.redisUrl)
  counts = countCommands(redis, describeLeaseScript)
  inner = await RedisCoordinator.open({ redis, prefix: config.prefix })
  store = new RedisStore({ redis, prefix: config.prefix })
} else {
  inner = new InProcessCoordinator()
  store = new MemoryStore()
}
const { coordinator, totals } = timedCoordinator(inner)
const pool = new ChatGPTAccountPool({ accounts, coordinator, store, maxQueueSize: 10_000 })

/**
 * Which lease script an EVALSHA ran, told by its answer (see lease-scripts.ts in the server
 * package): the acquire script answers `[index, ms]`, 0 for index when every account asked for
 * was held; release takes 1 key and 3 arguments (token, channel, name), renew 1 key and 2.
 */
function describeLeaseScript(command, result) {
  if (command.name !== 'evalsha') return undefined
  if (Array.isArray(result)) return Number(result[0]) > 0 ? 'acquire (taken)' : 'acquire (all held)'
  return command.args.length === 6 ? 'release' : 'renew'
}

/**
 * `total` messages from `senders` loops that each send the next one as soon as theirs is
 * answered; the answered ones and how long each message took, from call to reply.
 */
async function send(total) {
  let next = 0
  let answered = 0
  const durations = []
  await Promise.all(
    Array.from({ length: Math.min(senders, total) }, async () => {
      while (next < total) {
        const start = performance.now()
        const text = await pool.sendMessage(`bench message ${next++}`, { timeoutMs: 60_000 })
        durations.push(performance.now() - start)
        if (typeof text === 'string' && text.length > 0) answered++
      }
    })
  )
  return { answered, durations }
}

await send(warmup)
const input = createInterface({ input: process.stdin })
process.stdout.write(JSON.stringify({ ready: true }) + '\n')
await once(input, 'line')

const before = { totals: { ...totals }, sent: { ...counts.sent },
  described: { ...counts.described }, leaseRoundTrips: inner.leaseRoundTrips ?? 0 }
const cpu = process.cpuUsage()
const start = performance.timeOrigin + performance.now()
const { answered, durations } = await send(messages)
const end = performance.timeOrigin + performance.now()
const used = process.cpuUsage(cpu)
// Releases are not awaited by the pool (a lease that can't be released expires): let the last
// ones land before reading the counts.
await new Promise((resolve) => setTimeout(resolve, 50))
process.stdout.write(
  JSON.stringify({
    messages,
    answered,
    start,
    end,
    cpuMs: (used.user + used.system) / 1000,
    // The median, not the mean: one stall of a machine shared with other work moves a mean of
    // a few hundred 2 ms messages more than the lease does.
    medianMs: durations.sort((a, b) => a - b)[Math.floor(durations.length / 2)],
    acquires: totals.acquires - before.totals.acquires,
    acquireMs: totals.acquireMs - before.totals.acquireMs,
    releases: totals.releases - before.totals.releases,
    releaseMs: totals.releaseMs - before.totals.releaseMs,
    leaseRoundTrips: (inner.leaseRoundTrips ?? 0) - before.leaseRoundTrips,
    commands: countsSince(before.sent, counts.sent),
    leaseScripts: countsSince(before.described, counts.described)
  }) + '\n'
)
input.close()
// The pool closes only what it made itself: the coordinator and the connection are ours.
await pool.close()
await coordinator.close()
redis?.disconnect()
