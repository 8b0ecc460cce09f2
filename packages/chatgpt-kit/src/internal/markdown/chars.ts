/**
 * Character classes of CommonMark, on char codes, for the markdown scanners.
 */

export const TAB = 9
export const LF = 10
export const CR = 13
export const SPACE = 32
export const BANG = 33
export const QUOTE = 34
export const HASH = 35
export const AMP = 38
export const APOS = 39
export const LPAREN = 40
export const RPAREN = 41
export const STAR = 42
export const PLUS = 43
export const DASH = 45
export const DOT = 46
export const SLASH = 47
export const COLON = 58
export const LT = 60
export const EQUALS = 61
export const GT = 62
export const QUESTION = 63
export const AT = 64
export const LBRACKET = 91
export const BACKSLASH = 92
export const RBRACKET = 93
export const UNDERSCORE = 95
export const BACKTICK = 96
export const PIPE = 124
export const TILDE = 126

const ASCII_PUNCTUATION = new Uint8Array(128)
for (const ch of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') ASCII_PUNCTUATION[ch.charCodeAt(0)] = 1

// One code point at a time, so the regex is trivially linear.
const UNICODE_PUNCTUATION = /^[\p{P}\p{S}]$/u

/** A character `\` can escape. */
export function isAsciiPunctuation(code: number): boolean {
  return code < 128 && ASCII_PUNCTUATION[code] === 1
}

/** CommonMark "Unicode punctuation" (P and S categories), for emphasis flanking rules. */
export function isPunctuation(codePoint: number): boolean {
  if (codePoint < 128) return ASCII_PUNCTUATION[codePoint] === 1
  // Lone surrogates are neither; treat them like letters.
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return false
  return UNICODE_PUNCTUATION.test(String.fromCodePoint(codePoint))
}

/** CommonMark "Unicode whitespace": the Zs category plus tab, line feed, form feed, return. */
export function isUnicodeWhitespace(codePoint: number): boolean {
  return (
    codePoint === SPACE ||
    (codePoint >= TAB && codePoint <= CR) ||
    codePoint === 0xa0 ||
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  )
}

/** Space or tab: the only whitespace that counts for block indentation. */
export function isSpaceOrTab(code: number): boolean {
  return code === SPACE || code === TAB
}

export function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
}

export function isAsciiDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

export function isAsciiAlphanumeric(code: number): boolean {
  return isAsciiLetter(code) || isAsciiDigit(code)
}
