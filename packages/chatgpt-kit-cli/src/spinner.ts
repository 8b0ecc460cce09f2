/**
 * A spinner on stderr while waiting for the first token. Only on a terminal: piped stderr gets
 * nothing, so logs stay clean.
 *
 * Other lines may reach the same terminal while it spins (`--debug` lines, warnings): written
 * with {@link writeLines}, they clear the spinner's line first and have it drawn again below
 * them, instead of landing after its text or being wiped by its next frame. `chatgpt chat`'s
 * prompt is kept the same way ({@link keepLine}).
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export type Spinner = {
  /** Changes the text next to the spinner. */
  text(text: string): void
  /** Stops it and erases its line; safe to call more than once. */
  stop(): void
}

/** A line drawn on a terminal and drawn again after other lines are written. */
export type LiveLine = {
  /** Whether the line is on screen now, with the cursor on it. */
  shown(): boolean
  /** Draws it again (on a line just cleared). */
  redraw(): void
}

const idle: Spinner = { text: () => {}, stop: () => {} }

/** The live lines of each stream, the latest last. */
const live = new WeakMap<NodeJS.WritableStream, LiveLine[]>()

/**
 * Keeps `line` at the bottom of the terminal `stream` writes to, until the returned function is
 * called: {@link writeLines} writes above it.
 */
export function keepLine(stream: NodeJS.WritableStream, line: LiveLine): () => void {
  const lines = live.get(stream) ?? []
  live.set(stream, [...lines, line])
  return () => {
    const now = live.get(stream)?.filter((other) => other !== line) ?? []
    if (now.length > 0) live.set(stream, now)
    else live.delete(stream)
  }
}

export function startSpinner(stream: NodeJS.WriteStream, text: string, dim: (t: string) => string): Spinner {
  if (!stream.isTTY) return idle
  let frame = 0
  let label = text
  const draw = () => stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${dim(label)}\x1b[K`)
  draw()
  const timer = setInterval(draw, 80)
  const release = keepLine(stream, { shown: () => true, redraw: draw })
  let stopped = false
  return {
    text: (next) => {
      label = next
    },
    stop: () => {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      release()
      stream.write('\r\x1b[K')
    }
  }
}

/**
 * Writes whole lines (`text` ends with a newline) to a stream a spinner (or another live line)
 * may be drawing on: that line is cleared, the lines written in its place, and it is drawn again
 * below them.
 */
export function writeLines(stream: NodeJS.WritableStream, text: string): void {
  const line = live.get(stream)?.findLast((candidate) => candidate.shown())
  if (!line) {
    stream.write(text)
    return
  }
  stream.write(`\r\x1b[K${text}`)
  line.redraw()
}
