/**
 * The rule both hashes are judged by, and the check of the server's challenge before any work.
 */
import { ChatGPTError } from '../../errors.js'

/**
 * Whether `hash` (lowercase hex) answers `difficulty`: its first `difficulty.length` digits,
 * compared as strings, are at most `difficulty` — the browser SDK's own test
 * (PROTOCOL-2026.md §4.1). For even-length lowercase hex this is the legacy clients' byte
 * comparison of `bytes.fromhex(difficulty)` too (§4.2). A smaller difficulty is harder.
 */
export function meetsDifficulty(hash: string, difficulty: string): boolean {
  return hash.substring(0, difficulty.length) <= difficulty
}

/** A proof-of-work challenge as the sentinel answers it (`proofofwork: {seed, difficulty}`). */
export type PowChallenge = { seed: string; difficulty: string }

/**
 * Throws `invalid_response` unless `challenge` is a string seed and a non-empty lowercase hex
 * difficulty. An uppercase or non-hex difficulty would compare against lowercase hex digits in a
 * way the server never meant (every attempt would pass, or none), so it is refused instead of
 * solved; an empty one would be "solved" by the first attempt.
 */
export function checkPowChallenge(challenge: unknown): asserts challenge is PowChallenge {
  const { seed, difficulty } = (challenge ?? {}) as Record<string, unknown>
  if (typeof seed !== 'string') {
    throw new ChatGPTError('The server sent a proof-of-work challenge without a seed', { code: 'invalid_response' })
  }
  if (typeof difficulty !== 'string' || !/^[0-9a-f]{1,128}$/.test(difficulty)) {
    throw new ChatGPTError('The server sent a proof-of-work difficulty that is not lowercase hex', {
      code: 'invalid_response'
    })
  }
}
