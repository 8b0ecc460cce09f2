/**
 * The two proof-of-work schemes, as the parts that differ: hash, what goes in config entry 9, and
 * how an answer ends. Everything else (the loop, the difficulty rule, the encoding) is shared.
 */
import { fnv1a32Fmix } from './fnv1a32-fmix.js'
import { sha3_512Hex } from './sha3-512-hex.js'

/** Every answer starts so ("gAAAAAB": the SDK's marker for a proof of work). */
export const POW_ANSWER_PREFIX = 'gAAAAAB'

/** One scheme of the proof of work. */
export type PowVariant = {
  /** For messages and metrics. */
  name: 'fnv' | 'sha3-legacy'
  /** The hash of `seed + base64(config)`, as lowercase hex. */
  hash(text: string): string
  /** Config entry 9 for attempt `nonce`, `elapsedMs` (rounded) after the solve started. */
  entryNine(nonce: number, elapsedMs: number): number
  /** The answer sent, from the winning attempt's base64 config. */
  answer(encodedConfig: string): string
}

/**
 * The current scheme (2025-09 → 2026, PROTOCOL-2026.md §4.1), and the one to use: FNV-1a-32 +
 * fmix, the elapsed ms in entry 9, answers ending in `~S` ("solved synchronously", S8).
 */
export const FNV_POW: PowVariant = {
  name: 'fnv',
  hash: fnv1a32Fmix,
  entryNine: (_nonce, elapsedMs) => elapsedMs,
  answer: (encodedConfig) => `${POW_ANSWER_PREFIX}${encodedConfig}~S`
}

/**
 * The legacy scheme (2024, still shipped by two 2026 clients), a documented fallback only
 * (PROTOCOL-2026.md §4.2): SHA3-512, no `~S`. Sources disagree on entry 9: chat2api (S1, S2)
 * and two 2026 clients (S6, S7) put `nonce >> 1` there, one Go client (S4) the elapsed ms;
 * this follows the four (and the note's vector C). ⚠ Sources also disagree on whether the
 * server still accepts SHA3 at all (S8 says the 2026-09 bundle verifies FNV): use
 * {@link FNV_POW} unless a server is known to want this.
 */
export const LEGACY_SHA3_POW: PowVariant = {
  name: 'sha3-legacy',
  hash: sha3_512Hex,
  entryNine: (nonce) => nonce >> 1,
  answer: (encodedConfig) => `${POW_ANSWER_PREFIX}${encodedConfig}`
}
