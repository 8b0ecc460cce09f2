#!/usr/bin/env node
// CPU the client spends on very long replies, where any per-event cost that grows with the
// reply's length (re-reading the whole text, re-converting a whole line) turns quadratic.
// Measured in this process (process.cpuUsage) while the test backend streams from another one.
//
// Replies:
//   v1 reply     a markdown reply of --chars characters in the 2024 delta encoding (one word an event)
//   long line    one line of --line characters of snake_case words, **bold** and `code`, ~5 chars an event
// Contenders, side by side in one run, each as a ratio to the raw reader:
//   raw reader   fetch + streaming UTF-8 decode + one JSON.parse per event + the text appended, nothing else
//   streamMessage, markdown and plain text (markdown: false): every delta taken, as a UI would
//   CLI render / CLI plain: the `chatgpt` command's printer (terminal renderer / --plain) on every update
//
//   npm run bench -- --long-only [--chars 400000 --line 100000 --reps 1]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import { build } from 'esbuild'
import { ChatGPTAPI } from 'chatgpt-kit'

const { values } = parseArgs({
  options: {
    chars: { type: 'string', default: '400000' },
    line: { type: 'string', default: '100000' },
    reps: { type: 'string', default: '1' },
    'long-only': { type: 'boolean', default: false }
  },
  strict: false
})
const reps = Number(values.reps)

/** The CLI's printer is not part of the package's exports: bundle it from source for the bench. */
async function loadReplyPrinter() {
  const dir = mkdtempSync(join(tmpdir(), 'chatgpt-bench-'))
  try {
    const outfile = join(dir, 'reply-printer.mjs')
    await build({
      entryPoints: [new URL('../packages/chatgpt-kit-cli/src/reply-printer.ts', import.meta.url).pathname],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile,
      logLevel: 'error'
    })
    return (await import(outfile)).ReplyPrinter
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function startBackend(options) {
  const child = spawn(
    process.execPath,
    [new URL('./backend-process.mjs', import.meta.url).pathname, JSON.stringify({ shape: 'v1', eventDelayMs: 0, tokens: 0, ...options })],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  const [line] = await once(createInterface({ input: child.stdout }), 'line')
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') }
}

/** The floor: read the v1 stream and keep the reply text up to date, nothing more. */
async function rawReader(backend, accessToken) {
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
  let appending = false
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let end
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const data = buffer.slice(buffer.indexOf('data: ') + 6, end)
      buffer = buffer.slice(end + 2)
      if (data === '[DONE]' || data === '' || data === '"v1"') continue
      const event = JSON.parse(data)
      events++
      // The text's own ops only: the `add` that starts it, appends (sticky), the final patch.
      if (event.o === 'append' || (appending && event.p === undefined && typeof event.v === 'string')) {
        appending = true
        text += event.v
      } else if (event.o === 'patch') {
        appending = false
        for (const op of event.v) if (op.o === 'append' && typeof op.v === 'string') text += op.v
      } else if (event.o === 'add') {
        text = event.v.message?.content?.parts?.[0] ?? ''
      }
    }
  }
  return { text, events }
}

/** Median CPU milliseconds (user + system) of this process over `reps` replies. */
async function measure(run) {
  await run() // warm-up: JIT, connection pool, lazy imports
  const samples = []
  let result
  for (let i = 0; i < reps; i++) {
    const start = process.cpuUsage()
    result = await run()
    const used = process.cpuUsage(start)
    samples.push((used.user + used.system) / 1000)
  }
  if (!result.length) throw new Error('a contender returned no text: the run is not valid')
  samples.sort((a, b) => a - b)
  return { ms: samples[Math.floor(samples.length / 2)], length: result.length }
}

async function signedIn(backend, markdown) {
  const api = new ChatGPTAPI({
    sessionToken: backend.sessionToken,
    clearanceToken: backend.clearanceToken,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    markdown,
    accessTokenTTL: 3_600_000
  })
  return { api, accessToken: await api.ensureAuth() }
}

/** Every contender on one reply; returns rows of [name, ms, ratio]. */
async function contenders(backend, ReplyPrinter) {
  const markdownClient = await signedIn(backend, true)
  const plainClient = await signedIn(backend, false)
  const streamed = (api) => async () => {
    let joined = ''
    for await (const { delta } of api.streamMessage('bench')) joined += delta
    return joined
  }
  const printed = (mode) => async () => {
    let out = 0
    const printer = new ReplyPrinter((piece) => (out += piece.length), mode, { color: true, width: 80 })
    const reply = await markdownClient.api.sendMessage('bench', { onProgress: (text, appended) => printer.update(text, appended) })
    printer.finish(reply)
    return { length: out }
  }
  const raw = await measure(async () => (await rawReader(backend, markdownClient.accessToken)).text)
  const rows = [['raw reader', raw.ms]]
  rows.push(['streamMessage markdown', (await measure(streamed(markdownClient.api))).ms])
  rows.push(['streamMessage plain', (await measure(streamed(plainClient.api))).ms])
  rows.push(['CLI render', (await measure(printed('render'))).ms])
  rows.push(['CLI plain', (await measure(printed('plain'))).ms])
  return rows.map(([name, ms]) => [name, ms, ms / raw.ms])
}

export async function longReplyBench() {
  const ReplyPrinter = await loadReplyPrinter()
  console.log(`\nlong replies (v1 shape, events back to back), median of ${reps}; Node ${process.version}`)
  for (const [label, options] of [
    ['v1 reply', { reply: 'markdown', chars: Number(values.chars) }],
    ['long line', { reply: 'long-line', chars: Number(values.line) }]
  ]) {
    const backend = await startBackend(options)
    try {
      const rows = await contenders(backend, ReplyPrinter)
      console.log(`\n${label}: ${backend.replyLength} chars`)
      console.log('contender                 CPU/reply   × raw reader')
      for (const [name, ms, ratio] of rows) {
        console.log(`${name.padEnd(24)} ${`${ms.toFixed(1)} ms`.padStart(10)}   ${ratio.toFixed(2).padStart(8)}×`)
      }
    } finally {
      backend.stop()
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await longReplyBench()
