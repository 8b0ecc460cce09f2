#!/usr/bin/env node
// CPU the client spends to consume one long, paced reply, measured in this process
// (process.cpuUsage) while the test backend streams from another process.
//
// Contenders, side by side in one run:
//   raw floor      fetch + streaming UTF-8 decode + one JSON.parse per event, nothing else
//   chatgpt        this package (build/)
//   chatgpt@2.1.1  the original `chatgpt` package (v2)
// each with markdown on (the reply as sent) and off (plain text), and the ratios to the floor.
//
//   npm run bench [-- --tokens 1800 --reps 3 --delay 1 --shape 2022]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import { ChatGPTAPI } from 'chatgpt-kit'
import { ChatGPTAPI as SeedChatGPTAPI } from 'chatgpt-2.1.1'

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1800' },
    reps: { type: 'string', default: '3' },
    delay: { type: 'string', default: '1' },
    // 2022 is the cumulative shape chatgpt@2.1.1 understands; ours reads all three.
    shape: { type: 'string', default: '2022' }
  }
})
const tokens = Number(values.tokens)
const reps = Number(values.reps)

const child = spawn(
  process.execPath,
  [new URL('./backend-process.mjs', import.meta.url).pathname, JSON.stringify({ shape: values.shape, tokens, eventDelayMs: Number(values.delay) })],
  { stdio: ['ignore', 'pipe', 'inherit'] }
)
const [line] = await once(createInterface({ input: child.stdout }), 'line')
const backend = JSON.parse(line)

const clientOptions = {
  sessionToken: backend.sessionToken,
  clearanceToken: backend.clearanceToken,
  apiBaseUrl: backend.apiBaseUrl,
  backendApiBaseUrl: backend.backendApiBaseUrl
}

/** The floor: what any client must do at least. Counts events to check the run was real. */
async function rawFloor(accessToken) {
  const response = await fetch(`${backend.backendApiBaseUrl}/conversation`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${accessToken}`,
      'Content-Type': 'application/json',
      Accept: 'text/event-stream',
      Cookie: `cf_clearance=${backend.clearanceToken}`,
      'User-Agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36'
    },
    body: JSON.stringify({
      action: 'next',
      messages: [{ id: crypto.randomUUID(), role: 'user', content: { content_type: 'text', parts: ['bench'] } }],
      model: 'text-davinci-002-render',
      parent_message_id: crypto.randomUUID()
    })
  })
  const decoder = new TextDecoder()
  let buffer = ''
  let events = 0
  let text = ''
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let end
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const data = buffer.slice(buffer.indexOf('data: ') + 6, end)
      buffer = buffer.slice(end + 2)
      if (data === '[DONE]') continue
      const event = JSON.parse(data)
      events++
      text = event.message?.content?.parts?.[0] ?? text
    }
  }
  return { text, events }
}

/** A client of either implementation, signed in, counting progress events like a UI would. */
async function client(ClientClass, markdown) {
  const api = new ClientClass({ ...clientOptions, markdown, accessTokenTTL: 3_600_000 })
  await api.ensureAuth()
  return async () => {
    let events = 0
    const text = await api.sendMessage('bench', { onProgress: () => events++ })
    return { text, events }
  }
}

async function floor() {
  const api = new ChatGPTAPI({ ...clientOptions, accessTokenTTL: 3_600_000 })
  const accessToken = await api.ensureAuth()
  return () => rawFloor(accessToken)
}

/** Median CPU milliseconds (user + system) of this process over `reps` replies. */
async function measure(run) {
  await run() // warm-up: JIT, connection pool, lazy imports
  const samples = []
  let events = 0
  for (let i = 0; i < reps; i++) {
    const start = process.cpuUsage()
    const result = await run()
    const used = process.cpuUsage(start)
    samples.push((used.user + used.system) / 1000)
    events = result.events
    if (!result.text) throw new Error('a contender returned no text: the run is not valid')
  }
  samples.sort((a, b) => a - b)
  return { ms: samples[Math.floor(samples.length / 2)], events }
}

const rows = []
try {
  const floorResult = await measure(await floor())
  rows.push(['raw floor', '-', floorResult])
  for (const markdown of [true, false]) {
    const mode = markdown ? 'markdown' : 'plain text'
    rows.push(['chatgpt (this)', mode, await measure(await client(ChatGPTAPI, markdown))])
    rows.push(['chatgpt@2.1.1', mode, await measure(await client(SeedChatGPTAPI, markdown))])
  }

  console.log(`reply: ${backend.replyLength} chars in ${floorResult.events} events (${values.shape} shape, ${values.delay} ms apart), median of ${reps}; Node ${process.version}`)
  console.log('')
  console.log('contender          mode         CPU/reply   × raw floor')
  for (const [name, mode, { ms }] of rows) {
    console.log(`${name.padEnd(18)} ${mode.padEnd(12)} ${`${ms.toFixed(1)} ms`.padStart(10)}   ${(ms / floorResult.ms).toFixed(2).padStart(8)}×`)
  }
} finally {
  child.kill('SIGTERM')
}
