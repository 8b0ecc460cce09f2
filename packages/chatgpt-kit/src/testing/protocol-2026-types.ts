/**
 * The public types of the test backend's 2026 mode (`protocol: '2026'`): what it records of the
 * send sequence of PROTOCOL-2026.md §14, for tests to assert on.
 */

/**
 * Which generation of the web backend's send sequence the test backend enforces:
 *
 * - `'2022'`: the seed's: an access token, the clearance, and `POST /backend-api/conversation`.
 * - `'2026'`: today's (PROTOCOL-2026.md §14): bootstrap page, sentinel chat requirements (two
 *   steps, or the single-step fallback) with a proof of work checked by hash, a conduit token, and
 *   `POST /backend-api/f/conversation`, everything tied to one `oai-device-id`.
 */
export type BackendProtocol = '2022' | '2026'

/** One set of sentinel chat requirements the backend handed out in 2026 mode: one turn's worth. */
export interface TestSentinelTurn {
  /**
   * `'two-step'`: `sentinel/chat-requirements/prepare` then `/finalize`; `'single-step'`:
   * `sentinel/chat-requirements` (the fallback), whose proof is checked only on the send.
   */
  form: 'two-step' | 'single-step'
  /** `user.id` of the account that asked. */
  userId: string
  /** The `oai-device-id` the requirements were issued to; the send must carry the same. */
  deviceId: string
  /** The proof-of-work challenge this turn was given. */
  proofOfWork: { seed: string; difficulty: string }
  /** The client's requirements token `p` (`gAAAAAC…`), decoded: its config array (§4.3, §4.4). */
  requirementsConfig: unknown[]
  /**
   * Whether a requirements token exists for the turn: after `finalize` for the two-step form, from
   * the start for the single-step one.
   */
  finalized: boolean
  /**
   * The config array of the first proof-of-work answer accepted for the turn (at `finalize`, or on
   * the send for the single-step form), decoded. Entry 3 is the winning nonce.
   */
  proofConfig?: unknown[]
  /** The turnstile answer the client gave: finalize's `turnstile`, or the send's header. Not checked. */
  turnstile?: string
  /**
   * The path of the send that used the requirements token (each serves one send):
   * `'/backend-api/f/conversation'` or `'/backend-api/conversation'`; absent while unused.
   */
  usedBy?: string
}

/** One conduit token handed out by `POST /backend-api/f/conversation/prepare` in 2026 mode. */
export interface TestConduitToken {
  /** `user.id` of the account that asked. */
  userId: string
  /** The `oai-device-id` of the prepare request, if it carried one. */
  deviceId?: string
  /** The `x-conduit-token` header of the prepare request (clients send `no-token`). */
  sentConduitHeader?: string
  /** How many sends to `/backend-api/f/conversation` carried this token and were let through. */
  uses: number
}
