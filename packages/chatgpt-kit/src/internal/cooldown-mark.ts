/**
 * What every coordinator accepts as a cool-down mark and how long it keeps one, so that the
 * in-process coordinator and a shared one (Redis) agree.
 */
import type { CooldownMark } from '../coordinator.js'
import { ChatGPTError } from '../errors.js'
import { assertRecordId } from './store-records.js'

/** Marks whose cool-down ended this long ago are forgotten, strikes and all. */
export const FORGET_COOLDOWNS_AFTER_MS = 60 * 60_000

/**
 * Checks a cool-down mark and returns a copy of its four fields.
 * @throws ChatGPTError `invalid_argument` naming what is wrong.
 */
export function checkCooldown(mark: CooldownMark): CooldownMark {
  assertRecordId('accountId', mark?.accountId)
  assertRecordId('model', mark.model)
  const { accountId, model, until, strikes } = mark
  if (!Number.isFinite(until) || !Number.isInteger(strikes) || strikes < 1) {
    throw new ChatGPTError('a cool-down needs a finite `until` and `strikes` of 1 or more', { code: 'invalid_argument' })
  }
  return { accountId, model, until, strikes }
}
