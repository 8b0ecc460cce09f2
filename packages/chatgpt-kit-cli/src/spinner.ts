/**
 * A spinner on stderr while waiting for the first token. Only on a terminal: piped stderr gets
 * nothing, so logs stay clean.
 *
 * Other lines may reach the same terminal while it spins (`--debug` lines, warnings): written
 * with {@link writeLines}, they clear the spinner's line first and have it drawn again below
 * them, instead of landing after its text or being wiped by its next frame.
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export type Spinner = {
  /** Changes the text next to the spinner. */
  text(text: string): void
  /** Stops it and erases its line; safe to call more than once. */
  stop(): void
}

const idle: Spinner = { text: () => {}, stop: () => {} }

/** The spinner drawing on each stream now, as the function that draws it again. */
const spinning = new WeakMap<NodeJS.WritableStream, () => void>()

export function startSpinner(stream: NodeJS.WriteStream, text: string, dim: (t: string) => string): Spinner {
  if (!stream.isTTY) return idle
  let frame = 0
  let label = text
  const draw = () => stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${dim(label)}\x1b[K`)
  draw()
  const timer = setInterval(draw, 80)
  spinning.set(stream, draw)
  let stopped = false
  return {
    text: (next) => {
      label = next
    },
    stop: () => {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      if (spinning.get(stream) === draw) spinning.delete(stream)
      stream.write('\r\x1b[K')
    }
  }
}

/**
 * Writes whole lines (`text` ends with a newline) to a stream a spinner may be drawing on: the
 * spinner's line is cleared, the lines written in its place, and the spinner drawn below them.
 */
export function writeLines(stream: NodeJS.WritableStream, text: string): void {
  const redraw = spinning.get(stream)
  if (!redraw) {
    stream.write(text)
    return
  }
  stream.write(`\r\x1b[K${text}`)
  redraw()
}
