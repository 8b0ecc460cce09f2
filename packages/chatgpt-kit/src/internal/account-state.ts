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
import type { AccountState } from '../account-status.js'

export function accountState(facts: { dead: boolean; refreshing: boolean; cooling: boolean }): AccountState {
  if (facts.dead) return 'dead'
  if (facts.refreshing) return 'refreshing'
  if (facts.cooling) return 'cooling'
  return 'active'
}
