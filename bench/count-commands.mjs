// Counts the commands an ioredis connection sends, by name, on the client side. Every command
// ioredis sends goes through `sendCommand`; the pool awaits each of them, so each is one round
// trip to Redis (commands of concurrent calls may share a TCP write, but each waits for its own
// answer; a MULTI block would count each of its commands, and the bench sends none). Counted
// here rather than from the server's INFO commandstats, which adds up every client of the shared
// Redis, other runs' included.

/**
 * Starts counting on `redis`; returns the live counts: `sent`, command name to number sent, and
 * `described`, what `describe` (when given) named each command by its answer too (e.g. which
 * lease script, and whether it won). `describe` gets the command and its result and returns a
 * name to count, or undefined.
 */
export function countCommands(redis, describe) {
  const sent = {}
  const described = {}
  const add = (counts, name) => (counts[name] = (counts[name] ?? 0) + 1)
  const send = redis.sendCommand.bind(redis)
  redis.sendCommand = (command, ...rest) => {
    add(sent, command.name)
    if (describe) {
      command.promise.then(
        (result) => {
          const name = describe(command, result)
          if (name) add(described, name)
        },
        () => {}
      )
    }
    return send(command, ...rest)
  }
  return { sent, described }
}

/** What `after` counted beyond `before` (both from countCommands), by name. */
export function countsSince(before, after) {
  const delta = {}
  for (const [name, count] of Object.entries(after)) {
    if (count - (before[name] ?? 0) > 0) delta[name] = count - (before[name] ?? 0)
  }
  return delta
}
