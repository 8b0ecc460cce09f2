/**
 * The two sends of 2026 mode (PROTOCOL-2026.md §3.3, §6): `POST /backend-api/f/conversation`,
 * and `POST /backend-api/conversation` as its documented fallback. Both check the sentinel
 * headers against the turn they name, use the turn up, and then answer exactly as the seed's
 * conversation endpoint does: faults, body checks, the stream in the configured shape.
 */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { BackendContext, Exchange } from './context.js'
import { handleConversation } from './conversation-endpoint.js'
import { isObject, sendJson } from './http-io.js'
import type { TestConduitToken } from './protocol-2026-types.js'
import {
  deviceIdOf,
  headerOf,
  requireUser2026,
  sendBareForbidden,
  sendUnusualActivity
} from './sentinel-answers.js'
import { checkProofAnswer } from './sentinel-proof.js'

/** What 2026 clients put as the parent of a new conversation's first message (§6). */
const CREATED_ROOT = 'client-created-root'

/** `POST /backend-api/f/conversation`: sentinel headers, then the conduit token. */
export function handleConduitSend(ctx: BackendContext, ex: Exchange): Promise<void> {
  return sendWithSentinel(ctx, ex, true)
}

/** `POST /backend-api/conversation` in 2026 mode: the sentinel headers, no conduit. */
export function handleLegacySend2026(ctx: BackendContext, ex: Exchange): Promise<void> {
  return sendWithSentinel(ctx, ex, false)
}

/**
 * The checks, in this order (each refusal leaves the turn unused):
 *
 * 1. the access token (401 `Could not parse your authentication token…`);
 * 2. `openai-sentinel-proof-token` present: on `/f/` a bare 403 without it (S8 1.8.4), on the
 *    legacy path 403 "Unusual activity";
 * 3. `openai-sentinel-chat-requirements-token`: a token of this account, finalized, unexpired and
 *    never used by another send (requirements are per turn, §3.1, §14), else 403 "Unusual activity";
 * 4. `oai-device-id` equal to the one the turn was issued to, else 403 "Unusual activity";
 * 5. the proof meets the turn's challenge, else as in 2;
 * 6. a single-step turn needs `openai-sentinel-turnstile-token` (its only way in), and a turn
 *    with a `so_token` needs it back as `openai-sentinel-so-token`, else 403 "Unusual activity";
 * 7. on `/f/`: `x-conduit-token` from `/f/conversation/prepare`, of this account and not
 *    expired, else 422 `{detail: 'Invalid conduit token'}` (⚠ the live answer is not in the
 *    sources: a send the server cannot place is a malformed one, which is 422 in §13).
 */
async function sendWithSentinel(ctx: BackendContext, ex: Exchange, viaConduit: boolean): Promise<void> {
  const { req, res } = ex
  const refuseProof = viaConduit ? sendBareForbidden : sendUnusualActivity
  const user = requireUser2026(ctx.accounts, req, res)
  if (!user) return
  const proof = headerOf(req, 'openai-sentinel-proof-token')
  if (proof === undefined) return refuseProof(res)
  const turn = ctx.protocol2026.sentinel.byRequirementsToken(headerOf(req, 'openai-sentinel-chat-requirements-token'))
  const usable =
    turn !== undefined &&
    turn.record.usedBy === undefined &&
    turn.record.userId === user.id &&
    Date.now() < turn.expiresAt!
  if (!usable) return sendUnusualActivity(res)
  if (deviceIdOf(req) !== turn.record.deviceId) return sendUnusualActivity(res)
  const verdict = checkProofAnswer(proof, turn.challenge, ctx.options.acceptLegacyProof)
  if (!verdict.ok) return refuseProof(res)
  const turnstile = headerOf(req, 'openai-sentinel-turnstile-token')
  if (turn.record.form === 'single-step' && turnstile === undefined) return sendUnusualActivity(res)
  if (turn.soToken !== undefined && headerOf(req, 'openai-sentinel-so-token') !== turn.soToken) {
    return sendUnusualActivity(res)
  }
  let conduit: TestConduitToken | undefined
  if (viaConduit) {
    conduit = ctx.protocol2026.conduits.find(headerOf(req, 'x-conduit-token'), user.id)
    if (!conduit) return invalidConduit(res)
  }

  // Every sentinel check passed: the turn is spent, whatever the conversation endpoint answers.
  turn.record.usedBy = ex.url.pathname
  turn.record.proofConfig ??= verdict.config
  turn.record.turnstile ??= turnstile
  if (conduit) conduit.uses++
  await handleConversation(ctx, withCreatedRoot(ex))
}

function invalidConduit(res: ServerResponse): void {
  sendJson(res, 422, { detail: 'Invalid conduit token' })
}

/**
 * The exchange with `parent_message_id: 'client-created-root'` of a new conversation replaced by
 * a random uuid: the seed's parser wants a uuid there, and a new conversation's first message
 * hangs under the root whatever its parent says. The recorded request keeps what was sent.
 */
function withCreatedRoot(ex: Exchange): Exchange {
  const body = ex.body.kind === 'json' ? ex.body.value : undefined
  if (!isObject(body) || body.parent_message_id !== CREATED_ROOT || body.conversation_id != null) return ex
  return { ...ex, body: { kind: 'json', value: { ...body, parent_message_id: randomUUID() } } }
}
