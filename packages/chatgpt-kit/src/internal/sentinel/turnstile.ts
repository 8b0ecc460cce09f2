/**
 * The turnstile answer of a turn (PROTOCOL-2026.md §3.4). Running the challenge program is out of
 * scope (it probes a real browser's DOM, storage and timing); the caller's `turnstileSolver` may
 * do it. Without one the client sends what two 2026 public clients send and show working (S9 and
 * another anonymous client): 2256 random base64 characters. Whether the server checks the answer
 * is open (§15): a server that does refuses the turn, and the call fails with `bot_detected`.
 */
import { getRandomValues } from 'node:crypto'

import { ChatGPTError } from '../../errors.js'
import type { TurnstileSolver } from '../../types.js'
import type { CallSignal } from '../call-signal.js'

/** The length of the filler answer the sources send. */
export const TURNSTILE_FILLER_CHARS = 2256

/** The longest answer taken from a solver: it goes into a JSON body or a header. */
const MAX_ANSWER_CHARS = 64 * 1024

// A header value, and nothing a body or a log line could be confused by.
const HEADER_SAFE = /^[\x21-\x7e]+$/

/** The turnstile part of a sentinel answer: `{required, dx}`. */
export type TurnstileChallenge = { required?: unknown; dx?: unknown }

/** An answer, and who gave it (for the debug line). */
export type TurnstileAnswer = { token: string; by: 'turnstileSolver' | 'filler' }

/**
 * The answer for `challenge`, whose program is keyed with `p`: the solver's when there is one and
 * the challenge is required with a program, the filler otherwise (finalize wants an answer even
 * when none is required). The solver's wait is bounded by the call.
 *
 * @throws the call's abort reason; the solver's own rejection; ChatGPTError `invalid_argument`
 *   when the solver resolves to something that cannot be sent.
 */
export async function turnstileAnswer(
  challenge: TurnstileChallenge | undefined,
  p: string,
  solver: TurnstileSolver | undefined,
  call: CallSignal
): Promise<TurnstileAnswer> {
  const dx = challenge?.dx
  if (!solver || challenge?.required !== true || typeof dx !== 'string' || dx === '') {
    return { token: fillerToken(), by: 'filler' }
  }
  // Work the caller chose to wait for, not a silent server: the idle clock waits with it.
  call.pauseIdle()
  let token: unknown
  try {
    token = await call.race(Promise.resolve().then(() => solver(dx, p)))
  } finally {
    call.resumeIdle()
  }
  if (typeof token !== 'string' || token.length > MAX_ANSWER_CHARS || !HEADER_SAFE.test(token)) {
    throw new ChatGPTError(
      'turnstileSolver must resolve to a non-empty string of visible ASCII characters (at most 64 KiB): it is sent in a header',
      { code: 'invalid_argument' }
    )
  }
  return { token, by: 'turnstileSolver' }
}

/** {@link TURNSTILE_FILLER_CHARS} random characters of the standard base64 alphabet. */
export function fillerToken(): string {
  // 3 bytes make 4 characters, so 1692 bytes make 2256 with no padding.
  const bytes = getRandomValues(new Uint8Array((TURNSTILE_FILLER_CHARS / 4) * 3))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
