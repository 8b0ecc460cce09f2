/**
 * ANSI styles, and when to use them: only on a terminal, never with `NO_COLOR` (any non-empty
 * value, https://no-color.org) or `TERM=dumb`; `FORCE_COLOR=0` turns colour off too.
 */

/** Wraps text in a style. Nested styles survive: an inner close re-opens the outer style. */
export type Style = (text: string) => string

const wrap =
  (open: number, close: number): Style =>
  (text) => {
    if (text === '') return ''
    const on = `\x1b[${open}m`
    const off = `\x1b[${close}m`
    return on + text.split(off).join(off + on) + off
  }

export const ansi = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  italic: wrap(3, 23),
  underline: wrap(4, 24),
  strike: wrap(9, 29),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  blue: wrap(34, 39),
  magenta: wrap(35, 39),
  cyan: wrap(36, 39)
} satisfies Record<string, Style>

/** The same names, doing nothing: what every style is when colour is off. */
export const noStyle: typeof ansi = Object.fromEntries(
  Object.keys(ansi).map((name) => [name, (text: string) => text])
) as unknown as typeof ansi

/** Whether to colour what goes to `stream`. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR === '0') return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}

/** Removes ANSI escape sequences (for measuring or testing rendered text). */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
}
