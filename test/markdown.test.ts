import { describe, expect, it } from 'vitest'
import { IncrementalMarkdownToText, markdownToText } from '../packages/chatgpt-kit/src/markdown.js'
import { MARKDOWN_CASES } from './helpers/markdown-cases.js'
import { mulberry32 as prng } from './helpers/prng.js'


/** Cumulative prefixes of `text`, cut every `min`–`max` characters. */
function prefixes(text: string, random: () => number, min: number, max: number): string[] {
  const result: string[] = []
  let at = 0
  while (at < text.length) {
    at = Math.min(text.length, at + min + Math.floor(random() * (max - min + 1)))
    result.push(text.slice(0, at))
  }
  return result
}

const FENCE_LINE = /^[ \t>]*(```|~~~)/m

const REPLIES: Record<string, string> = {
  code: [
    'Sure! Here is how to **read a file** in Python:',
    '',
    '```python',
    '# read the whole file',
    'with open("data.txt") as f:',
    '    text = f.read()  # **not** bold',
    '',
    '',
    'print(text)',
    '```',
    '',
    'And in JavaScript:',
    '~~~js title="read.js"',
    "const text = fs.readFileSync('data.txt', 'utf8')",
    '* not a list item',
    '~~~',
    'That is all — `open()` closes the file for you.'
  ].join('\n'),
  structure: [
    '## Steps to deploy',
    '',
    '1. **Build** the app:',
    '   ```bash',
    '   npm run build',
    '   ```',
    '2. Upload the `build/` folder.',
    '   - Use _rsync_ or [scp](https://man.openbsd.org/scp "manual").',
    '   - Check the snake_case_names.',
    '3. Restart the service.',
    '',
    '---',
    '',
    '> **Note:** 2 * 3 = 6, and a\\*b is literal.',
    '> Second quoted line.',
    '',
    'Summary',
    '=======',
    'Done.'
  ].join('\n'),
  table: [
    'Here is a comparison:',
    '',
    '| Language | Typing | Speed |',
    '|----------|:------:|------:|',
    '| **Rust** | static | fast |',
    '| Python | dynamic | `slow` |',
    '| Go | static | fast \\| ok |',
    '',
    'Sources: <https://example.com/langs> and [the book][1].',
    '',
    '[1]: https://example.com/book "Book"',
    '',
    '![chart of speeds](chart.png)',
    '',
    'Line one<br>line two &amp; more &#x2764;.'
  ].join('\r\n'),
  prose: [
    'A long paragraph on one line, as the model writes them: a [link](https://x.com/a_(b) "t") and a ' +
      'bare [bracket], an autolink <https://example.com/x> and a < b > c, AT&T &amp; &copy; and &unknown; ' +
      "it's a *quoted* \"title\", 2 * 3 = 6, snake_case_words, `code with * and _` and **bold _mixed_ ** " +
      'text, ~~struck~~ or ~about, an ![image](i.png) and a ref [one][1], <b>html</b> tags<br>broken, ' +
      'escaped \\*stars\\* and a trailing backslash\\',
    '- item one: plain words for a while, then **bold**, then plain words again until the end',
    '12 items cost 3.50 — not a list; 1. this one is',
    'a | b: a table header, once the next line arrives',
    '|---|---|'
  ].join('\n'),
  unterminated: [
    'Start of an answer with ~~struck~~ text.',
    '',
    '    indented code line',
    '    second line',
    '',
    '```ts',
    'const answer: number = 42',
    'function f() { return `template` }'
  ].join('\n')
}

describe('markdownToText', () => {
  for (const [name, input, expected] of MARKDOWN_CASES) {
    it(name, () => expect(markdownToText(input)).toBe(expected))
  }

  it('reads undefined as empty', () => {
    expect(markdownToText()).toBe('')
    expect(markdownToText(undefined)).toBe('')
  })

  it('converts realistic replies', () => {
    expect(markdownToText(REPLIES.code)).toBe(
      [
        'Sure! Here is how to read a file in Python:',
        '',
        '# read the whole file',
        'with open("data.txt") as f:',
        '    text = f.read()  # **not** bold',
        '',
        '',
        'print(text)',
        '',
        'And in JavaScript:',
        '',
        "const text = fs.readFileSync('data.txt', 'utf8')",
        '* not a list item',
        '',
        'That is all — open() closes the file for you.'
      ].join('\n')
    )
    expect(markdownToText(REPLIES.structure)).toBe(
      [
        'Steps to deploy',
        '',
        '1. Build the app:',
        '',
        'npm run build',
        '',
        '2. Upload the build/ folder.',
        'Use rsync or scp.',
        'Check the snake_case_names.',
        '3. Restart the service.',
        '',
        'Note: 2 * 3 = 6, and a*b is literal.',
        'Second quoted line.',
        '',
        'Summary',
        '',
        'Done.'
      ].join('\n')
    )
    expect(markdownToText(REPLIES.table)).toBe(
      [
        'Here is a comparison:',
        '',
        'Language\tTyping\tSpeed',
        'Rust\tstatic\tfast',
        'Python\tdynamic\tslow',
        'Go\tstatic\tfast | ok',
        '',
        'Sources: https://example.com/langs and the book.',
        '',
        'chart of speeds',
        '',
        'Line one\nline two & more ❤.'
      ].join('\n')
    )
  })

  it('stays fast and sane on hostile single lines', () => {
    // No timing here: a quadratic path would take minutes on these and hit the test timeout.
    const mb = 1 << 20
    const inputs = [
      'a'.repeat(mb),
      '*a_'.repeat(mb / 3),
      '**a '.repeat(mb / 4),
      '['.repeat(mb),
      '[a]('.repeat(mb / 4),
      '[a](b('.repeat(mb / 6) + ')',
      '`` ` '.repeat(mb / 5),
      '`'.repeat(mb),
      '<a b="'.repeat(mb / 6),
      '<!--'.repeat(mb / 4),
      '<a:'.repeat(mb / 3),
      '\\'.repeat(mb),
      '|'.repeat(mb),
      '#'.repeat(mb)
    ]
    for (const input of inputs) {
      const text = markdownToText(input)
      expect(text.length).toBeLessThanOrEqual(input.length)
    }
    expect(markdownToText('`` ` '.repeat(1000))).toContain('`')
    expect(markdownToText(`${'['.repeat(1000)}a](b)`)).toBe(`${'['.repeat(999)}a`)
  })
})

describe('IncrementalMarkdownToText', () => {
  it('equals markdownToText on every prefix, streamed 1–3 characters at a time', () => {
    const random = prng(42)
    for (const [name, reply] of Object.entries(REPLIES)) {
      const converter = new IncrementalMarkdownToText()
      for (const prefix of prefixes(reply, random, 1, 3)) {
        const streamed = converter.update(prefix)
        expect(streamed, `${name} at ${prefix.length}`).toBe(markdownToText(prefix))
        expect(streamed, `${name} at ${prefix.length}`).not.toMatch(FENCE_LINE)
      }
      expect(converter.text).toBe(markdownToText(reply))
    }
  })

  it('equals markdownToText at random split points', () => {
    const random = prng(7)
    for (let round = 0; round < 20; round++) {
      for (const reply of Object.values(REPLIES)) {
        const converter = new IncrementalMarkdownToText()
        let last = ''
        for (const prefix of prefixes(reply, random, 1, 40)) last = converter.update(prefix)
        expect(last).toBe(markdownToText(reply))
      }
    }
  })

  it('shows code of an unterminated fence, never the fence', () => {
    const converter = new IncrementalMarkdownToText()
    expect(converter.update('Try:\n``')).toBe('Try:')
    expect(converter.update('Try:\n```py')).toBe('Try:')
    expect(converter.update('Try:\n```python\nprint("**hi**")')).toBe('Try:\n\nprint("**hi**")')
    expect(converter.update('Try:\n```python\nprint("**hi**")\n`')).toBe('Try:\n\nprint("**hi**")')
    expect(converter.update('Try:\n```python\nprint("**hi**")\n```')).toBe('Try:\n\nprint("**hi**")')
    expect(converter.update('Try:\n```python\nprint("**hi**")\n```\nok')).toBe('Try:\n\nprint("**hi**")\n\nok')
    // A longer fence is not shown closing either.
    const four = new IncrementalMarkdownToText()
    expect(four.update('````md\n```\nx')).toBe('```\nx')
    expect(four.update('````md\n```\nx\n```')).toBe('```\nx')
    expect(four.update('````md\n```\nx\n```\n```')).toBe('```\nx\n```')
    expect(four.update('````md\n```\nx\n```\n````')).toBe('```\nx\n```')
  })

  it('shows an unfinished line as it stands', () => {
    const converter = new IncrementalMarkdownToText()
    expect(converter.update('Some **bol')).toBe('Some **bol')
    expect(converter.update('Some **bold**')).toBe('Some bold')
    // A table header shows as text until its delimiter row arrives.
    expect(converter.update('Some **bold**\n| a | b |')).toBe('Some bold\n| a | b |')
    expect(converter.update('Some **bold**\n| a | b |\n|--')).toBe('Some bold\n| a | b |\n|--')
    expect(converter.update('Some **bold**\n| a | b |\n|--|--|')).toBe('Some bold\na\tb')
  })

  it('starts over when the text does not extend the previous one', () => {
    const converter = new IncrementalMarkdownToText()
    converter.update('# Hello\n\n**world** and more\nsecond line')
    expect(converter.update('Different\nreply')).toBe('Different\nreply')
    // Same length as before, changed in the last finished line.
    converter.update('first line\nsecond line\nthird')
    expect(converter.update('first line\nsecond LINE\nthird')).toBe('first line\nsecond LINE\nthird')
    // Changed inside an open fence: state from the old text must not leak.
    converter.update('```\ncode\nmore')
    expect(converter.update('plain\ntext\nmore')).toBe('plain\ntext\nmore')
    expect(converter.update('')).toBe('')
    expect(converter.update('**x**')).toBe('x')
  })

  it('reset() forgets the previous text', () => {
    const converter = new IncrementalMarkdownToText()
    converter.update('```\nabc\n')
    converter.reset()
    expect(converter.text).toBe('')
    expect(converter.update('**abc**\n')).toBe('abc')
  })

  it('equals markdownToText on every prefix of random inline-heavy lines', () => {
    // The converter skips re-reading the unfinished line when plain text is appended to it; this
    // checks that shortcut against a full conversion where markup and plain text interleave.
    const random = prng(2024)
    const tokens = ['*', '**', '_', '__', '~~', '`', '[', ']', '(', ')', '![', '<', '>', '&', ';', '\\', '|',
      'amp', 'http:', '"', "'", ' ', ' ', 'word', 'x', '1', '.', '-', '#', ':', '\n', '> ', '\t']
    for (let round = 0; round < 300; round++) {
      let line = ''
      const length = 1 + Math.floor(random() * 40)
      for (let i = 0; i < length; i++) line += tokens[Math.floor(random() * tokens.length)]
      const converter = new IncrementalMarkdownToText()
      for (const prefix of prefixes(line, random, 1, 4)) {
        expect(converter.update(prefix), JSON.stringify(prefix)).toBe(markdownToText(prefix))
      }
    }
  })

  it('converts each finished line once (cost is linear in the reply)', () => {
    const base = Object.values(REPLIES).join('\n\n')
    let reply = ''
    while (reply.length < 100_000) reply += `${base}\n\n`
    const converter = new IncrementalMarkdownToText()
    let tails = 0
    let longestLine = 0
    let events = 0
    for (const line of reply.split('\n')) longestLine = Math.max(longestLine, line.length + 1)
    for (const prefix of prefixes(reply, prng(1), 3, 3)) {
      converter.update(prefix)
      tails += prefix.length - converter.committedLength
      events++
    }
    expect(converter.committedLength).toBe(reply.lastIndexOf('\n') + 1)
    // Finished lines are read once; on top of that, at most the unfinished line per event.
    expect(converter.charactersScanned).toBeGreaterThanOrEqual(converter.committedLength)
    expect(converter.charactersScanned).toBeLessThanOrEqual(converter.committedLength + tails)
    expect(converter.charactersScanned).toBeLessThanOrEqual(reply.length + events * longestLine)
    expect(converter.text).toBe(markdownToText(reply))
  })

  it('never re-reads a long finished line', () => {
    const long = `${'word **bold** '.repeat(20_000)}\n`
    for (const [added, cost] of [
      // Markup makes the unfinished line be converted again: 1 + 2 + … + 1000 characters…
      ['*', (1000 * 1001) / 2],
      // …plain text is just appended: one character per update.
      ['x', 1000]
    ] as const) {
      const converter = new IncrementalMarkdownToText()
      converter.update(long)
      const afterFirst = converter.charactersScanned
      expect(afterFirst).toBe(long.length)
      let text = long
      for (let i = 0; i < 1000; i++) {
        text += added
        converter.update(text)
      }
      expect(converter.charactersScanned - afterFirst).toBe(cost)
      expect(converter.text).toBe(markdownToText(text))
    }
  })

  it('reads a long unfinished line of prose once', () => {
    const line = "Plain prose, with commas, numbers like 3.14 and apostrophes: it's what most replies are. "
      .repeat(600)
      .trimEnd()
    const converter = new IncrementalMarkdownToText()
    let events = 0
    for (const prefix of prefixes(line, prng(3), 1, 3)) {
      const text = converter.update(prefix)
      if (++events % 97 === 0) expect(text).toBe(markdownToText(prefix))
    }
    expect(converter.charactersScanned).toBe(line.length)
    expect(converter.text).toBe(line)
  })
})

// remark + strip-markdown (what chatgpt@2.1.1 used) is installed as a dependency of the old
// client; compare only where both should agree: prose, emphasis, links and headings.
const remarkModules = await Promise.all([import('remark'), import('strip-markdown')]).catch(() => undefined)

describe.skipIf(remarkModules === undefined)('agrees with remark + strip-markdown', () => {
  const normalize = (text: string) =>
    text
      .replace(/\\([!-/:-@[-`{-~])/g, '$1') // remark-stringify escapes punctuation
      .replace(/\s+/g, ' ')
      .trim()
  const samples = [
    'Hello *world*, this is **bold**, __strong__ and _emphasis_.',
    '# Heading one\n\nSome text with a [link](https://example.com "title").\n\n## Heading two ##\n\nMore.',
    'Setext\n======\n\nParagraph with ***both*** and `code`.',
    'Intraword a*b*c, snake_case_name and 2 * 3 = 6.',
    'An image ![alt text](x.png) and an autolink <https://example.com/path>.',
    'Escapes: \\*not emphasis\\* and \\_not\\_ either; entities &amp; &lt;.',
    'Nested **bold with *italic* inside** and *italic with **bold** inside*.',
    'Unclosed **bold and *italic markers stay.'
  ]
  for (const sample of samples) {
    it(JSON.stringify(sample.slice(0, 40)), () => {
      const [{ remark }, { default: stripMarkdown }] = remarkModules!
      const theirs = String(remark().use(stripMarkdown).processSync(sample))
      expect(normalize(markdownToText(sample))).toBe(normalize(theirs))
    })
  }
})
