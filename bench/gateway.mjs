#!/usr/bin/env node
// What the OpenAI-compatible gateway adds to the library, against the test backend with no delay
// between events (so the gateway's own work shows, not the backend's pacing). Every side runs in
// a process of its own, so that CPU is separable:
//   direct           the library called in one process (bench/gateway-direct.mjs):
//                    pool.sendMessageDetailed, or pool.streamMessage with every delta taken
//   node:http floor  bare node:http, JSON.parse, the same pool call, the answer written by hand
//                    (bench/gateway-floor.mjs): what any HTTP front costs, the gateway's floor
//   gateway          createGateway + serveGateway as shipped (bench/gateway-server.mjs): one API
//                    key, the JSON request log (pino) written to /dev/null, metrics, usage counted
//   gateway, override on   the same on @hono/node-server with overrideGlobalObjects on (serveGateway
//                    turns it off: the library's own fetch must keep Node's Request and Response)
// all over the same kind of pool (4 accounts of the backend, in-process coordinator, memory
// store). This process is the HTTP client: plain fetch (undici, keep-alive) over loopback,
// reading the whole answer: `.json()`, or for a stream every SSE event JSON.parse'd and its delta
// appended, as an SDK does (`stream_options.include_usage` on, so both modes count usage).
//
// Measured, side by side in one run, interleaved in rounds so that other work on the machine
// falls on every side alike, for a short and a long reply:
//   latency      1 request at a time: p50 and p99 of the whole request (and of the first token
//                when streaming); "added" is this side's percentile − the direct one's
//   throughput   --senders concurrent requests: requests per second
//   CPU          per request, of each side's process, over both phases; × direct
// The aims: the gateway adds <= 15% CPU per request over the direct library, and <= 2 ms
// at p50 on loopback.
//
//   node bench/gateway.mjs [--words 100,1000 --sequential 150 --requests 400 --senders 8
//     --accounts 4 --rounds 3 --no-override --profile DIR]
//   (after `npm run build`; `npm run bench` runs it with the defaults.) Counts are for the first
//   reply size; a reply n times longer gets √n times fewer requests, so that the run stays short.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    words: { type: 'string', default: '100,1000' },
    sequential: { type: 'string', default: '150' },
    requests: { type: 'string', default: '400' },
    senders: { type: 'string', default: '8' },
    accounts: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    'no-override': { type: 'boolean', default: false },
    // A directory: every side's process writes a V8 CPU profile there (node --cpu-prof).
    profile: { type: 'string' }
  },
  strict: false
})
const SIZES = values.words.split(',').map(Number)
const SENDERS = Number(values.senders)
const ROUNDS = Number(values.rounds)
const AIM = { cpuRatio: 1.15, addedP50Ms: 2 }
const API_KEY = 'sk-bench-gateway-key'
const MODES = ['answer', 'stream']

const here = (file) => new URL(file, import.meta.url).pathname

/** A child process that prints JSON lines: `next()` resolves to the next one, `ask(line)` writes one first. */
function jsonChild(script, config, what) {
  const profile = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : []
  const child = spawn(process.execPath, [...(script === './backend-process.mjs' ? [] : profile), here(script), JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => {
    const { value, done } = await lines.next()
    if (done) throw new Error(`${what} ended early: ${stderr.trim().slice(-2000) || 'no error output'}`)
    return JSON.parse(value)
  }
  const ask = (line) => {
    child.stdin.write(`${line}\n`)
    return next()
  }
  return { next, ask, stop: () => child.exitCode === null && child.kill('SIGTERM') }
}

/** One request through an HTTP side, its whole answer read; the reply's length, to check it. */
async function overHttp(url, mode, model, n) {
  const start = performance.now()
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content: `bench message ${n}` }],
      ...(mode === 'stream' && { stream: true, stream_options: { include_usage: true } })
    })
  })
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
  if (mode === 'answer') {
    const body = await response.json()
    return { ms: performance.now() - start, length: body.choices[0].message.content.length }
  }
  const decoder = new TextDecoder()
  let buffer = ''
  let text = ''
  let firstMs
  let done = false
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true })
    let end
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const data = buffer.slice(6, end)
      buffer = buffer.slice(end + 2)
      if (data === '[DONE]') {
        done = true
        continue
      }
      const delta = JSON.parse(data).choices[0]?.delta.content
      if (delta) {
        firstMs ??= performance.now() - start
        text += delta
      }
    }
  }
  if (!done) throw new Error('a stream ended without [DONE]')
  return { ms: performance.now() - start, firstMs, length: text.length }
}

/** `requests` requests from `senders` loops; the server's CPU, asked before and after. */
async function httpRun(server, { mode, senders, requests, model }) {
  let next = 0
  const samples = []
  const { cpuMs: cpuBefore } = await server.ask('cpu')
  const clientCpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(
    Array.from({ length: Math.min(senders, requests) }, async () => {
      while (next < requests) samples.push(await overHttp(server.url, mode, model, next++))
    })
  )
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(clientCpu)
  const { cpuMs: cpuAfter } = await server.ask('cpu')
  return { seconds, cpuMs: cpuAfter - cpuBefore, clientCpuMs: (used.user + used.system) / 1000, samples }
}

/** Runs of one side and mode added up; throws when a reply was not the backend's whole reply. */
function tally() {
  return { samples: [], seconds: 0, cpuMs: 0, clientCpuMs: 0, requests: 0 }
}
function add(total, run, expectedLength) {
  for (const sample of run.samples) {
    if (sample.length !== expectedLength) throw new Error(`a reply of ${sample.length} chars, not ${expectedLength}: the run is not valid`)
  }
  total.samples.push(...run.samples)
  total.seconds += run.seconds
  total.cpuMs += run.cpuMs
  total.clientCpuMs += run.clientCpuMs ?? 0
  total.requests += run.samples.length
}

function percentile(samples, key, p) {
  const sorted = samples
    .map((sample) => sample[key])
    .filter((value) => value !== undefined)
    .sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

const ms = (value) => `${value.toFixed(2)} ms`
const signed = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)} ms`
const times = (value) => `${value.toFixed(2)}×`
const pad = (text, width) => String(text).padStart(width)

/** Every side over a backend whose replies are about `words` words; prints its tables, returns the gateway's ratios. */
async function measure(words, { sequential, requests, override }) {
  const children = []
  const start = (script, config, what) => {
    const child = jsonChild(script, config, what)
    children.push(child)
    return child
  }
  try {
    const backend = await start('./backend-process.mjs', { shape: 'v1', eventDelayMs: 0, tokens: words, accounts: Number(values.accounts) }, 'the test backend').next()
    const direct = start('./gateway-direct.mjs', { backend }, 'the direct process')
    const servers = [
      ['node:http floor', './gateway-floor.mjs', {}],
      ['gateway', './gateway-server.mjs', { apiKey: API_KEY }],
      ...(override ? [['gateway, override on', './gateway-server.mjs', { apiKey: API_KEY, overrideGlobalObjects: true }]] : [])
    ].map(([name, script, config]) => ({ name, child: start(script, { backend, ...config }, `the ${name} process`) }))
    await direct.next()
    for (const server of servers) server.child.url = (await server.child.next()).url

    const gatewayUrl = servers.find((server) => server.name === 'gateway').child.url
    const models = await (await fetch(`${gatewayUrl}/v1/models`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()
    const model = models.data.some((entry) => entry.id === 'gpt-4o') ? 'gpt-4o' : models.data[0].id

    const sides = [
      { name: 'direct', run: (opts) => direct.ask(JSON.stringify(opts)) },
      ...servers.map(({ name, child }) => ({ name, run: (opts) => httpRun(child, opts) }))
    ]
    // Warm-up: every account signs in on every side, the JIT runs, connections open.
    for (const side of sides) for (const mode of MODES) await side.run({ mode, senders: SENDERS, requests: SENDERS * 4, model })

    const phases = [
      ['latency', 1, sequential],
      ['throughput', SENDERS, requests]
    ]
    const totals = {}
    const totalOf = (phase, mode, side) => (totals[`${phase} ${mode} ${side}`] ??= tally())
    for (let round = 0; round < ROUNDS; round++) {
      for (const [phase, senders, count] of phases) {
        for (const mode of MODES) {
          for (const side of sides) add(totalOf(phase, mode, side.name), await side.run({ mode, senders, requests: Math.ceil(count / ROUNDS), model }), backend.replyLength)
        }
      }
    }

    const bothPhases = (mode, side, key) =>
      phases.reduce((sum, [phase]) => sum + totalOf(phase, mode, side)[key], 0) / phases.reduce((sum, [phase]) => sum + totalOf(phase, mode, side).requests, 0)
    console.log(`\nreplies of ${backend.replyLength} chars (~${words} words)`)
    console.log(`latency, 1 request at a time (${sequential} of each):`)
    console.log('mode     side                        p50        p99   added p50   added p99   first token p50     added')
    const result = {}
    for (const mode of MODES) {
      const base = totalOf('latency', mode, 'direct').samples
      for (const { name } of sides) {
        const samples = totalOf('latency', mode, name).samples
        const [p50, p99] = [percentile(samples, 'ms', 50), percentile(samples, 'ms', 99)]
        const [addedP50, addedP99] = [p50 - percentile(base, 'ms', 50), p99 - percentile(base, 'ms', 99)]
        const first = mode === 'stream' ? percentile(samples, 'firstMs', 50) : undefined
        const addedFirst = first === undefined ? undefined : first - percentile(base, 'firstMs', 50)
        const isBase = name === 'direct'
        result[`${mode} ${name}`] = { addedP50 }
        console.log(
          `${mode.padEnd(8)} ${name.padEnd(22)} ${pad(ms(p50), 10)} ${pad(ms(p99), 10)} ${pad(isBase ? '-' : signed(addedP50), 11)} ${pad(isBase ? '-' : signed(addedP99), 11)}` +
            ` ${pad(first === undefined ? '-' : ms(first), 17)} ${pad(isBase || first === undefined ? '-' : signed(addedFirst), 9)}`
        )
      }
    }
    console.log(`throughput, ${SENDERS} senders (${requests} of each); CPU per request of the side's process, both phases:`)
    console.log('mode     side                      req/s   × direct     CPU/req   × direct   client CPU/req')
    for (const mode of MODES) {
      const base = totalOf('throughput', mode, 'direct')
      const baseCpu = bothPhases(mode, 'direct', 'cpuMs')
      for (const { name } of sides) {
        const run = totalOf('throughput', mode, name)
        const rate = run.requests / run.seconds
        const cpu = bothPhases(mode, name, 'cpuMs')
        Object.assign(result[`${mode} ${name}`], { cpuRatio: cpu / baseCpu, rate: rate / (base.requests / base.seconds), cpu })
        console.log(
          `${mode.padEnd(8)} ${name.padEnd(22)} ${pad(rate.toFixed(0), 8)} ${pad(times(rate / (base.requests / base.seconds)), 10)} ${pad(ms(cpu), 11)} ${pad(times(cpu / baseCpu), 10)}` +
            ` ${pad(name === 'direct' ? '-' : ms(bothPhases(mode, name, 'clientCpuMs')), 16)}`
        )
      }
    }
    return result
  } finally {
    for (const child of children) child.stop()
  }
}

console.log(
  `\ngateway: ${values.accounts} accounts, test backend (v1 shape, events back to back) in its own process, every side in its own;` +
    ` client: fetch over loopback, whole answer read; ${ROUNDS} rounds interleaved; Node ${process.version}`
)
const results = []
for (const [index, words] of SIZES.entries()) {
  const scale = Math.min(1, Math.sqrt(SIZES[0] / words))
  const counts = { sequential: Math.ceil(Number(values.sequential) * scale), requests: Math.ceil(Number(values.requests) * scale) }
  results.push([words, await measure(words, { ...counts, override: index === 0 && !values['no-override'] })])
}

console.log(`\nthe gateway (serveGateway as shipped) against the aims: ≤ ${times(AIM.cpuRatio)} the direct library's CPU per request, ≤ +${AIM.addedP50Ms} ms p50`)
for (const [words, result] of results) {
  for (const mode of MODES) {
    const { cpuRatio, addedP50 } = result[`${mode} gateway`]
    const floor = result[`${mode} node:http floor`]
    console.log(
      `  ~${words} words, ${mode === 'answer' ? 'not streaming' : 'streaming'}:`.padEnd(34) +
        ` CPU ${times(cpuRatio)} (${cpuRatio <= AIM.cpuRatio ? 'within' : 'over'}; node:http floor ${times(floor.cpuRatio)}),` +
        ` p50 ${signed(addedP50)} (${addedP50 <= AIM.addedP50Ms ? 'within' : 'over'}; floor ${signed(floor.addedP50)})`
    )
  }
}
const [firstWords, first] = results[0]
if (first['answer gateway, override on']) {
  for (const mode of MODES) {
    const on = first[`${mode} gateway, override on`]
    const off = first[`${mode} gateway`]
    console.log(
      `  overrideGlobalObjects on, ~${firstWords} words, ${mode}: CPU/request ${times(on.cpu / off.cpu)} off, req/s ${times(on.rate / off.rate)} off,` +
        ` added p50 ${signed(on.addedP50)} (off: ${signed(off.addedP50)})`
    )
  }
}
