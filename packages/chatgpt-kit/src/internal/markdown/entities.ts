/**
 * Character references (`&amp;`, `&#65;`, `&#x41;`): the named ones worth decoding in chat text,
 * and the numeric ones.
 */

/** Named entities worth decoding in chat text; the rest stay literal. */
export const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  times: '×',
  divide: '÷',
  deg: '°',
  plusmn: '±',
  middot: '·',
  bull: '•',
  larr: '←',
  rarr: '→',
  uarr: '↑',
  darr: '↓',
  harr: '↔',
  le: '≤',
  ge: '≥',
  ne: '≠',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶'
}

/**
 * The character a reference names (`amp`, `#65`, `#x41`, without `&` and `;`), or `undefined`
 * when it is not one this decodes. An invalid code point reads as U+FFFD, as in CommonMark.
 */
export function decodeEntity(name: string): string | undefined {
  if (name.charCodeAt(0) !== 35 /* # */) return ENTITIES[name]
  const hex = name[1] === 'x' || name[1] === 'X'
  const code = Number.parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10)
  if (Number.isNaN(code)) return undefined
  return code !== 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd'
}
