/**
 * How long an (account, model) pair cools down after a 429, as a pure function (like
 * `retry.ts`): the server's own wait when it gave one, otherwise a back-off that doubles with
 * every 429 in a row, with jitter so that the accounts of many processes do not come back
 * together.
 */

export const COOLDOWN_DEFAULTS = {
  /** The first cool-down without a server hint (then 2×, 4×, … this, before jitter). */
  baseMs: 2_000,
  /** A cool-down without a hint never grows past this. */
  maxMs: 5 * 60_000,
  /**
   * A server hint is honoured up to this: a day. ChatGPT's usage caps do clear in hours; a
   * larger number is a broken or hostile answer, and must not bench an account for a year.
   */
  maxHintMs: 24 * 3_600_000,
  /** 429s count as "in a row" while the previous cool-down ended less than this long ago. */
  strikeMemoryMs: 10 * 60_000
} as const

export type CooldownPolicy = { -readonly [K in keyof typeof COOLDOWN_DEFAULTS]: number }

/**
 * The length of a cool-down.
 *
 * @param strikes - 429s in a row on the pair, this one included (1 for the first).
 * @param retryAfterMs - The server's hint (`Retry-After`, `clears_in`), when it gave one.
 * @param random - A number in [0, 1), for the jitter.
 */
export function cooldownMs(
  strikes: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
  policy: CooldownPolicy = COOLDOWN_DEFAULTS
): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, policy.maxHintMs)
  }
  const doublings = Math.min(Math.max(strikes, 1) - 1, 30)
  const backoff = Math.min(policy.maxMs, policy.baseMs * 2 ** doublings)
  // "Equal jitter": half fixed, so that a cool-down always grows; half random.
  return backoff / 2 + (backoff / 2) * random()
}

/**
 * The strike count of a new 429 on a pair, given its previous mark: one more than the mark's
 * while that cool-down ended recently, otherwise a fresh start.
 */
export function nextStrikes(
  previous: { until: number; strikes: number } | undefined,
  now: number,
  policy: CooldownPolicy = COOLDOWN_DEFAULTS
): number {
  if (!previous || now - previous.until > policy.strikeMemoryMs) return 1
  return previous.strikes + 1
}
