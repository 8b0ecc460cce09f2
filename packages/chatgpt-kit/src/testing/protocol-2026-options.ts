/**
 * Defaults and checks of the options of 2026 mode (`protocol: '2026'`), apart from the rest so
 * the mode stays one unit.
 */
import type { BackendProtocol } from './protocol-2026-types.js'

/**
 * The proof-of-work difficulty asked for by default: `0fffff` passes one hash in 16 on average, a
 * few dozen microseconds of solving, while a hash picked at random still fails 15 times in 16.
 * (The live server asks `061a80`…`077a12`, ~40 attempts; 2024 clients solved `p` at `0fffff`.)
 */
export const TEST_POW_DIFFICULTY = '0fffff'

/**
 * `<script src>` values of the bootstrap page by default: two bundle chunks and the sentinel
 * SDK, whose URL is also what clients fall back to for config entry 5 (§2.1). None holds a
 * `c/<id>/_` build; pass `bootstrapScripts` to test that preference.
 */
export const DEFAULT_BOOTSTRAP_SCRIPTS: readonly string[] = Object.freeze([
  'https://cdn.oaistatic.com/assets/manifest-5c3f2b1a.js',
  'https://cdn.oaistatic.com/assets/root-9e8d7c6b.js',
  'https://chatgpt.com/backend-api/sentinel/sdk.js'
])

/** The 2026 options with their defaults. */
export const PROTOCOL_2026_DEFAULTS = {
  protocol: '2022' as BackendProtocol,
  powDifficulty: TEST_POW_DIFFICULTY,
  twoStepSentinel: true,
  conduitEndpoints: true,
  acceptLegacyProof: false,
  soChallenge: false,
  bootstrapScripts: DEFAULT_BOOTSTRAP_SCRIPTS,
  requirementsTTLSeconds: 540
}

type Protocol2026Options = typeof PROTOCOL_2026_DEFAULTS

/**
 * Rejects a 2026 option the backend could not honour; returns `bootstrapScripts` frozen.
 *
 * @throws TypeError or RangeError naming the bad option.
 */
export function checkProtocol2026Options(options: Protocol2026Options): readonly string[] {
  if (options.protocol !== '2022' && options.protocol !== '2026') throw new TypeError("protocol must be '2022' or '2026'")
  // Lowercase hex only: the hash is lowercase hex, and the rule compares strings (§4.1).
  if (typeof options.powDifficulty !== 'string' || !/^[0-9a-f]{1,8}$/.test(options.powDifficulty)) {
    throw new TypeError('powDifficulty must be 1 to 8 lowercase hex digits')
  }
  for (const name of ['twoStepSentinel', 'conduitEndpoints', 'acceptLegacyProof', 'soChallenge'] as const) {
    if (typeof options[name] !== 'boolean') throw new TypeError(`${name} must be a boolean`)
  }
  const ttl = options.requirementsTTLSeconds
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new RangeError('requirementsTTLSeconds must be a number > 0')
  }
  const scripts = options.bootstrapScripts
  if (!Array.isArray(scripts) || !scripts.every((src) => typeof src === 'string' && src !== '' && !/["<>\s]/.test(src))) {
    throw new TypeError('bootstrapScripts must be an array of URLs (no quotes, angle brackets or spaces)')
  }
  return Object.freeze([...scripts])
}
