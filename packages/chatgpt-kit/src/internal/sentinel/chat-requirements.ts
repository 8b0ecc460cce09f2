/**
 * Steps 2–5 of the 2026 send sequence (PROTOCOL-2026.md §3, §4, §14): the requirements token `p`,
 * `sentinel/chat-requirements/prepare`, the proof of work and the turnstile answer, and
 * `/finalize`; or, when `prepare` answers 404, the single-step `sentinel/chat-requirements`, whose
 * proof and turnstile answers then ride on the send. Requirements serve one send: a turn gets
 * fresh ones every time.
 */
import type { PowConfig } from '../pow/pow-config.js'
import { requirementsToken } from '../pow/requirements-token.js'
import { solveProofOfWork } from '../pow/solve.js'
import { BOOTSTRAP_TTL_MS } from './bootstrap.js'
import { type TurnstileChallenge, turnstileAnswer } from './turnstile.js'
import { isMissingEndpoint, postJson, tokenFrom, type TurnContext } from './turn-context.js'

const SENTINEL = '/sentinel/chat-requirements'

/** What the send carries from the sentinel (§3.3). */
export type Requirements = {
  form: 'two-step' | 'single-step'
  /** `openai-sentinel-chat-requirements-token`. */
  token: string
  /** `openai-sentinel-proof-token`, when a proof of work was asked for. */
  proof?: string
  /** `openai-sentinel-turnstile-token`: the single-step form's only way to hand in the answer. */
  turnstile?: string
  /** `openai-sentinel-so-token`, when finalize handed one out. */
  soToken?: string
}

/**
 * Fresh requirements for one send, for the turn's `config` (its entries 3 and 9 are the proofs'
 * own; the config itself is not changed). `configBuildMs` is what the browser SDK puts in entry 9
 * of `p`: the ms it spent building the config (a float).
 *
 * @throws the call's abort reason (the proof of work stops at its next yield); ChatGPTError as a
 *   step fails: `bot_detected` for the sentinel's "Unusual activity" (a proof it did not take),
 *   `invalid_response` for an answer without its token or a challenge no browser would solve.
 */
export async function fetchRequirements(
  context: TurnContext,
  config: PowConfig,
  configBuildMs: number
): Promise<Requirements> {
  const { state, transport } = context
  const p = requirementsToken(config, configBuildMs)
  if (!state.missing.has('two-step sentinel')) {
    let prepared: Record<string, unknown> | undefined
    try {
      prepared = await postJson(context, `${SENTINEL}/prepare`, { p }, { idempotent: true })
    } catch (error) {
      if (!isMissingEndpoint(error)) throw error
      state.missing.add('two-step sentinel')
      transport.log(`sentinel: prepare answered 404; the single-step form for ${BOOTSTRAP_TTL_MS / 60_000} min`)
    }
    if (prepared) return finalize(context, config, p, prepared)
  }
  const answer = await postJson(context, SENTINEL, { p }, { idempotent: true })
  const token = tokenFrom(context, answer.token, 'requirements token')
  logChallenges(context, 'single step', answer)
  const proof = await proofOfWork(context, config, answer.proofofwork)
  const turnstile = isRequired(answer.turnstile)
    ? await turnstileFor(context, answer.turnstile as TurnstileChallenge, p)
    : undefined
  return { form: 'single-step', token, proof, turnstile }
}

/** Steps 4–5 of the two-step form: solve what prepare asked, and finalize. */
async function finalize(
  context: TurnContext,
  config: PowConfig,
  p: string,
  prepared: Record<string, unknown>
): Promise<Requirements> {
  const prepareToken = tokenFrom(context, prepared.prepare_token, 'prepare token')
  logChallenges(context, 'prepare', prepared)
  const proof = await proofOfWork(context, config, prepared.proofofwork)
  const turnstile = await turnstileFor(context, prepared.turnstile as TurnstileChallenge | undefined, p)
  // Exactly these keys: any other set is a 500 (§3.2). ⚠ What an unasked-for proof should be is
  // not in the sources; an empty string keeps the key's type.
  const finalized = await postJson(
    context,
    `${SENTINEL}/finalize`,
    { prepare_token: prepareToken, proofofwork: proof ?? '', turnstile },
    { idempotent: false }
  )
  const token = tokenFrom(context, finalized.token, 'requirements token')
  const soToken = finalized.so_token === undefined || finalized.so_token === null
    ? undefined
    : tokenFrom(context, finalized.so_token, 'so token')
  if (finalized.force_login === true) {
    context.transport.log('sentinel: finalize says force_login: the server may refuse this device or IP without a browser login')
  }
  context.transport.log(`sentinel: finalized${soToken ? ' (with a so token)' : ''}`)
  return { form: 'two-step', token, proof, soToken }
}

/**
 * The proof-of-work answer when one is asked for (`proofofwork.required`), solved under the
 * call's signal; `undefined` when none is.
 */
async function proofOfWork(context: TurnContext, config: PowConfig, challenge: unknown): Promise<string | undefined> {
  if (!isRequired(challenge)) return undefined
  const { call, transport } = context
  // CPU work the client chose: the idle clock is for a silent server.
  call.pauseIdle()
  try {
    const started = performance.now()
    const solution = await solveProofOfWork(challenge as { seed: string; difficulty: string }, config, { signal: call.signal })
    transport.log(
      `sentinel: proof of work solved in ${solution.attempts} attempt(s) (${Math.round(performance.now() - started)} ms)`
    )
    context.state.secrets.addTurnToken(solution.answer)
    return solution.answer
  } catch (error) {
    if (call.aborted) throw call.reason
    throw error
  } finally {
    call.resumeIdle()
  }
}

/** The turnstile answer, logged by who gave it and kept as a secret. */
async function turnstileFor(context: TurnContext, challenge: TurnstileChallenge | undefined, p: string): Promise<string> {
  const answer = await turnstileAnswer(challenge, p, context.state.turnstileSolver, context.call)
  context.state.secrets.addTurnToken(answer.token)
  context.transport.log(
    answer.by === 'filler'
      ? 'sentinel: turnstile answered with random filler (no turnstileSolver, or nothing to solve)'
      : 'sentinel: turnstile answered by turnstileSolver'
  )
  return answer.token
}

function isRequired(challenge: unknown): boolean {
  return !!challenge && typeof challenge === 'object' && (challenge as { required?: unknown }).required === true
}

/** One line of what the sentinel asked for: difficulty and which challenges (no tokens). */
function logChallenges(context: TurnContext, step: string, answer: Record<string, unknown>): void {
  const pow = answer.proofofwork as { difficulty?: unknown } | undefined
  const asked = [
    isRequired(pow) ? `proof of work at difficulty ${shownDifficulty(pow?.difficulty)}` : undefined,
    isRequired(answer.turnstile) ? 'turnstile' : undefined,
    isRequired(answer.so) ? 'so' : undefined
  ].filter(Boolean)
  context.transport.log(`sentinel: ${step} asks for ${asked.length > 0 ? asked.join(', ') : 'nothing'}`)
}

/** A difficulty as it may appear in a log line: lowercase hex, or `?` (a server's text is not echoed). */
function shownDifficulty(difficulty: unknown): string {
  return typeof difficulty === 'string' && /^[0-9a-f]{1,16}$/.test(difficulty) ? difficulty : '?'
}
