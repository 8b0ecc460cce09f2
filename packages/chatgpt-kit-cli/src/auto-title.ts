/**
 * Titling a conversation the command started, after its first reply, as the web app does
 * (`gen_title`, as the web app): otherwise every conversation made here is called "New chat" in
 * the list. It runs beside whatever follows the reply and never fails the command: a failure is
 * a `--debug` line, nothing more.
 */
import type { ChatGPTAPI } from 'chatgpt-kit'

/** How long a title may take; the server takes a second or two to write one. */
const TITLE_TIMEOUT_MS = 5_000

/**
 * Asks the server to title the conversation from its first reply.
 * @returns a promise that resolves (never rejects) once the title is set, or given up.
 */
export function titleNewConversation(
  api: Pick<ChatGPTAPI, 'generateTitle'>,
  reply: { conversationId: string; messageId: string },
  options: { model?: string; signal?: AbortSignal; debug?: (line: string) => void }
): Promise<void> {
  const { debug } = options
  return api
    .generateTitle(reply.conversationId, reply.messageId, {
      model: options.model,
      timeoutMs: TITLE_TIMEOUT_MS,
      abortSignal: options.signal
    })
    .then(
      (title) => {
        debug?.(`titled the new conversation "${title}"`)
      },
      (error: unknown) => {
        debug?.(`could not title the new conversation: ${error instanceof Error ? error.message : String(error)}`)
      }
    )
}
