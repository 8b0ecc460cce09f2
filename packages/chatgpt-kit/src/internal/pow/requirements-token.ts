/**
 * The requirements proof `p` (`gAAAAAC…`) the client sends first, to
 * `sentinel/chat-requirements[/prepare]` (PROTOCOL-2026.md §4.4, §14 step 2). It is also the XOR
 * key of the turnstile program (§3.4), so the same string must be kept for that.
 */
import { encodePowConfig } from './config-encoding.js'
import type { PowConfig } from './pow-config.js'

/** Every requirements token starts so. */
export const REQUIREMENTS_TOKEN_PREFIX = 'gAAAAAC'

/**
 * `"gAAAAAC" + base64(JSON(config))` with entry 3 = 1 and entry 9 = `elapsedMs`, not solved.
 *
 * This is the 2025–26 form (S5, S7, S8, S9, S13). 2024 clients solved it against a random seed
 * at difficulty `0fffff` instead; the note gives both as accepted in their sources, and
 * recommends the current one, which is what the browser does.
 *
 * Entry 9 is what the browser puts there: the ms it spent building the token (small, rounded
 * by the caller). S7 sends a random float; the note follows the browser.
 *
 * The browser's catch branch (`gAAAAACwQ8Lk5FbGpA2NcR9dShT6gYjU7VxZ4D` + base64 of the error)
 * has no counterpart: building this cannot fail.
 */
export function requirementsToken(config: PowConfig, elapsedMs: number): string {
  const token: PowConfig = [...config]
  token[3] = 1
  token[9] = elapsedMs
  return REQUIREMENTS_TOKEN_PREFIX + encodePowConfig(token)
}
