/**
 * Standard base64 (with `=` padding) of a string's UTF-8 bytes, without `Buffer`: the library's
 * main entry runs on fetch runtimes (Deno, edge) where `Buffer` is not a global, and the only
 * built-in it may import is `node:crypto`. `btoa` needs a byte string first and was 4× slower on
 * the proof of work's hot path; this writer reuses its buffers across calls instead.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const LETTERS = Uint8Array.from(ALPHABET, (letter) => letter.charCodeAt(0))
const PAD = 61 // '='

const utf8 = new TextEncoder()
// base64 output is ASCII, so any decoder that maps ASCII to itself will do.
const ascii = new TextDecoder()

/**
 * Encodes many strings of similar length (one proof-of-work attempt each) with two buffers
 * allocated once and grown when a longer string comes. Not shared between callers: each solve
 * makes its own, so interleaved solves cannot see each other's bytes.
 */
export class Utf8Base64Writer {
  private bytes = new Uint8Array(0)
  private letters = new Uint8Array(0)

  /** `text`'s UTF-8 bytes in standard base64 with padding. */
  encode(text: string): string {
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes (a surrogate pair: 2 units, 4 bytes).
    if (this.bytes.length < text.length * 3) {
      this.bytes = new Uint8Array(text.length * 3)
      this.letters = new Uint8Array(Math.ceil(this.bytes.length / 3) * 4)
    }
    const { bytes, letters } = this
    const length = utf8.encodeInto(text, bytes).written
    let out = 0
    let at = 0
    for (; at + 2 < length; at += 3) {
      const triple = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!
      letters[out++] = LETTERS[triple >>> 18]!
      letters[out++] = LETTERS[(triple >>> 12) & 63]!
      letters[out++] = LETTERS[(triple >>> 6) & 63]!
      letters[out++] = LETTERS[triple & 63]!
    }
    if (at < length) {
      const two = at + 1 < length
      const triple = (bytes[at]! << 16) | (two ? bytes[at + 1]! << 8 : 0)
      letters[out++] = LETTERS[triple >>> 18]!
      letters[out++] = LETTERS[(triple >>> 12) & 63]!
      letters[out++] = two ? LETTERS[(triple >>> 6) & 63]! : PAD
      letters[out++] = PAD
    }
    return ascii.decode(letters.subarray(0, out))
  }
}

/** `text`'s UTF-8 bytes in standard base64 with padding (one-off; see {@link Utf8Base64Writer}). */
export function utf8Base64(text: string): string {
  return new Utf8Base64Writer().encode(text)
}
