/**
 * What every command works with: the process's streams and environment, whether to colour, and
 * Ctrl-C. Commands take it as an argument instead of reaching for `process`, so each reads the
 * same settings.
 */
import { ansi, noStyle, useColor } from './ansi.js'
import { InterruptedError } from './cli-error.js'
import { writeLines } from './spinner.js'

export type Context = {
  env: NodeJS.ProcessEnv
  cwd: string
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  /** Whether stdout and stderr get colour. */
  color: { stdout: boolean; stderr: boolean }
  /** Styles for stdout and for stderr (no-ops when that stream gets no colour). */
  out: typeof ansi
  err: typeof ansi
  /** Prints `chatgpt: warning: …` on stderr. */
  warn(line: string): void
  /**
   * Ctrl-C. By default the first one aborts `interrupt.signal` (the command stops and exits with
   * 130) and a second one exits at once; `chatgpt chat` takes it over with `onInterrupt`.
   */
  interrupt: {
    signal: AbortSignal
    /** Handles Ctrl-C instead of the default; returns a function restoring the default. */
    onInterrupt(handler: () => void): () => void
  }
}

export function createContext(): Context {
  const controller = new AbortController()
  let handler: (() => void) | undefined
  let interrupted = false
  process.on('SIGINT', () => {
    if (handler) return handler()
    if (interrupted) process.exit(130)
    interrupted = true
    // Whatever waits on the signal rejects with this, which exits with 130.
    controller.abort(new InterruptedError())
  })
  const color = { stdout: useColor(process.stdout), stderr: useColor(process.stderr) }
  const err = color.stderr ? ansi : noStyle
  return {
    color,
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    out: color.stdout ? ansi : noStyle,
    err,
    warn: (line) => writeLines(process.stderr, `${err.yellow('chatgpt: warning:')} ${line}\n`),
    interrupt: {
      signal: controller.signal,
      onInterrupt(next) {
        handler = next
        return () => {
          if (handler === next) handler = undefined
        }
      }
    }
  }
}
