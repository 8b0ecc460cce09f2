/**
 * The three Lua scripts of the account lease. Each runs atomically in Redis, so "is it still
 * mine?" and "then change it" can't be split by another process's command.
 */

/**
 * Takes the first free key of KEYS (in the caller's order of preference) for ARGV[1] (the token)
 * with a TTL of ARGV[2] ms. Returns `{index, 0}` (1-based) for the key taken, or `{0, ms}` with
 * the shortest time until one of them expires by itself (a holder that died never releases).
 * One round trip whether one account is asked for or all of them.
 */
export const ACQUIRE_FIRST_FREE = `
local shortest = -1
for i, key in ipairs(KEYS) do
  if redis.call('set', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {i, 0}
  end
  local left = redis.call('pttl', key)
  if left < 0 then left = tonumber(ARGV[2]) end
  if shortest < 0 or left < shortest then shortest = left end
end
return {0, shortest}
`

/** Extends KEYS[1] to ARGV[2] ms if ARGV[1] still holds it. 1 when renewed, 0 when lost. */
export const RENEW = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
`

/**
 * Deletes KEYS[1] if ARGV[1] still holds it, and tells every waiting process (channel ARGV[2],
 * message ARGV[3]: the lease's name) in the same step, so no waiter sleeps through a release.
 * 1 when released, 0 when it was no longer ours (expired, and maybe taken by another).
 */
export const RELEASE = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('publish', ARGV[2], ARGV[3])
  return 1
end
return 0
`
