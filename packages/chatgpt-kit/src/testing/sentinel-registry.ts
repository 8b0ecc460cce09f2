import { randomBytes } from 'node:crypto'
import type { PowChallenge } from '../internal/pow/difficulty.js'
import type { TestSentinelTurn } from './protocol-2026-types.js'

/** A turn as the registry keeps it: the public record plus what only the server knows. */
export interface SentinelTurn {
  readonly record: TestSentinelTurn
  readonly challenge: PowChallenge
  /** Set once finalized (or at once for the single-step form). */
  requirementsToken?: string
  /** Unix ms after which the requirements token is refused. */
  expiresAt?: number
  /** The `so_token` finalize handed out, when the so challenge is on. */
  soToken?: string
}

/**
 * The sentinel's tokens in 2026 mode (PROTOCOL-2026.md §3): prepare tokens waiting for their
 * finalize, and requirements tokens waiting for their one send. Tokens are opaque random strings
 * shaped like the real ones (Fernet, `gAAAAAB…`); the server looks them up rather than decrypting.
 */
export class SentinelRegistry {
  readonly #turns: SentinelTurn[] = []
  readonly #byPrepareToken = new Map<string, SentinelTurn>()
  readonly #byRequirementsToken = new Map<string, SentinelTurn>()

  /** Opens a two-step turn; returns its prepare token. */
  prepare(record: Omit<TestSentinelTurn, 'form' | 'finalized'>, challenge: PowChallenge): string {
    const turn: SentinelTurn = { record: { form: 'two-step', finalized: false, ...record }, challenge }
    const prepareToken = fernetLike()
    this.#turns.push(turn)
    this.#byPrepareToken.set(prepareToken, turn)
    return prepareToken
  }

  /** The turn a prepare token opened, if it is known and not finalized yet. */
  pending(prepareToken: unknown): SentinelTurn | undefined {
    const turn = typeof prepareToken === 'string' ? this.#byPrepareToken.get(prepareToken) : undefined
    return turn && !turn.record.finalized ? turn : undefined
  }

  /** Finalizes a turn: it gets its requirements token, valid `ttlSeconds` and for one send. */
  finalize(turn: SentinelTurn, ttlSeconds: number, soToken: boolean): string {
    turn.record.finalized = true
    return this.#issue(turn, ttlSeconds, soToken)
  }

  /** A single-step turn, finalized from the start; returns the turn with its requirements token. */
  singleStep(
    record: Omit<TestSentinelTurn, 'form' | 'finalized'>,
    challenge: PowChallenge,
    ttlSeconds: number
  ): { turn: SentinelTurn; token: string } {
    const turn: SentinelTurn = { record: { form: 'single-step', finalized: true, ...record }, challenge }
    this.#turns.push(turn)
    return { turn, token: this.#issue(turn, ttlSeconds, false) }
  }

  /** The turn of a requirements token, used or not (the caller tells the cases apart). */
  byRequirementsToken(token: string | undefined): SentinelTurn | undefined {
    return token === undefined ? undefined : this.#byRequirementsToken.get(token)
  }

  /** Copies of every turn's record, oldest first. */
  records(): TestSentinelTurn[] {
    return this.#turns.map((turn) => structuredClone(turn.record))
  }

  clear(): void {
    this.#turns.length = 0
    this.#byPrepareToken.clear()
    this.#byRequirementsToken.clear()
  }

  #issue(turn: SentinelTurn, ttlSeconds: number, soToken: boolean): string {
    const token = fernetLike()
    turn.requirementsToken = token
    turn.expiresAt = Date.now() + ttlSeconds * 1000
    if (soToken) turn.soToken = fernetLike()
    this.#byRequirementsToken.set(token, turn)
    return token
  }
}

/**
 * `gAAAAAB` + base64url, as Fernet tokens look (version byte 0x80 and a timestamp make the
 * `gAAAAAB` start); the content is random.
 */
export function fernetLike(): string {
  return `gAAAAAB${randomBytes(96).toString('base64url')}`
}
