import { randomBytes, randomUUID } from 'node:crypto'
import { ConduitRegistry } from './conduit-registry.js'
import { SentinelRegistry } from './sentinel-registry.js'

/**
 * Everything the backend remembers in 2026 mode: the build its bootstrap page names, the
 * sentinel's and the conduit's tokens, and the device ids it handed out and saw.
 */
export class Protocol2026State {
  /** `prod-<40 hex>`, the page's `data-build` (clients send it as `OAI-Client-Version`). */
  readonly build = `prod-${randomBytes(20).toString('hex')}`
  readonly sentinel = new SentinelRegistry()
  readonly conduits = new ConduitRegistry()
  readonly #seen = new Set<string>()
  readonly #issued: string[] = []

  /** A new device id for a bootstrap without an `oai-did` cookie. */
  issueDeviceId(): string {
    const id = randomUUID()
    this.#issued.push(id)
    return id
  }

  /** Notes an `oai-device-id` header value. */
  sawDeviceId(id: string): void {
    this.#seen.add(id)
  }

  /** Distinct `oai-device-id` values seen, in the order first seen. */
  get deviceIds(): string[] {
    return [...this.#seen]
  }

  /** The `oai-did` cookies the bootstrap page set, oldest first. */
  get issuedDeviceIds(): string[] {
    return [...this.#issued]
  }

  clear(): void {
    this.sentinel.clear()
    this.conduits.clear()
    this.#seen.clear()
    this.#issued.length = 0
  }
}
