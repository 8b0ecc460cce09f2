/**
 * One reply as the command shows it: a spinner on stderr until the first token, the text printed
 * as it streams, Ctrl-C stopping it, and a wait when another command is talking to the account.
 */
import { ChatGPTError, type ChatGPTReply, type SendMessageOptions } from 'chatgpt-kit'
import { sleep } from 'chatgpt-kit/internal'
import { InterruptedError } from './cli-error.js'
import type { Context } from './context.js'
import type { ReplyPrinter } from './reply-printer.js'
import { startSpinner } from './spinner.js'

/** The options each attempt is started with. */
export type AttemptOptions = Required<Pick<SendMessageOptions, 'onProgress' | 'abortSignal'>> &
  Pick<SendMessageOptions, 'timeoutMs'>

/**
 * How long to keep retrying while the account answers "Only one message at a time" (another
 * `chatgpt` command, or a browser tab, is getting a reply). The client already retried a few
 * times; replies can take a minute or two.
 */
const BUSY_WAIT_MS = 3 * 60_000

/**
 * Runs a reply.
 *
 * @param start - sends the request with the given options (a message, a regeneration, …)
 * @param options.printer - prints the text as it streams; none to print nothing while it does
 * @param options.signal - aborts the reply (Ctrl-C); the call then throws InterruptedError
 */
export async function runReply(
  ctx: Context,
  start: (options: AttemptOptions) => Promise<ChatGPTReply>,
  options: { printer?: ReplyPrinter; signal: AbortSignal; timeoutMs?: number; label?: string }
): Promise<ChatGPTReply> {
  const { printer, signal } = options
  const spinner = startSpinner(ctx.stderr, options.label ?? 'thinking…', ctx.err.dim)
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs
  const busyUntil = Date.now() + BUSY_WAIT_MS
  let received = false
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await start({
          abortSignal: signal,
          timeoutMs: deadline === Infinity ? undefined : Math.max(1, deadline - Date.now()),
          onProgress: (text, appended) => {
            if (!received && text !== '') {
              received = true
              spinner.stop()
            }
            printer?.update(text, appended)
          }
        })
        spinner.stop()
        printer?.finish(reply.text)
        return reply
      } catch (error) {
        const wait = Math.min(8_000, 1_000 * 2 ** attempt)
        if (signal.aborted || received || !accountBusy(error) || Date.now() + wait > Math.min(busyUntil, deadline)) {
          throw error
        }
        spinner.text('another reply on this account is in progress; waiting…')
        await sleep(wait * (0.5 + Math.random() / 2), signal)
      }
    }
  } catch (error) {
    if (signal.aborted) throw new InterruptedError()
    throw error
  } finally {
    spinner.stop()
    printer?.end()
  }
}

/** "Only one message at a time": the account is answering another message right now. */
function accountBusy(error: unknown): boolean {
  return error instanceof ChatGPTError && error.code === 'rate_limited' && /one message at a time/i.test(error.message)
}
