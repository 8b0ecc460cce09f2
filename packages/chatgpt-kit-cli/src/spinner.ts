/**
 * A spinner on stderr while waiting for the first token. Only on a terminal: piped stderr gets
 * nothing, so logs stay clean.
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export type Spinner = {
  /** Changes the text next to the spinner. */
  text(text: string): void
  /** Stops it and erases its line; safe to call more than once. */
  stop(): void
}

const idle: Spinner = { text: () => {}, stop: () => {} }

export function startSpinner(stream: NodeJS.WriteStream, text: string, dim: (t: string) => string): Spinner {
  if (!stream.isTTY) return idle
  let frame = 0
  let label = text
  const draw = () => stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${dim(label)}\x1b[K`)
  draw()
  const timer = setInterval(draw, 80)
  let stopped = false
  return {
    text: (next) => {
      label = next
    },
    stop: () => {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      stream.write('\r\x1b[K')
    }
  }
}
