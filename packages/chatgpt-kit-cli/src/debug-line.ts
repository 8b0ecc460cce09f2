/**
 * Where `--debug` lines go: stderr, dimmed, each on a line of its own even while the spinner
 * turns (see `spinner.ts`).
 */
import type { Context } from './context.js'
import { writeLines } from './spinner.js'

/** A `debug` function for the client and the command's own notes, writing `[debug] …` lines. */
export function debugLogger(ctx: Pick<Context, 'stderr' | 'err'>): (line: string) => void {
  return (line) => writeLines(ctx.stderr, `${ctx.err.dim(`[debug] ${line}`)}\n`)
}
