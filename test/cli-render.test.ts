import { describe, expect, it } from 'vitest'

import { stripAnsi } from '../packages/chatgpt-kit-cli/src/ansi.js'
import { MarkdownStream, renderMarkdown } from '../packages/chatgpt-kit-cli/src/render-markdown.js'
import { defaultReply } from '../packages/chatgpt-kit/src/testing/index.js'

const SAMPLES = [
  defaultReply('show me some code please'),
  [
    '# Title',
    '',
    'Some **bold**, *italic*, _under_ score, snake_case_name, ~~gone~~, `code` and ``a ` tick``.',
    'A [link](https://example.com) and <https://example.org>, an ![image](x.png), 2 * 3 = 6, a < b.',
    '',
    '## Steps',
    '',
    '1. first',
    '2) second with **bold',
    '10. tenth',
    '',
    '- bullet',
    '  - nested *item*',
    '    - deeper',
    '- [ ] todo',
    '- [x] done',
    '* star',
    '+ plus',
    '',
    '> a quote with `code`',
    '>',
    '',
    '---',
    '***',
    '___',
    '',
    '| a | b |',
    '| --- | :-: |',
    '| **x** | y |',
    '',
    '```python',
    'def f(x):',
    '    return x * 2  # **not bold**',
    '``',
    '```',
    '',
    '~~~',
    'tilde fence',
    '~~~',
    '',
    'Setext',
    '======',
    '',
    'escaped \\*stars\\* and a trailing \\',
    '***bold italic*** and ****four****',
    'Ünïcödé — café ☕ 🚀 日本語',
    'line with \x1b[31mescape\x1b[0m codes',
    '#notaheading',
    '#######  seven',
    '   ## indented heading',
    '    code-ish indented',
    'ends without newline **open'
  ].join('\n'),
  '```\nunterminated code\n',
  '*',
  '-',
  '1.',
  '##',
  '``` js\n``\n`````\n```',
  'a\r\nb\r\n',
  // tables: aligned, wide characters, one that ends the text, a pipe line that is no table
  '| 名前 | **n** |\n|:-:|--:|\n| 🚀 | `1` |\n| x \\| y | 22 |\ntext\n| a |\n| b |\n|---|\n| c |',
  '| a | b |\n| - | - |\n| 1 |\n\n| lone |\n',
  // inline markup the tokenizer decides late: brackets that take emphasis, runs that flank by
  // what follows, entities and tags cut off, styled quotes and headings
  '*a [b* c](u) ***x** y* `a``b` <http://x> <b>t</b> &amp &copy; [ref][1] ![alt *e*](i.png "t") a\\\\',
  '> quoted *em* and `code` then **bold `in` it**\n## head `code` and [link](http://h)\n- **a** *b',
  // block structure read as the library reads it: closing heading sequences
  '# T ##\n## C# ##  \n### a # b #\n#### \\#\n# ##\n##### x#\n## y ## z',
  // rules with spaces between their marks, and bullets that only start like one
  '- - -\n* * *\n_ _ _\n-\t-\t-\n- -\n* * x\n- - - x\n---\n+ + +',
  // quotes in quotes, markers spaced out, and content that only starts with spaces
  '> one\n> > two\n>> three\n>  > four\n>     > code-ish\n>\n> >\n>   five *em*\n> \t> six',
  // link definitions, lines that only start like one, and one that continues a paragraph
  'Text\n\n[a]: https://x.com\n[b]: <y> "t"\n[c]:\n[d] x\n[e](u) f\n[]: u\n[[x]]: u\n[f]: u "open\npara\n[g]: u\n\n[h]: u',
  // indented code after a blank line or a heading, with tabs; indented lines in lists and paragraphs
  'Text:\n\n    # not a heading\n      deeper\n\n\tmore\nAfter\n- item\n\n    continued\n\n10.  x\n\n    code\n# H\n  \tcode\npara\n    not code',
  // fences in quotes: closed in the quote, ended by the quote ending, nested, and quoted lines
  // that only start like one
  '> ```js\n> **x**\n>\n>  ```\n> after\n> > ~~~\n> > a\n> b\n> ```\n> code\nout\n> `` x\n> ``` a`\n>\tz',
  '> ```\n\n> x',
  // a marker of a quoted fence's line that comes after spaces
  '> > ```\n>  > a\n>   >  b\n> > ```\nb',
  '__a_b__ _c_d_ x**y**z **a *b** c* [a](<b c>) [x](y\\)z) \\*e\\* ~~s *t*~~ ~~u~ &#x41;&#0;'
]

/** Deterministic pseudo-random cuts, so a failure can be reproduced. */
function* cuts(text: string, seed: number): Generator<number> {
  let state = seed
  let at = 0
  while (at < text.length) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    at += 1 + (state % 7)
    yield Math.min(at, text.length)
  }
}

/**
 * What a terminal shows: each character with the attributes in force (bold, dim, italic,
 * underline, strike, colour), so that outputs that differ only in how they switch styles compare
 * equal.
 */
function screen(output: string): string {
  const state = { bold: false, dim: false, italic: false, underline: false, strike: false, fg: 39 }
  let result = ''
  let lastKey = ''
  for (const part of output.split(/(\x1b\[[0-9;]*m)/)) {
    const sgr = /^\x1b\[([0-9;]*)m$/.exec(part)
    if (sgr) {
      for (const code of sgr[1].split(';').map(Number)) {
        if (code === 0) Object.assign(state, { bold: false, dim: false, italic: false, underline: false, strike: false, fg: 39 })
        else if (code === 1) state.bold = true
        else if (code === 2) state.dim = true
        else if (code === 22) state.bold = state.dim = false
        else if (code === 3 || code === 23) state.italic = code === 3
        else if (code === 4 || code === 24) state.underline = code === 4
        else if (code === 9 || code === 29) state.strike = code === 9
        else if ((code >= 30 && code <= 37) || code === 39) state.fg = code
      }
      continue
    }
    for (const char of part) {
      const key = char === '\n' ? '' : `${+state.bold}${+state.dim}${+state.italic}${+state.underline}${+state.strike}${state.fg}`
      if (key !== lastKey) result += `{${key}}`
      lastKey = key
      result += char
    }
  }
  return result
}

function streamed(text: string, color: boolean, positions: Iterable<number>): string {
  const stream = new MarkdownStream({ color })
  let out = ''
  for (const at of positions) out += stream.write(text.slice(0, at))
  return out + stream.end()
}

describe('terminal markdown', () => {
  for (const color of [true, false]) {
    it(`streams exactly what rendering the whole text gives (${color ? 'colour' : 'no colour'})`, () => {
      for (const sample of SAMPLES) {
        const whole = screen(renderMarkdown(sample, { color }))
        // every single character, then random cuts
        const everyChar = Array.from({ length: sample.length }, (_, i) => i + 1)
        expect(screen(streamed(sample, color, everyChar))).toBe(whole)
        for (let seed = 1; seed <= 20; seed++) {
          expect(screen(streamed(sample, color, cuts(sample, seed)))).toBe(whole)
        }
      }
    })
  }

  it('streams exactly what rendering the whole text gives, on random inline-heavy lines', () => {
    // Markup the tokenizer decides late, cut everywhere: brackets that take emphasis, runs whose
    // flanking the next character decides, code spans, entities, tags and autolinks cut off.
    const pieces = ['a', 'b ', ' ', '*', '**', '_', '~~', '`', '``', '[', ']', '](u)', '(', ')', '!', '<', '>', 'http://x', '&amp;', '&', '\\', 'c_d', '\n', '> ', '# ']
    let state = 7
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let round = 0; round < 150; round++) {
      // Every fifth text is one long line: its settled start is then no longer re-read.
      const long = round % 5 === 0
      const choices = long ? pieces.filter((piece) => piece !== '\n') : pieces
      let text = ''
      const length = 1 + Math.floor(random() * (long ? 200 : 24))
      for (let k = 0; k < length; k++) text += choices[Math.floor(random() * choices.length)]
      const whole = screen(renderMarkdown(text, { color: true }))
      const everyChar = Array.from({ length: text.length }, (_, i) => i + 1)
      expect(screen(streamed(text, true, everyChar)), JSON.stringify(text)).toBe(whole)
    }
  })

  it('streams exactly what rendering the whole text gives, on random block-heavy texts', () => {
    // Line starts the renderer decides late: quote markers (nested, spaced), fences in and out of
    // quotes, indentation (code after a blank line, list content), rules with spaces, heading
    // closing runs, link definitions and what only starts like one.
    const pieces = ['\n', '\n\n', '>', '> ', ' ', '    ', '\t', '```', '~~~', '- ', '-', '* ', '_', '#', '# ', ' ##', '[a]: u', '[a', ']', ':', ' "t"', '"', '(t)', '1. ', '|', 'x', 'y z', '*e*', '`']
    let state = 11
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let round = 0; round < 300; round++) {
      let text = ''
      const length = 1 + Math.floor(random() * 30)
      for (let k = 0; k < length; k++) text += pieces[Math.floor(random() * pieces.length)]
      for (const color of [true, false]) {
        const whole = screen(renderMarkdown(text, { color }))
        const everyChar = Array.from({ length: text.length }, (_, i) => i + 1)
        expect(screen(streamed(text, color, everyChar)), JSON.stringify(text)).toBe(whole)
      }
    }
  })

  it('renders headings, emphasis, lists, quotes, rules and code blocks readably', () => {
    const out = renderMarkdown(SAMPLES[1], { color: true, width: 20 })
    const lines = out.split('\n')
    const plain = stripAnsi(out).split('\n')
    expect(plain[0]).toBe('Title')
    expect(lines[0]).toContain('\x1b[1m')
    expect(plain[2]).toBe('Some bold, italic, under score, snake_case_name, gone, code and a ` tick.')
    expect(plain[3]).toBe('A link (https://example.com) and https://example.org, an [image: image], 2 * 3 = 6, a < b.')
    expect(plain).toContain('1. first')
    expect(plain).toContain('2) second with **bold')
    expect(plain).toContain('• bullet')
    expect(plain).toContain('  ◦ nested item')
    expect(plain).toContain('    ▪ deeper')
    expect(plain).toContain('• ☐ todo')
    expect(plain).toContain('• ☑ done')
    expect(plain).toContain('│ a quote with code')
    expect(plain).toContain('─'.repeat(20))
    expect(plain).toContain('┌─ python')
    expect(plain).toContain('│     return x * 2  # **not bold**')
    expect(plain).toContain('│ ``')
    expect(plain).toContain('└─')
    expect(plain).toContain('escaped *stars* and a trailing \\')
    expect(plain).toContain('line with [31mescape[0m codes')
    expect(plain).toContain('#notaheading')
    expect(plain.at(-1)).toBe('ends without newline **open')
    // one output line per source line
    expect(lines).toHaveLength(SAMPLES[1].split('\n').length)
  })

  it('without colour keeps inline markup as written and only sets blocks apart', () => {
    const out = renderMarkdown('# Title\n\n**bold** `x`\n\n- item\n\n```js\nlet a\n```', { color: false })
    expect(out).not.toContain('\x1b')
    expect(out).toBe('# Title\n\n**bold** `x`\n\n• item\n\n┌─ js\n│ let a\n└─')
  })

  it('reads a long line about once while it streams, not once per update', () => {
    const words: string[] = []
    let size = 0
    for (let i = 0; size < 189_000; i++) {
      const word = `${String.fromCharCode(97 + (i % 26))}_word_${i % 13}`
      const styled = i % 7 === 3 ? `**${word}**` : i % 7 === 6 ? `\`${word}\`` : word
      words.push(styled)
      size += styled.length + 1
    }
    const line = words.join(' ')
    for (const color of [true, false]) {
      const stream = new MarkdownStream({ color })
      let out = ''
      for (let at = 5; at < line.length; at += 5) out += stream.write(line.slice(0, at))
      out += stream.write(line) + stream.end()
      expect(out).toBe(renderMarkdown(line, { color }))
      // Sanitizing or scanning the whole line on every update reads ~line²/10 = 3.6·10⁹ characters.
      expect(stream.charactersScanned).toBeLessThanOrEqual(20 * line.length)
    }
  })
})

describe('terminal blocks read as markdownToText reads them', () => {
  it("drops an ATX heading's closing `#` run, but not a `#` that ends a word", () => {
    const shown = (text: string) => stripAnsi(renderMarkdown(text, { color: true }))
    expect(shown('## Sub ##')).toBe('Sub')
    expect(shown('# T #   ')).toBe('T')
    expect(shown('# C#')).toBe('C#')
    expect(shown('# C# #')).toBe('C#')
    expect(shown('# a ## b')).toBe('a ## b')
    expect(shown('# ##')).toBe('')
    // Without colour the heading stays as written.
    expect(renderMarkdown('## Sub ##', { color: false })).toBe('## Sub ##')
  })

  it('reads `- - -`, `* * *` and `_ _ _` as rules, not bullets', () => {
    for (const rule of ['- - -', '* * *', '_ _ _', '-  -\t- -', '***', '___']) {
      expect(renderMarkdown(rule, { color: false, width: 10 })).toBe('─'.repeat(10))
    }
    // Two marks, or anything else on the line: a bullet.
    expect(renderMarkdown('- -\n* * x\n+ + +', { color: false })).toBe('• -\n• * x\n• + +')
  })

  it('reads every `>` of a line: a quote in a quote gets a bar for each', () => {
    expect(renderMarkdown('> one\n> > two\n>>three\n>  > four\n>\n> >', { color: false })).toBe(
      '│ one\n│ │ two\n│ │ three\n│ │ four\n│ \n│ │ '
    )
    // A `>` after four spaces is content, not a marker.
    expect(renderMarkdown('>     > x', { color: false })).toBe('│     > x')
  })

  it('prints nothing for a link definition, not even its line, unless it continues a paragraph', () => {
    expect(renderMarkdown('Text\n\n[a]: https://x.com\n[b]: <y> "t"\nafter', { color: false })).toBe('Text\n\nafter')
    expect(renderMarkdown('# H\n[a]: /u', { color: false })).toBe('# H\n')
    // After paragraph text it is text; so is what only starts like a definition.
    expect(renderMarkdown('para\n[a]: /u', { color: false })).toBe('para\n[a]: /u')
    expect(renderMarkdown('[a] x\n\n[]: /u\n\n[a]: /u "open', { color: false })).toBe('[a] x\n\n[]: /u\n\n[a]: /u "open')
  })

  it("prints nothing for a definition's title on the line after it, and only there", () => {
    expect(renderMarkdown('[a]: /u\n  "t"  \nx', { color: false })).toBe('x')
    // One title only: a second is text.
    expect(renderMarkdown('[a]: /u\n"t"\n(t)', { color: false })).toBe('(t)')
    expect(renderMarkdown('[a]: /u\n("t")\nx', { color: false })).toBe('x')
    expect(renderMarkdown('[a]: /u\n\n"t"', { color: false })).toBe('\n"t"')
    expect(renderMarkdown('[a]: /u "s"\n"t"', { color: false })).toBe('"t"')
    expect(renderMarkdown('[a]: /u\n"t" y', { color: false })).toBe('"t" y')
  })

  it('reads lines four columns in as code after a blank line, but not in a paragraph or a list item', () => {
    expect(renderMarkdown('Text:\n\n    # not a heading\n      deeper\n\n\tmore\nAfter', { color: false })).toBe(
      'Text:\n\n│ # not a heading\n│   deeper\n\n│ more\nAfter'
    )
    expect(renderMarkdown('# H\n    code', { color: false })).toBe('# H\n│ code')
    expect(renderMarkdown('para\n    not code', { color: false })).toBe('para\n    not code')
    expect(renderMarkdown('- item\n\n    continued', { color: false })).toBe('• item\n\n    continued')
    // A line left of the item's content ends the list; then indented lines are code again.
    expect(renderMarkdown('- a\n\nb\n\n    code', { color: false })).toBe('• a\n\nb\n\n│ code')
  })

  it('opens code fences inside quotes; the quote ending ends the block', () => {
    expect(renderMarkdown('> ```js\n> **x**\n> ```\n> after', { color: false })).toBe('│ ┌─ js\n│ │ **x**\n│ └─\n│ after')
    expect(renderMarkdown('> ```\n> code\nout', { color: false })).toBe('│ ┌─\n│ │ code\nout')
    expect(renderMarkdown('> > ~~~\n> > a\n> b', { color: false })).toBe('│ │ ┌─\n│ │ │ a\n│ b')
    expect(renderMarkdown('> > ```\n>  > a\n> > ```', { color: false })).toBe('│ │ ┌─\n│ │ │ a\n│ │ └─')
    // Inside a fence that is not in a quote, `>` is code.
    expect(renderMarkdown('```\n> x\n```', { color: false })).toBe('┌─\n│ > x\n└─')
  })
})

describe('terminal tables', () => {
  const TABLE = '| Name | Qty | Note |\n| --- | :-: | --: |\n| **apple** | 3 | red |\n| kiwi fruit | 12 | x |\n'

  it('renders a table as aligned columns: header bold, a rule under it, cells padded', () => {
    const out = renderMarkdown(`${TABLE}\nafter`, { color: false })
    expect(out).toBe(
      [
        'Name       │ Qty │ Note',
        '───────────┼─────┼─────',
        '**apple**  │  3  │  red',
        'kiwi fruit │ 12  │    x',
        '',
        'after'
      ].join('\n')
    )
    const colored = renderMarkdown(TABLE, { color: true })
    expect(colored.split('\n')[0]).toContain('\x1b[1m')
    expect(stripAnsi(colored).split('\n')[2]).toBe('apple      │  3  │  red')
  })

  it('measures cells in display columns: wide characters take two, styles none', () => {
    const out = stripAnsi(renderMarkdown('| a | b |\n| - | - |\n| 日本語 | 🚀 |\n| `x` | **y** |\n', { color: true }))
    expect(out.split('\n')).toEqual(['a      │ b', '───────┼───', '日本語 │ 🚀', 'x      │ y', ''])
  })

  it('prints a table that ends the reply, with or without a final newline', () => {
    expect(renderMarkdown('text\n| a | b |\n|---|---|\n| cc | d |', { color: false })).toBe(
      'text\na  │ b\n───┼──\ncc │ d'
    )
    expect(renderMarkdown('| a |\n|---|\n', { color: false })).toBe('a\n─\n')
  })

  it('prints a line of pipes without a delimiter row as written', () => {
    expect(renderMarkdown('| a | b |\nnext\n| c |', { color: false })).toBe('| a | b |\nnext\n| c |')
  })

  it('prints every cell of a table too big to hold, keeping one line per source line', () => {
    const rows = Array.from({ length: 500 }, (_, i) => `| row ${i} | ${'v'.repeat(i % 50)} |`)
    const text = ['| k | v |', '|---|---|', ...rows, 'after'].join('\n')
    const out = renderMarkdown(text, { color: false })
    const lines = out.split('\n')
    expect(lines).toHaveLength(text.split('\n').length)
    for (let i = 0; i < 500; i++) expect(lines[i + 2]).toMatch(new RegExp(`^row ${i} +│ ?${'v'.repeat(i % 50)}$`))
    expect(lines.at(-1)).toBe('after')
    // streamed a few characters at a time, it prints the same
    const stream = new MarkdownStream({ color: false })
    let streamedOut = ''
    for (let at = 3; at < text.length; at += 3) streamedOut += stream.write(text.slice(0, at))
    expect(streamedOut + stream.write(text) + stream.end()).toBe(out)
  })
})
