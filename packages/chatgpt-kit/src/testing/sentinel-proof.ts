/**
 * The server's side of the sentinel's proofs (PROTOCOL-2026.md §4): decoding the `gAAAAAC`
 * requirements token and checking a `gAAAAAB…~S` proof-of-work answer by recomputing its hash,
 * with the library's own proof-of-work module, so both ends agree on one definition.
 */
import { meetsDifficulty, type PowChallenge } from '../internal/pow/difficulty.js'
import { FNV_POW, LEGACY_SHA3_POW, POW_ANSWER_PREFIX, type PowVariant } from '../internal/pow/pow-variants.js'
import { REQUIREMENTS_TOKEN_PREFIX } from '../internal/pow/requirements-token.js'

/** The `~S` ending that marks a current (FNV) answer; a legacy SHA3 answer has none (§4.1, §4.2). */
const SOLVED_MARK = '~S'

/** What a proof answer turned out to be. */
export type ProofVerdict =
  | { ok: true; variant: PowVariant['name']; config: unknown[]; hash: string }
  | { ok: false; reason: string }

/**
 * Checks `answer` against `challenge`: `gAAAAAB` + base64(JSON config) + `~S`, whose
 * `fnv1a32Fmix(seed + base64)` meets the difficulty. Without `~S` it is a legacy SHA3-512 answer,
 * accepted only when `acceptLegacy` (⚠ whether the live server still takes them is open, §15).
 * The browser's "unsolved" fallback (`gAAAAABwQ8Lk5…`) does not decode to a JSON array, so it
 * fails here whatever its hash.
 */
export function checkProofAnswer(answer: unknown, challenge: PowChallenge, acceptLegacy: boolean): ProofVerdict {
  if (typeof answer !== 'string' || !answer.startsWith(POW_ANSWER_PREFIX)) {
    return { ok: false, reason: 'not a gAAAAAB answer' }
  }
  const current = answer.endsWith(SOLVED_MARK)
  if (!current && !acceptLegacy) return { ok: false, reason: 'no ~S mark (a legacy SHA3 answer)' }
  const variant = current ? FNV_POW : LEGACY_SHA3_POW
  const encoded = answer.slice(POW_ANSWER_PREFIX.length, current ? -SOLVED_MARK.length : undefined)
  const config = decodeConfig(encoded)
  if (!config) return { ok: false, reason: 'the config is not base64 JSON of an array' }
  const hash = variant.hash(challenge.seed + encoded)
  if (!meetsDifficulty(hash, challenge.difficulty)) return { ok: false, reason: `hash ${hash} misses ${challenge.difficulty}` }
  return { ok: true, variant: variant.name, config, hash }
}

/**
 * The config array inside a requirements token `p` (`gAAAAAC` + base64(JSON config), §4.4), or
 * `undefined` when `p` is not one. The 2024 solved form decodes the same way.
 */
export function decodeRequirementsToken(p: unknown): unknown[] | undefined {
  if (typeof p !== 'string' || !p.startsWith(REQUIREMENTS_TOKEN_PREFIX)) return undefined
  return decodeConfig(p.slice(REQUIREMENTS_TOKEN_PREFIX.length))
}

/** Strict standard base64 (the SDK's alphabet, with padding) of a JSON array. */
function decodeConfig(encoded: string): unknown[] | undefined {
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'))
    return Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}
