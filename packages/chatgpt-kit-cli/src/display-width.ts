/**
 * How many terminal columns text takes: what aligning table columns needs. East Asian wide
 * characters and emoji take two columns, combining marks and zero-width characters none, and ANSI
 * escape codes none (they only style).
 */
import { stripAnsi } from './ansi.js'

/** Zero columns: combining marks, zero-width spaces and joiners, variation selectors. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufe00-\ufe0f]/u
/** Emoji drawn as pictures by default (`☕`, `🚀`), which terminals give two columns. */
const EMOJI = /\p{Emoji_Presentation}/u

/** Whether a code point is East Asian Wide or Fullwidth (the main blocks; enough for replies). */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) || // Hangul Jamo
    (code >= 0x2e80 && code <= 0x303e) || // CJK radicals, punctuation
    (code >= 0x3041 && code <= 0x33ff) || // kana, CJK symbols
    (code >= 0x3400 && code <= 0x4dbf) || // CJK extension A
    (code >= 0x4e00 && code <= 0x9fff) || // CJK unified ideographs
    (code >= 0xa000 && code <= 0xa4cf) || // Yi
    (code >= 0xac00 && code <= 0xd7a3) || // Hangul syllables
    (code >= 0xf900 && code <= 0xfaff) || // CJK compatibility ideographs
    (code >= 0xfe30 && code <= 0xfe4f) || // CJK compatibility forms
    (code >= 0xff00 && code <= 0xff60) || // fullwidth forms
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd) // CJK extensions B and on
  )
}

/** Columns one character (code point) takes. */
function charWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return 0
  if (isWide(char.codePointAt(0)!) || EMOJI.test(char)) return 2
  return 1
}

/** Terminal columns `text` takes; ANSI escape codes count 0. */
export function displayWidth(text: string): number {
  let width = 0
  for (const char of stripAnsi(text)) width += charWidth(char)
  return width
}
