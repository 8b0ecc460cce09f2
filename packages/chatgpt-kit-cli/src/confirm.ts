/**
 * A yes/no question on the terminal (`[y/N]`). Ctrl-C stops the command as it does anywhere else
 * (exit 130); Ctrl-D, or any answer but y or yes, is no.
 */
import { createInterface } from 'node:readline'

import { InterruptedError } from './cli-error.js'
import type { Context } from './context.js'

export function confirm(ctx: Pick<Context, 'stdin' | 'stderr' | 'interrupt'>, question: string): Promise<boolean> {
  const { signal } = ctx.interrupt
  if (signal.aborted) return Promise.reject(new InterruptedError())
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: ctx.stdin.isTTY === true })
    let settled = false
    const finish = (answer: boolean | Error) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      rl.close()
      if (answer instanceof Error) reject(answer)
      else resolve(answer)
    }
    // A Ctrl-C typed while readline holds the terminal in raw mode reaches us as this event, not
    // as a signal; without a listener readline would just close, and the answer read as "no".
    rl.on('SIGINT', () => {
      ctx.stderr.write('\n')
      finish(new InterruptedError())
    })
    // A SIGINT from elsewhere (`kill -INT`) aborts the command's signal.
    const onAbort = () => finish(new InterruptedError())
    signal.addEventListener('abort', onAbort)
    rl.on('close', () => {
      // Ctrl-D: end the question's line before whatever is printed next.
      if (!settled) ctx.stderr.write('\n')
      finish(false)
    })
    rl.question(question, (answer) => finish(/^y(es)?$/i.test(answer.trim())))
  })
}
