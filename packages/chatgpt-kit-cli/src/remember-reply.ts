/**
 * Remembering where a conversation is, after its reply was shown.
 */
import { describeError } from './cli-error.js'
import type { StateStore } from './state-store.js'

/**
 * Records a reply in the state (see {@link StateStore.recordReply}); a failure is a warning.
 *
 * By now the message was sent and its reply shown, so a state directory that cannot be written
 * does not fail the command: exit 1 would tell a script to try again, sending the message a
 * second time. The warning says what is lost (`-c` and `-n` cannot continue it) and names the
 * directory.
 *
 * @returns whether the reply was recorded
 */
export async function rememberReply(
  warn: (line: string) => void,
  state: StateStore,
  reply: { conversationId: string; messageId: string; name?: string }
): Promise<boolean> {
  try {
    await state.recordReply(reply)
    return true
  } catch (error) {
    warn(`the conversation could not be saved, so -c and -n cannot continue it: ${describeError(error).line}`)
    return false
  }
}
