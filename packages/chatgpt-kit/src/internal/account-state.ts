/**
 * The state of a pool account, derived (never stored) from what the pool and its coordinator
 * know, so that it cannot drift from them:
 *
 * ```
 *            429 on a model                  its time runs out
 *   active ───────────────────▶ cooling ───────────────────────▶ active
 *   active / cooling ──────────▶ refreshing ──(signed in)──────▶ active / cooling
 *   any ──(sign-in: session expired or refused)──▶ dead ──(revive)──▶ active
 * ```
 *
 * `dead` wins over everything, then `refreshing`, then `cooling`.
 */

/**
 * - `active`: can take calls.
 * - `cooling`: a model of it answered 429 and waits out its cool-down (it still takes calls for
 *   its other models).
 * - `refreshing`: signing in (getting a fresh access token); calls wait for it.
 * - `dead`: its session no longer signs in; it takes no calls until revived.
 */
export type AccountState = 'active' | 'cooling' | 'refreshing' | 'dead'

export function accountState(facts: { dead: boolean; refreshing: boolean; cooling: boolean }): AccountState {
  if (facts.dead) return 'dead'
  if (facts.refreshing) return 'refreshing'
  if (facts.cooling) return 'cooling'
  return 'active'
}
