/**
 * The sentinel's chat requirements in 2026 mode (PROTOCOL-2026.md §3): the two-step
 * prepare/finalize of the 2026 web client and the single-step form it falls back to.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PowChallenge } from '../internal/pow/difficulty.js'
import { peekUserId } from './access.js'
import type { BackendContext, Exchange } from './context.js'
import { sendAnswerFault } from './faults.js'
import { isObject, sendJson } from './http-io.js'
import { deviceIdOf, requireUser2026, sendInternalError, sendUnusualActivity } from './sentinel-answers.js'
import { checkProofAnswer, decodeRequirementsToken } from './sentinel-proof.js'
import type { SentinelTurn } from './sentinel-registry.js'
import type { TestUser } from './types.js'

/** What a logged-in free account is called (§3.1); the backend has no plans to tell apart. */
const PERSONA = 'chatgpt-freeaccount'

/** Finalize takes these keys and no others (§3.2, S11). */
const FINALIZE_KEYS = ['prepare_token', 'proofofwork', 'turnstile'] as const

/** `POST /backend-api/sentinel/chat-requirements/prepare` `{p}`: opens a turn, answers its challenges. */
export function handleSentinelPrepare(ctx: BackendContext, ex: Exchange): void {
  const asker = admit(ctx, ex)
  if (!asker) return
  const { user, deviceId, p, config } = asker
  const challenge = newChallenge(ctx)
  const prepareToken = ctx.protocol2026.sentinel.prepare(
    { userId: user.id, deviceId, proofOfWork: { ...challenge }, requirementsConfig: config },
    challenge
  )
  sendJson(ex.res, 200, { persona: PERSONA, prepare_token: prepareToken, ...challenges(ctx, challenge, p) })
}

/**
 * `POST /backend-api/sentinel/chat-requirements/finalize` `{prepare_token, proofofwork, turnstile}`:
 * checks the proof against the prepared challenge and hands out the requirements token.
 */
export function handleSentinelFinalize(ctx: BackendContext, ex: Exchange): void {
  const { req, res } = ex
  const asker = identify(ctx, req, res)
  if (!asker) return
  const body = ex.body.kind === 'json' ? ex.body.value : undefined
  // Any other key set (the old `proof_token`/`turnstile_token`, or `{p}`) is a 500 (§3.2).
  const keys = isObject(body) ? Object.keys(body).sort() : []
  const exact = keys.length === FINALIZE_KEYS.length && FINALIZE_KEYS.every((key) => keys.includes(key))
  if (!isObject(body) || !exact || !FINALIZE_KEYS.every((key) => typeof body[key] === 'string')) {
    return sendInternalError(res)
  }
  const turn = ctx.protocol2026.sentinel.pending(body.prepare_token)
  if (!turn || !sameAsker(turn, asker)) return sendUnusualActivity(res)
  const proof = checkProofAnswer(body.proofofwork, turn.challenge, ctx.options.acceptLegacyProof)
  if (!proof.ok) return sendUnusualActivity(res)
  turn.record.proofConfig = proof.config
  turn.record.turnstile = body.turnstile as string
  const { options } = ctx
  const token = ctx.protocol2026.sentinel.finalize(turn, options.requirementsTTLSeconds, options.soChallenge)
  sendJson(res, 200, {
    persona: PERSONA,
    token,
    expire_after: options.requirementsTTLSeconds,
    expire_at: Math.floor(turn.expiresAt! / 1000),
    force_login: false,
    ...(turn.soToken !== undefined && { so_token: turn.soToken })
  })
}

/**
 * `POST /backend-api/sentinel/chat-requirements` `{p}`: the single-step form (§3.1), the token
 * and the challenges at once; the proof and turnstile answers then come with the send.
 */
export function handleSentinelSingleStep(ctx: BackendContext, ex: Exchange): void {
  const asker = admit(ctx, ex)
  if (!asker) return
  const { user, deviceId, p, config } = asker
  const challenge = newChallenge(ctx)
  const { turn, token } = ctx.protocol2026.sentinel.singleStep(
    { userId: user.id, deviceId, proofOfWork: { ...challenge }, requirementsConfig: config },
    challenge,
    ctx.options.requirementsTTLSeconds
  )
  sendJson(ex.res, 200, {
    persona: PERSONA,
    token,
    expire_after: ctx.options.requirementsTTLSeconds,
    expire_at: Math.floor(turn.expiresAt! / 1000),
    force_login: false,
    ...challenges(ctx, challenge, p)
  })
}

interface Asker {
  user: TestUser
  deviceId: string
}

/**
 * The checks every sentinel request starts with: a `'sentinel'` fault, the access token (401 in
 * the 2026 wording), the device id (403 "Unusual activity" without one: the sentinel ties
 * everything to it).
 */
function identify(ctx: BackendContext, req: IncomingMessage, res: ServerResponse): Asker | undefined {
  const fault = ctx.faults.takeAnswer('sentinel', peekUserId(ctx.accounts, req))
  if (fault) {
    sendAnswerFault(res, fault, 'sentinel')
    return undefined
  }
  const user = requireUser2026(ctx.accounts, req, res)
  if (!user) return undefined
  const deviceId = deviceIdOf(req)
  if (deviceId === undefined) {
    sendUnusualActivity(res)
    return undefined
  }
  return { user, deviceId }
}

/**
 * {@link identify}, then the `{p}` body of prepare and the single-step form: a `gAAAAAC`
 * requirements token whose config decodes. ⚠ What the live server answers to a bad `p` is not
 * in the sources; this answers what finalize answers to a bad body, 500.
 */
function admit(ctx: BackendContext, ex: Exchange): (Asker & { p: string; config: unknown[] }) | undefined {
  const asker = identify(ctx, ex.req, ex.res)
  if (!asker) return undefined
  const body = ex.body.kind === 'json' ? ex.body.value : undefined
  const p = isObject(body) ? body.p : undefined
  const config = decodeRequirementsToken(p)
  if (!config) {
    sendInternalError(ex.res)
    return undefined
  }
  return { ...asker, p: p as string, config }
}

function sameAsker(turn: SentinelTurn, asker: Asker): boolean {
  return turn.record.userId === asker.user.id && turn.record.deviceId === asker.deviceId
}

/** A seed as the real one looks (`String(Math.random())`, §3.1) and the configured difficulty. */
function newChallenge(ctx: BackendContext): PowChallenge {
  return { seed: String(Math.random()), difficulty: ctx.options.powDifficulty }
}

/** The challenge fields of prepare and of the single-step answer. */
function challenges(ctx: BackendContext, challenge: PowChallenge, p: string): Record<string, unknown> {
  return {
    proofofwork: { required: true, seed: challenge.seed, difficulty: challenge.difficulty },
    turnstile: { required: true, dx: turnstileProgram(p) },
    ...(ctx.options.soChallenge && { so: { required: true, collector_dx: randomBytes(48).toString('base64') } })
  }
}

/**
 * A `dx` encrypted the way the real one is (§3.4): base64 of the program's JSON XORed with the
 * request's `p`. The program is a JSON array of two strings, not something a turnstile VM can
 * run: the backend does not check the turnstile answer (whether the live one does is open, §15).
 */
function turnstileProgram(p: string): string {
  const program = JSON.stringify(['test-backend', randomBytes(8).toString('hex')])
  const xored = Array.from(program, (char, i) => String.fromCharCode(char.charCodeAt(0) ^ p.charCodeAt(i % p.length)))
  return Buffer.from(xored.join(''), 'latin1').toString('base64')
}
