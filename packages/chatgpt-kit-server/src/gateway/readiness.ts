/**
 * `GET /readyz`: ready when at least one account can take a message now (active or refreshing
 * its token; not dead, not cooling on every model) and every extra check (Redis, …) answers in
 * time. A load balancer stops sending to a gateway that is not.
 */
import type { ChatGPTAccountPool } from 'chatgpt-kit'

import { GATEWAY_DEFAULTS } from './gateway-options.js'

export type Readiness = { status: 'ready' | 'not_ready'; usableAccounts: number; failedChecks: number }

export async function readiness(pool: ChatGPTAccountPool, checks: readonly (() => Promise<unknown>)[]): Promise<Readiness> {
  const usableAccounts = pool.status().accounts.filter((account) => account.state === 'active' || account.state === 'refreshing').length
  const results = await Promise.all(checks.map((check) => withinTime(check, GATEWAY_DEFAULTS.readinessTimeoutMs)))
  const failedChecks = results.filter((ok) => !ok).length
  return { status: usableAccounts > 0 && failedChecks === 0 ? 'ready' : 'not_ready', usableAccounts, failedChecks }
}

async function withinTime(check: () => Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
    ])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}
