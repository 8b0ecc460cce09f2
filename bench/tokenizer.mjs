#!/usr/bin/env node
// Token counting for the gateway's `usage` (issue 11) and the library's context fitting (issue 12):
// gpt-tokenizer and js-tiktoken side by side, on the same inputs, in one run.
//
//   (a) agreement   token ids for o200k_base and cl100k_base on a varied corpus and seeded fuzz
//   (b) throughput  tokens counted per CPU second, short (~50 chars) and long (~100 kB) texts
//   (c) cold start  import + first count in a fresh `node`, and the bytes of JavaScript it loads
//   (d) memory      rss and heap growth once the encoding is loaded (after a GC)
//   (e) long runs   time as one unbroken run doubles (×4 = quadratic), and the gateway's bounded
//                   counter (packages/chatgpt-kit/src/internal/token-count.ts) on 1 MB runs
//
//   npm run bench   or   node bench/tokenizer.mjs [--reps 5] [--min-ms 400]
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'


import { corpus, fuzzStrings, longText, mixed, windows } from './tokenizer-corpus.mjs'

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    'min-ms': { type: 'string', default: '400' }
  },
  strict: false
})
const reps = Number(values.reps)
const minMs = Number(values['min-ms'])
const root = fileURLToPath(new URL('..', import.meta.url))
const versionOf = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version

const ENCODINGS = ['o200k_base', 'cl100k_base']

// Each contender as the gateway would use it: special-token text counted as plain text (the
// OpenAI API never lets message text become a special token), only the encodings needed loaded.
// `source` is the same loader as an expression for a fresh process, evaluating to a count function.
const contenders = [
  {
    name: 'gpt-tokenizer',
    version: versionOf('gpt-tokenizer'),
    async load(encoding) {
      const m = await import(`gpt-tokenizer/encoding/${encoding}`)
      const plain = { disallowedSpecial: new Set() }
      return { count: (s) => m.countTokens(s, plain), encode: (s) => m.encode(s, plain), module: m }
    },
    source: {
      esm: (e) => `await (async () => { const m = await import('gpt-tokenizer/encoding/${e}'); const plain = { disallowedSpecial: new Set() }; return (s) => m.countTokens(s, plain) })()`,
      cjs: (e) => `(() => { const m = require('gpt-tokenizer/encoding/${e}'); const plain = { disallowedSpecial: new Set() }; return (s) => m.countTokens(s, plain) })()`
    }
  },
  {
    name: 'js-tiktoken',
    version: versionOf('js-tiktoken'),
    async load(encoding) {
      const { Tiktoken } = await import('js-tiktoken/lite')
      const { default: ranks } = await import(`js-tiktoken/ranks/${encoding}`)
      const tokenizer = new Tiktoken(ranks)
      return { count: (s) => tokenizer.encode(s, [], []).length, encode: (s) => tokenizer.encode(s, [], []) }
    },
    source: {
      esm: (e) => `await (async () => { const { Tiktoken } = await import('js-tiktoken/lite'); const { default: ranks } = await import('js-tiktoken/ranks/${e}'); const t = new Tiktoken(ranks); return (s) => t.encode(s, [], []).length })()`,
      cjs: (e) => `(() => { const { Tiktoken } = require('js-tiktoken/lite'); const t = new Tiktoken(require('js-tiktoken/ranks/${e}')); return (s) => t.encode(s, [], []).length })()`
    }
  }
]
const [GT, JT] = contenders

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const ratio = (a, b) => `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×`
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const cpuMs = (since) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}
const sameIds = (a, b) => a.length === b.length && a.every((id, i) => id === b[i])

console.log(`tokenizers: gpt-tokenizer ${GT.version} vs js-tiktoken ${JT.version}; Node ${process.version}; median of ${reps} fresh processes for cold start`)

// ---------------------------------------------------------------------------------------------
// (a) agreement
const loaded = {}
for (const c of contenders) {
  loaded[c.name] = {}
  for (const e of ENCODINGS) loaded[c.name][e] = await c.load(e)
}
console.log('\n(a) agreement: identical token ids (counts: gpt-tokenizer / js-tiktoken)')
console.log(`${'sample'.padEnd(22)} ${'chars'.padStart(7)}   ${'o200k_base'.padEnd(24)} cl100k_base`)
// Disagreements, split by whether the text has a U+FEFF (gpt-tokenizer's known BOM slip).
const disagreements = { withBom: 0, withoutBom: 0, worstPerBom: 0 }
const compare = (e, text) => {
  const a = loaded[GT.name][e].encode(text)
  const b = loaded[JT.name][e].encode(text)
  const same = sameIds(a, b)
  if (!same) {
    const boms = text.split('\ufeff').length - 1
    if (boms === 0) disagreements.withoutBom++
    else {
      disagreements.withBom++
      disagreements.worstPerBom = Math.max(disagreements.worstPerBom, Math.abs(a.length - b.length) / boms)
    }
  }
  return { a, b, same }
}
const cell = (e, text) => {
  const { a, b, same } = compare(e, text)
  return `${same ? 'same' : 'DIFF'} ${fmt(a.length)} / ${fmt(b.length)}`.padEnd(24)
}
for (const [name, text] of corpus) console.log(`${name.padEnd(22)} ${fmt(text.length).padStart(7)}   ${cell('o200k_base', text)} ${cell('cl100k_base', text)}`)
const fuzz = fuzzStrings(400, 120)
for (const e of ENCODINGS) {
  let same = 0
  let differentWithoutBom = 0
  for (const text of fuzz) {
    if (compare(e, text).same) same++
    else if (!text.includes('\ufeff')) differentWithoutBom++
  }
  console.log(`seeded fuzz, ${e}: ${same}/${fuzz.length} strings with identical ids; of the others, ${differentWithoutBom} without a U+FEFF`)
}

// ---------------------------------------------------------------------------------------------
// (b) throughput, in CPU time (the machine may be shared)
/** Tokens per CPU second counting every text in `texts`, repeated until `minMs` of CPU. */
function throughput(count, texts) {
  for (const t of texts) count(t) // warm-up: JIT, lazy tables
  let tokens = 0
  let ms = 0
  const start = process.cpuUsage()
  do {
    for (const t of texts) tokens += count(t)
    ms = cpuMs(start)
  } while (ms < minMs)
  return (tokens / ms) * 1000
}
const shortTexts = windows(mixed, 50, 2000, 37)
const longTexts = [0, 1, 2].map((seed) => longText(100_000, seed))
console.log('\n(b) throughput, o200k_base: tokens counted per CPU second')
console.log(`inputs: ${shortTexts.length} distinct ~50-char texts; ${longTexts.length} distinct 100 kB texts`)
const rates = {}
const gtModule = loaded[GT.name].o200k_base.module
const rows = [
  [`${GT.name}`, loaded[GT.name].o200k_base.count],
  [`${JT.name}`, loaded[JT.name].o200k_base.count]
]
for (const [name, count] of rows) rates[name] = { short: throughput(count, shortTexts), long: throughput(count, longTexts) }
// gpt-tokenizer keeps up to 100,000 merged pieces in a cache; without it, what is left is the BPE itself.
gtModule.setMergeCacheSize(0)
rates[`${GT.name}, no merge cache`] = { short: throughput(rows[0][1], shortTexts), long: throughput(rows[0][1], longTexts) }
gtModule.setMergeCacheSize(gtModule.DEFAULT_MERGE_CACHE_SIZE)

// Our counter (bounded work; gpt-tokenizer loaded on first use), as built (`npm run bench` builds).
const { tokenCounterFor, MAX_UNBROKEN_RUN } = await import('../packages/chatgpt-kit/build/internal.js')
const ours = await tokenCounterFor('gpt-4o')
const gateway = { MAX_UNBROKEN_RUN, countTextTokens: (text) => ours.text(text) }
const gatewayCount = (s) => gateway.countTextTokens(s, 'gpt-4o')
rates['gateway countTextTokens'] = { short: throughput(gatewayCount, shortTexts), long: throughput(gatewayCount, longTexts) }
console.log(`${'contender'.padEnd(30)} ${'short'.padStart(12)} ${'long'.padStart(12)}   vs js-tiktoken (short, long)`)
for (const [name, r] of Object.entries(rates)) {
  console.log(`${name.padEnd(30)} ${fmt(r.short).padStart(12)} ${fmt(r.long).padStart(12)}   ${ratio(r.short, rates[JT.name].short)}, ${ratio(r.long, rates[JT.name].long)}`)
}

// ---------------------------------------------------------------------------------------------
// (c) cold start and (d) memory, each in a fresh process
function fresh(kind, loaderSource) {
  const code = `
    globalThis.gc(); const before = process.memoryUsage(); const t0 = performance.now(); let count
    ${loaderSource}
    const t1 = performance.now(); const n = count('How long until the first token count? 🤔'); const t2 = performance.now()
    globalThis.gc(); const after = process.memoryUsage()
    let bytes = 0
    ${kind === 'cjs' ? "for (const file of Object.keys(require.cache)) if (file.includes('node_modules')) bytes += require('node:fs').statSync(file).size" : ''}
    console.log(JSON.stringify({ load: t1 - t0, first: t2 - t1, rss: after.rss - before.rss, heap: after.heapUsed - before.heapUsed + after.external - before.external, bytes, n }))`
  const args = ['--expose-gc', ...(kind === 'esm' ? ['--input-type=module'] : []), '-e', code]
  const started = performance.now()
  const out = JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }))
  return { ...out, wall: performance.now() - started }
}
const emptyWall = median(Array.from({ length: reps }, () => fresh('cjs', 'count = (s) => s.length').wall))
const cold = {}
for (const c of contenders) {
  for (const kind of ['cjs', 'esm']) {
    const runs = Array.from({ length: reps }, () => fresh(kind, `count = ${c.source[kind]('o200k_base')}`))
    cold[`${c.name} ${kind}`] = Object.fromEntries(['load', 'first', 'rss', 'heap', 'bytes', 'wall'].map((k) => [k, median(runs.map((r) => r[k]))]))
  }
  const both = Array.from({ length: reps }, () => fresh('cjs', `const a = ${c.source.cjs('o200k_base')}; const b = ${c.source.cjs('cl100k_base')}; count = (s) => a(s) + b(s)`))
  cold[`${c.name} both`] = { rss: median(both.map((r) => r.rss)), heap: median(both.map((r) => r.heap)), bytes: median(both.map((r) => r.bytes)) }
}
const MB = (b) => `${(b / 1048576).toFixed(1)} MB`
console.log(`\n(c) cold start, o200k_base: fresh node (an empty one takes ${fmt(emptyWall)} ms wall)`)
console.log(`${'contender'.padEnd(22)} ${'import'.padStart(9)} ${'1st count'.padStart(10)} ${'wall − empty'.padStart(13)} ${'JS loaded'.padStart(10)}`)
for (const c of contenders) {
  for (const kind of ['cjs', 'esm']) {
    const r = cold[`${c.name} ${kind}`]
    console.log(`${`${c.name} ${kind === 'cjs' ? 'require' : 'import'}`.padEnd(22)} ${`${fmt(r.load)} ms`.padStart(9)} ${`${fmt(r.first, 1)} ms`.padStart(10)} ${`${fmt(r.wall - emptyWall)} ms`.padStart(13)} ${(kind === 'cjs' ? MB(r.bytes) : '').padStart(10)}`)
  }
}
console.log('\n(d) memory after loading (GC first): rss growth, heap + external growth')
for (const c of contenders) {
  const one = cold[`${c.name} cjs`]
  const both = cold[`${c.name} both`]
  console.log(`${c.name.padEnd(22)} o200k_base: rss +${MB(one.rss)}, heap +${MB(one.heap)}   o200k + cl100k: rss +${MB(both.rss)}, heap +${MB(both.heap)}, ${MB(both.bytes)} of JS`)
}

// ---------------------------------------------------------------------------------------------
// (e) long unbroken runs: one pre-tokenized piece, merged by a quadratic BPE loop
console.log('\n(e) long runs, o200k_base: CPU ms as one unbroken run doubles (counts agree?)')
const growth = {}
for (const [char, sizes] of [['a', [1000, 2000, 4000]], [' ', [1000, 2000, 4000]], ['我', [250, 500, 1000]], ['😀', [250, 500, 1000]]]) {
  const cells = []
  for (const size of sizes) {
    const text = char.repeat(size)
    const times = {}
    const counts = {}
    for (const c of contenders) {
      const start = process.cpuUsage()
      counts[c.name] = loaded[c.name].o200k_base.count(text) // first sight: no merge cache hit
      times[c.name] = cpuMs(start)
    }
    if (counts[GT.name] !== counts[JT.name]) disagreements.withoutBom++
    cells.push({ size, times, same: counts[GT.name] === counts[JT.name] })
  }
  growth[char] = cells
  const label = `${JSON.stringify(char)} × ${sizes.join('/')}`
  const line = contenders.map((c) => `${c.name} ${cells.map((x) => fmt(x.times[c.name], 1)).join(' / ')} ms`).join('   ')
  console.log(`${label.padEnd(24)} ${line}   ${cells.every((x) => x.same) ? 'same counts' : 'COUNTS DIFFER'}`)
}
const perDoubling = (c) => median(Object.values(growth).flatMap((cells) => cells.slice(1).map((x, i) => x.times[c.name] / Math.max(0.05, cells[i].times[c.name]))))
for (const c of contenders) console.log(`${c.name}: time grows ×${perDoubling(c).toFixed(1)} per doubling (median): quadratic in the run's length`)
{
  const text = 'a'.repeat(100_000)
  const start = process.cpuUsage()
  const direct = loaded[GT.name].o200k_base.count(text)
  const ms = cpuMs(start)
  const jtEstimate = growth.a.at(-1).times[JT.name] * (100_000 / growth.a.at(-1).size) ** 2
  console.log(`'a' × 100,000 in one piece: gpt-tokenizer ${fmt(ms)} ms (${fmt(direct)} tokens); js-tiktoken not run, ~${fmt(jtEstimate / 1000)} s by its growth`)
}
console.log(`the gateway's bounded counter (exact cuts; hard cuts only inside runs over ${gateway.MAX_UNBROKEN_RUN} chars), 1 MB each:`)
for (const [char, length] of [['a', 1_000_000], [' ', 1_000_000], ['我', 1_000_000], ['😀', 500_000]]) {
  const text = char.repeat(length)
  const start = process.cpuUsage()
  const tokens = gateway.countTextTokens(text, 'gpt-4o')
  console.log(`  ${JSON.stringify(char)} × ${fmt(length)}: ${fmt(cpuMs(start))} ms CPU, ${fmt(tokens)} tokens`)
}
{
  // Random CJK without punctuation: the worst case for the bounded counter (3-byte characters, no
  // exact cut, no merge cache hits), and the approximation its hard cuts bring.
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const text = Array.from({ length: 1_000_000 }, () => String.fromCharCode(0x4e00 + Math.floor(rand() * 2000))).join('')
  const start = process.cpuUsage()
  const tokens = gateway.countTextTokens(text, 'gpt-4o')
  const ms = cpuMs(start)
  const sample = text.slice(0, 6000)
  const exact = loaded[GT.name].o200k_base.count(sample)
  const bounded = gateway.countTextTokens(sample, 'gpt-4o')
  console.log(`  random CJK × ${fmt(text.length)}: ${fmt(ms)} ms CPU, ${fmt(tokens)} tokens; on its first 6,000 chars bounded ${fmt(bounded)} vs exact ${fmt(exact)} (${(((bounded - exact) / exact) * 100).toFixed(2)}%)`)
}

// ---------------------------------------------------------------------------------------------
console.log('\nsummary, gpt-tokenizer vs js-tiktoken (o200k_base):')
console.log(
  `  agreement: ${disagreements.withoutBom === 0 ? 'identical ids on every sample, fuzz string and run without a U+FEFF' : `${disagreements.withoutBom} DISAGREEMENTS without a U+FEFF`}; ` +
    `${disagreements.withBom} texts with U+FEFF differ, by at most ${disagreements.worstPerBom} token(s) per U+FEFF (gpt-tokenizer's BOM slip)`
)
console.log(`  throughput: ${ratio(rates[GT.name].short, rates[JT.name].short)} on short texts, ${ratio(rates[GT.name].long, rates[JT.name].long)} on 100 kB texts`)
const gtCold = cold[`${GT.name} cjs`]
const jtCold = cold[`${JT.name} cjs`]
console.log(`  cold start (require + first count): ${fmt(gtCold.load + gtCold.first)} ms vs ${fmt(jtCold.load + jtCold.first)} ms = ${ratio(gtCold.load + gtCold.first, jtCold.load + jtCold.first)}; JS loaded ${MB(gtCold.bytes)} vs ${MB(jtCold.bytes)}`)
console.log(`  memory: rss +${MB(gtCold.rss)} vs +${MB(jtCold.rss)} = ${ratio(gtCold.rss, jtCold.rss)}; heap +${MB(gtCold.heap)} vs +${MB(jtCold.heap)} = ${ratio(gtCold.heap, jtCold.heap)}`)
console.log(`  one long run: both quadratic; gpt-tokenizer ${ratio(growth.a.at(-1).times[JT.name], growth.a.at(-1).times[GT.name])} faster at 'a' × ${fmt(growth.a.at(-1).size)}`)
