// The "direct" side of the gateway bench: the library called in one process, over the same
// backend and the same kind of pool as the gateway's, so that its CPU is the library's alone.
// Prints `{"ready":true}`, then takes one JSON line per run on stdin,
// `{"mode":"answer"|"stream","senders":N,"requests":N,"model":"…"}`, and prints one JSON line of
// what it measured: each request's time (call to whole reply) and first-token time, and the CPU
// this process used during the run.
import { createInterface } from 'node:readline'

import { benchPool, cpuMs } from './gateway-pool.mjs'

const { backend } = JSON.parse(process.argv[2])
const { pool } = benchPool(backend)

/** One request as an application would make it: the whole reply, or every delta of its stream. */
async function one(mode, model, n) {
  const start = performance.now()
  let firstMs
  let text = ''
  if (mode === 'answer') {
    text = (await pool.sendMessageDetailed(`bench message ${n}`, { model })).text
  } else {
    for await (const { delta } of pool.streamMessage(`bench message ${n}`, { model })) {
      if (firstMs === undefined && delta !== '') firstMs = performance.now() - start
      text += delta
    }
  }
  return { ms: performance.now() - start, firstMs, length: text.length }
}

/** `requests` requests from `senders` loops, each sending its next as soon as its last is answered. */
async function run({ mode, senders, requests, model }) {
  let next = 0
  const samples = []
  const cpuBefore = cpuMs()
  const start = performance.now()
  await Promise.all(
    Array.from({ length: Math.min(senders, requests) }, async () => {
      while (next < requests) samples.push(await one(mode, model, next++))
    })
  )
  return { seconds: (performance.now() - start) / 1000, cpuMs: cpuMs() - cpuBefore, samples }
}

// The bench kills it (an exit, so that a --cpu-prof profile is written).
process.on('SIGTERM', () => process.exit(0))
process.stdout.write(JSON.stringify({ ready: true }) + '\n')
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(JSON.stringify(await run(JSON.parse(line))) + '\n')
}
await pool.close()
