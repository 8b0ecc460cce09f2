/**
 * The gateway's API keys: who may call it, compared in constant time, and what a caller is known
 * by afterwards. A key never leaves this module: logs and metrics get the key's position in the
 * list ("key 2"), and follow-up records a hash of it.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** Who made a request: `label` for logs and metrics, `scope` to keep callers' conversations apart. */
export type Caller = { label: string; scope: string }

const digest = (value: string) => createHash('sha256').update(value).digest()

export class ApiKeys {
  readonly #digests: Buffer[]

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest)
  }

  /** Whether callers must send a key. */
  get required(): boolean {
    return this.#digests.length > 0
  }

  /**
   * The caller of a request with this `Authorization` header, or `undefined` when keys are required
   * and it holds none of them. Every key is compared (equal digests in constant time), so the
   * time taken says nothing of which key came close.
   */
  callerOf(authorization: string | null): Caller | undefined {
    if (!this.required) return { label: 'anonymous', scope: '' }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')
    if (!match) return undefined
    const given = digest(match[1]!)
    let found = -1
    for (const [index, key] of this.#digests.entries()) if (timingSafeEqual(given, key) && found === -1) found = index
    if (found === -1) return undefined
    return { label: `key ${found + 1}`, scope: this.#digests[found]!.toString('hex') }
  }
}
