/**
 * Solving the sentinel's proof of work (PROTOCOL-2026.md §4.1): try nonces until
 * `hash(seed + base64(config))` meets the difficulty. Bounded, and polite to the event loop: the
 * loop runs in slices and gives way between them, so a gateway solving for one request still
 * answers the others.
 */
import { ChatGPTError } from '../../errors.js'
import { powConfigEncoder } from './config-encoding.js'
import { checkPowChallenge, meetsDifficulty, type PowChallenge } from './difficulty.js'
import type { PowConfig } from './pow-config.js'
import { FNV_POW, type PowVariant } from './pow-variants.js'
import { yieldToEventLoop } from './yield-to-event-loop.js'

/**
 * The browser SDK's own bound (`maxAttempts = 500000`). Past it the SDK sends a fixed "unsolved"
 * token, which clients treat as failure and retry (§4.1); we fail instead of sending it.
 */
export const MAX_POW_ATTEMPTS = 500_000

/**
 * Attempts per slice between two yields. One attempt cost ~3.8 µs with FNV and ~5.8 µs with
 * SHA3 on the 2-core EPYC VM `bench/pow.mjs` first ran on, so a slice holds the event loop
 * ~4–6 ms: short enough for other calls, long enough that 500 yields cost nothing measurable.
 * The difficulties seen need ~40 attempts on average (p99 < 200), so most solves never yield.
 */
export const POW_ATTEMPTS_PER_SLICE = 1_000

/** How to solve. */
export type SolveOptions = {
  /** The scheme; default {@link FNV_POW} (the current one). */
  variant?: PowVariant
  /** Stops the solve at its next yield; it then rejects with the signal's reason. */
  signal?: AbortSignal
  /** A lower bound than {@link MAX_POW_ATTEMPTS} (a higher one is capped to it). */
  maxAttempts?: number
  /** Attempts between two yields to the event loop; default {@link POW_ATTEMPTS_PER_SLICE}. */
  attemptsPerSlice?: number
  /** The ms clock for config entry 9; default `performance.now`. Tests pin it. */
  now?: () => number
}

/** A solved challenge. */
export type PowSolution = {
  /** What to send as `openai-sentinel-proof-token` (and as finalize's `proofofwork`). */
  answer: string
  /** The winning nonce (config entry 3). */
  nonce: number
  /** The winning hash, lowercase hex. */
  hash: string
  /** Attempts made, the winning one included (`nonce + 1`). */
  attempts: number
}

/**
 * Solves `challenge` for `config` (which is not changed).
 *
 * @throws ChatGPTError `invalid_response` when the challenge is malformed, or when no nonce
 *   below the bound answers it: the server asked for more work than the browser itself would do,
 *   which the sources read as a flagged IP or device (§13), not as a reason to try harder.
 * @throws The signal's reason when `options.signal` aborts.
 */
export async function solveProofOfWork(
  challenge: PowChallenge,
  config: PowConfig,
  options: SolveOptions = {}
): Promise<PowSolution> {
  checkPowChallenge(challenge)
  const { seed, difficulty } = challenge
  const { variant = FNV_POW, signal } = options
  const now = options.now ?? (() => performance.now())
  const maxAttempts = Math.max(0, Math.min(options.maxAttempts ?? MAX_POW_ATTEMPTS, MAX_POW_ATTEMPTS))
  const perSlice = Math.max(1, options.attemptsPerSlice ?? POW_ATTEMPTS_PER_SLICE)
  const encode = powConfigEncoder(config)

  signal?.throwIfAborted()
  const start = now()
  let nonce = 0
  while (nonce < maxAttempts) {
    const sliceEnd = Math.min(nonce + perSlice, maxAttempts)
    for (; nonce < sliceEnd; nonce++) {
      const encoded = encode(nonce, variant.entryNine(nonce, Math.round(now() - start)))
      const hash = variant.hash(seed + encoded)
      if (meetsDifficulty(hash, difficulty)) {
        return { answer: variant.answer(encoded), nonce, hash, attempts: nonce + 1 }
      }
    }
    if (nonce < maxAttempts) {
      await yieldToEventLoop()
      signal?.throwIfAborted()
    }
  }
  throw new ChatGPTError(
    `No proof-of-work answer for difficulty ${difficulty} in ${maxAttempts} attempts (${variant.name}); ` +
      'the server asked for more work than a browser would do',
    { code: 'invalid_response' }
  )
}
