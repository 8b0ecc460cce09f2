// A PoolCoordinator that passes every call through to another and adds up the time the pool
// spends taking and giving back leases: the lease's share of a message's cost, whichever
// coordinator is inside. Under contention `acquire` also holds the wait for a free account, so
// only an uncontended run (one sender) reads as overhead.

/** Wraps `inner`; `totals` grows with every lease taken and released through the wrapper. */
export function timedCoordinator(inner) {
  const totals = { acquires: 0, acquireMs: 0, releases: 0, releaseMs: 0 }
  const coordinator = {
    async acquire(request) {
      const start = performance.now()
      const lease = await inner.acquire(request)
      totals.acquireMs += performance.now() - start
      totals.acquires++
      let released = false
      return {
        accountId: lease.accountId,
        token: lease.token,
        signal: lease.signal,
        async release() {
          if (released) return lease.release()
          released = true
          const start = performance.now()
          try {
            await lease.release()
          } finally {
            totals.releaseMs += performance.now() - start
            totals.releases++
          }
        }
      }
    },
    cooldownOf: (accountId, model) => inner.cooldownOf(accountId, model),
    cooldownsOf: (accountId) => inner.cooldownsOf(accountId),
    deadMarkOf: (accountId) => inner.deadMarkOf(accountId),
    setCooldown: (mark) => inner.setCooldown(mark),
    clearCooldown: (accountId, model) => inner.clearCooldown(accountId, model),
    markDead: (mark) => inner.markDead(mark),
    revive: (accountId) => inner.revive(accountId),
    subscribe: (listener) => inner.subscribe(listener),
    close: () => inner.close()
  }
  return { coordinator, totals }
}
