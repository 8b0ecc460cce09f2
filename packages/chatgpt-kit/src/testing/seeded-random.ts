/**
 * A deterministic PRNG (mulberry32): the same seed gives the same "random" cases on every run.
 * Exported so that seeded tests, fuzzers and soak runs of users and of this project share one.
 *
 * @param seed - Any number; only its low 32 bits count.
 * @returns A function returning numbers in [0, 1), as `Math.random` does.
 *
 * @example
 * ```ts
 * import { seededRandom } from 'chatgpt-kit/testing'
 *
 * const random = seededRandom(42)
 * const faultRate = random() // the same on every run with seed 42
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
