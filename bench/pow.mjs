#!/usr/bin/env node
// The sentinel proof of work (packages/chatgpt-kit/src/internal/pow/, PROTOCOL-2026.md §4), as the
// client will run it: a browser-like 25-field config, the real clock in entry 9, random seeds.
//
//   (a) solves per second at the difficulties seen in 2026 (061a80, 0687a0; 077a12 also seen),
//       the attempts each took against the expectation 16^len / (difficulty + 1), and the cost
//       of one attempt; the legacy SHA3-512 scheme beside it for comparison
//   (b) the worst case: a challenge no nonce answers, so all 500,000 attempts run, and the longest
//       the event loop waited meanwhile (a setImmediate ticker measures the gaps between its turns)
//
//   npm run bench   or   node bench/pow.mjs [--solves 3000]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { build } from 'esbuild'

const { values } = parseArgs({ options: { solves: { type: 'string', default: '3000' } }, strict: false })
const solves = Number(values.solves)

/** The proof of work is internal to the library (not in any entry point): bundle it from source. */
async function loadPow() {
  const dir = mkdtempSync(join(tmpdir(), 'chatgpt-bench-pow-'))
  try {
    const outfile = join(dir, 'pow.mjs')
    await build({
      stdin: {
        contents: [
          "export * from './solve.ts'",
          "export * from './pow-variants.ts'",
          "export * from './pow-config.ts'",
          "export * from './browser-date.ts'",
          "export * from './browser-keys.ts'"
        ].join('\n'),
        resolveDir: fileURLToPath(new URL('../packages/chatgpt-kit/src/internal/pow/', import.meta.url)),
        loader: 'ts'
      },
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile,
      logLevel: 'error'
    })
    return await import(outfile)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const pow = await loadPow()

// Seeds that are random-looking but the same in every run (the test backend's mulberry32).
const { seededRandom } = await import('../packages/chatgpt-kit/build/testing/index.js')

const random = seededRandom(2026)
const pageLoadedAt = Date.now() - 90_000
const config = pow.buildPowConfig({
  screenSum: 4000,
  dateString: pow.browserDateString(new Date(), 'Europe/Berlin'),
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 Safari/537.36',
  scriptSrc: 'https://chatgpt.com/backend-api/sentinel/sdk.js',
  build: `prod-${'0123456789abcdef'.repeat(3).slice(0, 40)}`,
  ...pow.pickBrowserKeys(random),
  performanceNow: 90_000.3,
  sessionId: '6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b',
  hardwareConcurrency: 8,
  timeOrigin: pageLoadedAt + 0.5
})

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

async function measure(difficulty, variant, count) {
  const attempts = []
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const solution = await pow.solveProofOfWork({ seed: String(random()), difficulty }, config, { variant })
    attempts.push(solution.attempts)
  }
  const ms = performance.now() - start
  const total = attempts.reduce((sum, n) => sum + n, 0)
  attempts.sort((a, b) => a - b)
  return {
    difficulty,
    scheme: variant.name,
    solvesPerSecond: (count / ms) * 1000,
    meanAttempts: total / count,
    expectedAttempts: 16 ** difficulty.length / (parseInt(difficulty, 16) + 1),
    p50: percentile(attempts, 50),
    p99: percentile(attempts, 99),
    max: attempts[attempts.length - 1],
    usPerAttempt: (ms * 1000) / total
  }
}

console.log(`proof of work, ${solves} solves per row, random seeds, real clock (one run; CPU shared with whatever else runs)`)
// Warm-up: JIT and the first bundle's lazy parts, not counted.
await measure('0687a0', pow.FNV_POW, 200)
await measure('0687a0', pow.LEGACY_SHA3_POW, 200)

const rows = [
  await measure('061a80', pow.FNV_POW, solves),
  await measure('0687a0', pow.FNV_POW, solves),
  await measure('077a12', pow.FNV_POW, solves),
  await measure('061a80', pow.LEGACY_SHA3_POW, solves),
  await measure('0687a0', pow.LEGACY_SHA3_POW, solves)
]
console.log(
  `${'scheme'.padEnd(12)} ${'difficulty'.padEnd(10)} ${'solves/s'.padStart(9)} ${'attempts: mean'.padStart(15)} ${'expected'.padStart(9)} ${'p50'.padStart(5)} ${'p99'.padStart(5)} ${'max'.padStart(6)} ${'µs/attempt'.padStart(11)}`
)
for (const r of rows) {
  console.log(
    `${r.scheme.padEnd(12)} ${r.difficulty.padEnd(10)} ${fmt(r.solvesPerSecond).padStart(9)} ${fmt(r.meanAttempts, 1).padStart(15)} ${fmt(r.expectedAttempts, 1).padStart(9)} ${String(r.p50).padStart(5)} ${String(r.p99).padStart(5)} ${String(r.max).padStart(6)} ${fmt(r.usPerAttempt, 2).padStart(11)}`
  )
}
const [fnv, , , sha3] = rows
console.log(`SHA3-512 attempt / FNV attempt: ${fmt(sha3.usPerAttempt / fnv.usPerAttempt, 2)}×`)

// (b) The bound: eight zeros is a 1-in-4-billion prefix, so all 500,000 attempts run.
for (const variant of [pow.FNV_POW, pow.LEGACY_SHA3_POW]) {
  let turns = 0
  let longestGap = 0
  let last = performance.now()
  let running = true
  const tick = () => {
    if (!running) return
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
    turns++
    setImmediate(tick)
  }
  setImmediate(tick)
  const start = performance.now()
  const error = await pow.solveProofOfWork({ seed: String(random()), difficulty: '00000000' }, config, { variant }).catch((e) => e)
  const ms = performance.now() - start
  running = false
  const outcome = error instanceof Error ? error.message.split(';')[0] : 'solved (unexpected)'
  console.log(
    `${variant.name}: ${fmt(pow.MAX_POW_ATTEMPTS)} attempts in ${fmt(ms)} ms → ${outcome}; ` +
      `the event loop turned ${turns} times meanwhile (a slice is ${pow.POW_ATTEMPTS_PER_SLICE} attempts), longest wait ${fmt(longestGap, 1)} ms`
  )
}
