/**
 * What the gateway exports to Prometheus (`GET /metrics`): requests, latency, time to the first
 * token, the pool's accounts by state, cool-downs, and waits for an account. Labels hold routes,
 * statuses, models, account ids and key positions: never a key or a token.
 */
import type { AccountStateChange, ChatGPTAccountPool } from 'chatgpt-kit'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

// Latencies of a chat reply run from milliseconds (the test backend) to minutes.
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

export class GatewayMetrics {
  readonly registry: Registry
  readonly requests: Counter<'route' | 'status' | 'key'>
  readonly duration: Histogram<'route' | 'stream'>
  readonly timeToFirstToken: Histogram<'model'>
  readonly leaseWait: Histogram<never>
  readonly cooldowns: Counter<'account'>
  readonly continuations: Counter<'kind'>

  constructor(pool: ChatGPTAccountPool, registry = new Registry()) {
    this.registry = registry
    const registers = [registry]
    this.requests = new Counter({
      name: 'chatgpt_gateway_requests_total',
      help: 'HTTP requests answered, by route, status and API key position',
      labelNames: ['route', 'status', 'key'],
      registers
    })
    this.duration = new Histogram({
      name: 'chatgpt_gateway_request_duration_seconds',
      help: 'Time from a request to the end of its answer',
      labelNames: ['route', 'stream'],
      buckets: SECONDS_BUCKETS,
      registers
    })
    this.timeToFirstToken = new Histogram({
      name: 'chatgpt_gateway_time_to_first_token_seconds',
      help: 'Time from a chat request to the first text of its reply',
      labelNames: ['model'],
      buckets: SECONDS_BUCKETS,
      registers
    })
    this.leaseWait = new Histogram({
      name: 'chatgpt_gateway_lease_wait_seconds',
      help: 'Time a chat request waited for an account (one reply in flight per account)',
      buckets: SECONDS_BUCKETS,
      registers
    })
    this.cooldowns = new Counter({
      name: 'chatgpt_gateway_account_cooldowns_total',
      help: 'Times an account started cooling down after a rate limit',
      labelNames: ['account'],
      registers
    })
    this.continuations = new Counter({
      name: 'chatgpt_gateway_conversations_total',
      help: "Chat requests by how they were sent: 'new' conversations, 'follow_up' of one the gateway answered, 'restarted' when a follow-up's account could not take it",
      labelNames: ['kind'],
      registers
    })
    new Gauge({
      name: 'chatgpt_gateway_accounts',
      help: 'Accounts of the pool by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts: Record<string, number> = { active: 0, cooling: 0, refreshing: 0, dead: 0 }
        for (const account of pool.status().accounts) counts[account.state] = (counts[account.state] ?? 0) + 1
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count)
      }
    })
    new Gauge({
      name: 'chatgpt_gateway_accounts_busy',
      help: 'Accounts with a reply in flight from this process',
      registers,
      collect() {
        this.set(pool.status().accounts.filter((account) => account.busy).length)
      }
    })
    new Gauge({
      name: 'chatgpt_gateway_waiting_requests',
      help: 'Chat requests of this process waiting for an account',
      registers,
      collect() {
        this.set(pool.status().waiting)
      }
    })
  }

  /** Counts an account's move into cool-down (hooked to the pool's state changes). */
  onStateChange(change: AccountStateChange): void {
    if (change.state === 'cooling' && change.previous !== 'cooling') this.cooldowns.inc({ account: change.accountId })
  }
}
