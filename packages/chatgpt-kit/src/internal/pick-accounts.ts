/**
 * Which accounts of a pool may take a call, best first, as a pure function: the least recently
 * used healthy account that has the model. The coordinator then leases the first of them that is
 * free; this decides only the order and who is out.
 */
import type { DeadMark } from '../coordinator.js'

export type PickableAccount = {
  id: string
  /** When the pool last gave it a call, as a sequence number (0: never); lower goes first. */
  lastUse: number
  /** The models it offers, when known; `undefined`: unknown, so it may have any. */
  models: ReadonlySet<string> | undefined
}

export type PickRequest = {
  /** Every account of the pool, in the pool's order (which breaks ties). */
  accounts: readonly PickableAccount[]
  model: string
  now: number
  /** The only account that may take the call (a follow-up goes to its conversation's account). */
  bound?: string
  /** Accounts that already refused this call (429, dead): never tried again for it. */
  refused: ReadonlySet<string>
  deadMarkOf: (accountId: string) => DeadMark | undefined
  /** When the pair's cool-down ends (a time in the past or `undefined`: not cooling). */
  coolingUntil: (accountId: string) => number | undefined
}

export type Pick =
  | { ok: true; candidates: string[] }
  /** No account (or not the bound one) offers the model. */
  | { ok: false; why: 'no_model' }
  /** Every account that offers the model is dead. */
  | { ok: false; why: 'dead'; marks: DeadMark[] }
  /** Every live account that offers the model is cooling down (or refused this call). */
  | { ok: false; why: 'cooling'; retryAfterMs: number }

export function pickAccounts(request: PickRequest): Pick {
  const { model, now, bound, refused } = request
  const scope = bound === undefined ? request.accounts : request.accounts.filter((a) => a.id === bound)
  const offering = scope.filter((a) => a.models === undefined || a.models.has(model))
  if (offering.length === 0) return { ok: false, why: 'no_model' }

  const marks: DeadMark[] = []
  const alive: PickableAccount[] = []
  for (const account of offering) {
    const mark = request.deadMarkOf(account.id)
    if (mark) marks.push(mark)
    else alive.push(account)
  }
  if (alive.length === 0) return { ok: false, why: 'dead', marks }

  const usable: PickableAccount[] = []
  let soonest = Infinity
  for (const account of alive) {
    const until = request.coolingUntil(account.id)
    const waitMs = until === undefined ? 0 : Math.max(0, until - now)
    if (waitMs === 0 && !refused.has(account.id)) usable.push(account)
    else soonest = Math.min(soonest, waitMs)
  }
  if (usable.length === 0) return { ok: false, why: 'cooling', retryAfterMs: Math.ceil(soonest) }

  // Array#sort is stable: accounts used equally long ago keep the pool's order.
  usable.sort((a, b) => a.lastUse - b.lastUse)
  return { ok: true, candidates: usable.map((a) => a.id) }
}
