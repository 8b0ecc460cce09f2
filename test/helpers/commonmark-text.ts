/**
 * What a reader sees of a CommonMark example's reference HTML, as plain text: tags stripped
 * (images become their alt text, ordered list items get the number a browser shows), entities
 * decoded, whitespace normalised. Plain text converted from the example's markdown must read the
 * same (after {@link normalizeWhitespace}).
 */

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' }

/** Decodes the entities cmark writes (`&lt;` `&gt;` `&amp;` `&quot;`, numeric ones). */
export function decodeEntities(html: string): string {
  return html.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10)
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd'
    }
    return NAMED[name] ?? whole
  })
}

/** Collapses every run of whitespace to one space, and trims. */
export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** The reference HTML as a reader sees it, normalised. */
export function visibleText(html: string): string {
  const lists: { ordered: boolean; next: number }[] = []
  // Comments, processing instructions, declarations and CDATA are not shown by a browser.
  const shown = html.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<![A-Za-z][^>]*>|<!\[CDATA\[[\s\S]*?\]\]>/g, ' ')
  const text = shown.replace(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g, (_, closing: string, tag: string, attributes: string) => {
    const name = tag.toLowerCase()
    if (name === 'img') {
      const alt = /\balt="([^"]*)"/.exec(attributes)
      return alt ? ` ${alt[1]} ` : ' '
    }
    if (name === 'ol' || name === 'ul') {
      if (closing) lists.pop()
      else {
        const start = /\bstart="(\d+)"/.exec(attributes)
        lists.push({ ordered: name === 'ol', next: start ? Number(start[1]) : 1 })
      }
      return ' '
    }
    if (name === 'li' && !closing) {
      const list = lists.at(-1)
      if (list?.ordered) return ` ${list.next++}. `
      return ' '
    }
    // Inline elements join their text to the next; blocks (and `<br />`) separate.
    return /^(a|em|strong|code|span|del|s)$/.test(name) ? '' : ' '
  })
  return normalizeWhitespace(decodeEntities(text))
}
