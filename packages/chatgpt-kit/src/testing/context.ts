import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AccountRegistry } from './accounts.js'
import type { ApiKeyRing } from './api-keys.js'
import type { ClearanceGate } from './cloudflare.js'
import type { ConversationStore } from './conversation-store.js'
import type { FaultQueue } from './faults.js'
import type { ResolvedOptions } from './options.js'
import type { Protocol2026State } from './protocol-2026-state.js'
import type { ReplySlots } from './reply-slots.js'
import type { BodyResult } from './request-body.js'
import type { StreamShape } from './types.js'

/** The state every endpoint shares: one per backend. */
export interface BackendContext {
  readonly options: ResolvedOptions
  /** The stream shape used when a request does not ask for one. */
  shape: StreamShape
  rotateSessionTokens: boolean
  readonly accounts: AccountRegistry
  /** The keys the Chat Completions API (`/v1`) accepts. */
  readonly apiKeys: ApiKeyRing
  readonly clearance: ClearanceGate
  readonly store: ConversationStore
  readonly faults: FaultQueue
  readonly replies: ReplySlots
  /** The tokens and records of 2026 mode (unused in 2022 mode). */
  readonly protocol2026: Protocol2026State
}

/** One request as the endpoints see it: the body is already read. */
export interface Exchange {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
  readonly body: BodyResult
  /** The path's variable parts, e.g. the conversation id. */
  readonly params: readonly string[]
}
