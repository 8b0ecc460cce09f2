/**
 * Terminals for in-process tests of the command: streams that say they are a TTY, a small
 * emulator that turns what was written into the lines a terminal would show, and a `Context`
 * built on them (no process signal handlers: `interrupt()` plays Ctrl-C).
 */
import { PassThrough, Writable } from 'node:stream'

import { ansi, noStyle } from '../../packages/chatgpt-kit-cli/src/ansi.js'
import { InterruptedError } from '../../packages/chatgpt-kit-cli/src/cli-error.js'
import type { Context } from '../../packages/chatgpt-kit-cli/src/context.js'

/** An output stream that is a terminal (`isTTY`), keeping every byte written to it. */
export class FakeTerminalOutput extends Writable {
  readonly isTTY = true
  columns = 80
  rows = 24
  /** Everything written, escape sequences included. */
  text = ''
  /** Each `write` call's text, in order. */
  readonly writes: string[] = []

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const text = chunk.toString()
    this.text += text
    this.writes.push(text)
    callback()
  }

  /** The lines the terminal shows (see {@link screenOf}). */
  screen(): string[] {
    return screenOf(this.text)
  }
}

/** An input stream that is a terminal: what the test `type`s arrives as key presses. */
export class FakeTerminalInput extends PassThrough {
  readonly isTTY = true
  isRaw = false

  setRawMode(mode: boolean): this {
    this.isRaw = mode
    return this
  }

  type(keys: string): void {
    this.write(keys)
  }
}

/**
 * What a terminal shows after `text`: `\r` returns to the first column, `\n` starts the next line
 * (a TTY's output keeps `ONLCR`, raw mode or not), `ESC[K` erases to the end of the line,
 * `ESC[2K` the whole line, `ESC[nG` moves to column n, `ESC[J` erases below; other escape
 * sequences (colours) take no room. Characters overwrite what is under the cursor.
 */
export function screenOf(text: string): string[] {
  const lines: string[][] = [[]]
  let row = 0
  let col = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (char === '\x1b' && text[i + 1] === '[') {
      const match = /^\x1b\[([0-9;?]*)([ -/]*[@-~])/.exec(text.slice(i))
      if (!match) continue
      i += match[0].length - 1
      const n = match[1] === '' ? undefined : Number(match[1])
      const line = lines[row]!
      if (match[2] === 'K') {
        if (n === 2) lines[row] = []
        else line.length = Math.min(line.length, col)
      } else if (match[2] === 'G') {
        col = (n ?? 1) - 1
      } else if (match[2] === 'J') {
        line.length = Math.min(line.length, col)
        lines.length = row + 1
      }
      continue
    }
    if (char === '\r') {
      col = 0
    } else if (char === '\n') {
      row++
      col = 0
      lines[row] ??= []
    } else {
      const line = lines[row]!
      while (line.length < col) line.push(' ')
      line[col++] = char
    }
  }
  return lines.map((line) => line.join(''))
}

/** A `Context` over the given streams; `interrupt()` is a Ctrl-C. */
export function fakeContext(options: {
  env: NodeJS.ProcessEnv
  cwd: string
  stdin?: NodeJS.ReadableStream
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream
}): Context & { interrupt: Context['interrupt'] & { press(): void } } {
  const controller = new AbortController()
  let handler: (() => void) | undefined
  const stderr = (options.stderr ?? new FakeTerminalOutput()) as NodeJS.WriteStream
  const stdout = (options.stdout ?? new FakeTerminalOutput()) as NodeJS.WriteStream
  const color = { stdout: stdout.isTTY === true, stderr: stderr.isTTY === true }
  return {
    env: options.env,
    cwd: options.cwd,
    stdin: (options.stdin ?? new FakeTerminalInput()) as unknown as NodeJS.ReadStream,
    stdout,
    stderr,
    color,
    out: color.stdout ? ansi : noStyle,
    err: color.stderr ? ansi : noStyle,
    warn: (line) => stderr.write(`chatgpt: warning: ${line}\n`),
    interrupt: {
      signal: controller.signal,
      onInterrupt(next) {
        handler = next
        return () => {
          if (handler === next) handler = undefined
        }
      },
      press() {
        if (handler) handler()
        else controller.abort(new InterruptedError())
      }
    }
  }
}
