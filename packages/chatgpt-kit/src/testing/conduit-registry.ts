import { randomBytes, randomUUID } from 'node:crypto'
import type { TestConduitToken } from './protocol-2026-types.js'

/** Real conduit tokens expire two hours after they are issued (`exp = iat + 2h`, §5). */
const CONDUIT_LIFETIME_MS = 2 * 3600 * 1000

interface ConduitEntry {
  readonly record: TestConduitToken
  readonly expiresAt: number
}

/**
 * Conduit tokens of `POST /backend-api/f/conversation/prepare` in 2026 mode (PROTOCOL-2026.md §5):
 * an ES256-looking JWT whose payload has the fields seen in the 2026 capture, looked up here
 * rather than verified.
 */
export class ConduitRegistry {
  readonly #entries: ConduitEntry[] = []
  readonly #byToken = new Map<string, ConduitEntry>()

  /** A new token for `record.userId`. */
  issue(record: Omit<TestConduitToken, 'uses'>): string {
    const now = Date.now()
    const iat = Math.floor(now / 1000)
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const payload = {
      conduit_uuid: randomUUID(),
      conduit_location: `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}:8302`,
      cluster: 'unified-87',
      iat,
      exp: iat + CONDUIT_LIFETIME_MS / 1000,
      turn_topic_id: null
    }
    const token = `${part({ alg: 'ES256', typ: 'JWT' })}.${part(payload)}.${randomBytes(64).toString('base64url')}`
    const entry: ConduitEntry = { record: { ...record, uses: 0 }, expiresAt: now + CONDUIT_LIFETIME_MS }
    this.#entries.push(entry)
    this.#byToken.set(token, entry)
    return token
  }

  /** The record of a live token issued to `userId`; `undefined` for any other token. */
  find(token: string | undefined, userId: string): TestConduitToken | undefined {
    const entry = token === undefined ? undefined : this.#byToken.get(token)
    if (!entry || entry.record.userId !== userId || Date.now() >= entry.expiresAt) return undefined
    return entry.record
  }

  /** Copies of every token's record, oldest first. */
  records(): TestConduitToken[] {
    return this.#entries.map((entry) => ({ ...entry.record }))
  }

  clear(): void {
    this.#entries.length = 0
    this.#byToken.clear()
  }
}
