/**
 * Replies that show off markdown, for demos and for testing renderers offline: the default reply
 * answers a prompt starting with `showcase` with them (see {@link showcaseReply}).
 */

/** The parts a showcase reply can hold, in the order a full showcase shows them. */
export const SHOWCASE_TOPICS = ['headings', 'lists', 'table', 'code', 'links', 'quote', 'paragraph'] as const

/** One of {@link SHOWCASE_TOPICS}. */
export type ShowcaseTopic = (typeof SHOWCASE_TOPICS)[number]

const SECTIONS: Record<ShowcaseTopic, string> = {
  headings: [
    '# Showcase',
    '',
    'Every part of this reply is fixed text, so it looks the same each time: **bold**, *italic*, ' +
      '***both***, `inline code`, ~~struck through~~, and a non-ASCII word: café ☕.',
    '',
    '## A second-level heading',
    '',
    '### A third-level heading',
    '',
    'Text under a heading, then a rule:',
    '',
    '---'
  ].join('\n'),
  lists: [
    '## Lists',
    '',
    '- A bullet',
    '  - a nested bullet',
    '    - nested once more, with `code`',
    '- Another bullet with **bold** text',
    '',
    '1. First step',
    '2. Second step',
    '   1. a nested numbered step',
    '   2. and another one',
    '3. Third step',
    '',
    '- [x] a finished task',
    '- [ ] an open task'
  ].join('\n'),
  table: [
    '## A table',
    '',
    '| Language | Typing | First release | Notes |',
    '| :--- | :---: | ---: | --- |',
    '| TypeScript | static | 2012 | JavaScript with types |',
    '| Python | dynamic | 1991 | batteries included |',
    '| Rust | static | 2015 | no garbage collector, *fearless* concurrency |',
    '| Go | static | 2009 | `gofmt` settles the style |',
    '| 日本語 | — | 🚀 | wide characters and emoji |'
  ].join('\n'),
  code: ['## A long code block', '', '```ts', ...codeLines(), '```'].join('\n'),
  links: [
    '## Links',
    '',
    'An inline [link to the Node.js docs](https://nodejs.org/api/), an autolink ' +
      '<https://example.com/a/rather/long/path/to/a/page?with=query&and=more>, and a ' +
      '[reference link][spec].',
    '',
    '[spec]: https://spec.commonmark.org/0.31.2/'
  ].join('\n'),
  quote: [
    '## A quote',
    '',
    '> A blockquote over two lines,',
    '> with **bold** inside.',
    '>',
    '> > And a quote within the quote.'
  ].join('\n'),
  paragraph: ['## A very long paragraph', '', longParagraph()].join('\n')
}

/**
 * A deterministic markdown reply showing the given parts (all of them by default): headings and
 * emphasis, nested lists and task items, a table with aligned columns, a long code block, links,
 * a nested quote, and a paragraph long enough to wrap many times. Each part holds non-ASCII text.
 *
 * The default reply of the test backend answers any prompt that starts with `showcase` with it:
 * `showcase` alone shows everything, `showcase table code` (or `showcase: table, code`) only those
 * parts, and an unknown part gets a reply listing the parts there are.
 *
 * @param topics - Which parts, in any order (they are shown in {@link SHOWCASE_TOPICS}' order).
 * @returns The markdown text.
 *
 * @example
 * ```ts
 * const backend = await createTestBackend({ reply: () => showcaseReply(['table']) })
 * ```
 */
export function showcaseReply(topics: readonly ShowcaseTopic[] = SHOWCASE_TOPICS): string {
  return SHOWCASE_TOPICS.filter((topic) => topics.includes(topic))
    .map((topic) => SECTIONS[topic])
    .join('\n\n')
}

/**
 * The showcase reply a prompt asks for, or `undefined` when the prompt does not start with the
 * word `showcase`.
 */
export function showcaseFor(prompt: string): string | undefined {
  const match = /^\s*showcase\b:?([\s\S]*)$/i.exec(prompt)
  if (!match) return undefined
  const words = match[1]!.toLowerCase().split(/[\s,]+/).filter(Boolean)
  const unknown = words.filter((word) => !(SHOWCASE_TOPICS as readonly string[]).includes(word))
  if (unknown.length > 0) {
    return (
      `There is no showcase of **${unknown.join(', ')}**. Ask for \`showcase\` to see every part, ` +
      `or for some of them: ${SHOWCASE_TOPICS.map((topic) => `\`${topic}\``).join(', ')}.`
    )
  }
  return showcaseReply(words.length === 0 ? SHOWCASE_TOPICS : (words as ShowcaseTopic[]))
}

function codeLines(): string[] {
  return [
    "import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'",
    '',
    '/** Counts the words of each request body and answers with the count, as JSON. */',
    'type Tally = { words: number; lines: number; longest: string }',
    '',
    'function tally(text: string): Tally {',
    '  const lines = text.split(/\\r?\\n/)',
    '  let words = 0',
    "  let longest = ''",
    '  for (const line of lines) {',
    '    for (const word of line.split(/\\s+/).filter(Boolean)) {',
    '      words++',
    '      if (word.length > longest.length) longest = word',
    '    }',
    '  }',
    '  return { words, lines: lines.length, longest }',
    '}',
    '',
    'async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {',
    '  const chunks: Buffer[] = []',
    '  let size = 0',
    '  for await (const chunk of req) {',
    '    size += (chunk as Buffer).length',
    "    if (size > limit) throw new RangeError('body too large')",
    '    chunks.push(chunk as Buffer)',
    '  }',
    "  return Buffer.concat(chunks).toString('utf8')",
    '}',
    '',
    'function answer(res: ServerResponse, status: number, body: unknown): void {',
    "  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-served-by': 'the-showcase' })",
    '  res.end(JSON.stringify(body))',
    '}',
    '',
    'const server = createServer(async (req, res) => {',
    '  try {',
    '    answer(res, 200, tally(await readBody(req)))',
    '  } catch (error) {',
    "    answer(res, 413, { error: error instanceof Error ? error.message : 'failed' })",
    '  }',
    '})',
    '',
    "server.listen(8080, '127.0.0.1', () => console.log('listening on http://127.0.0.1:8080 — café ☕'))"
  ]
}

function longParagraph(): string {
  const sentences = [
    'This paragraph is long on purpose: a terminal has to wrap it, and a renderer has to keep every word whole while it does.',
    'It mixes **bold words**, *italic ones*, `inline code`, and a [link](https://example.com/docs) into the flow, so that styles have to survive the line breaks.',
    'It carries accents (Voilà, déjà vu, naïve façade), a dash — like this one — and wide characters such as 日本語のテキスト and emoji 🚀✨, which take two columns each.',
    'A very long word follows, which no line can hold whole on a narrow terminal: Pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some-more-characters.',
    'Then the paragraph simply goes on for a while, sentence after sentence, saying nothing in particular, the way a patient explanation sometimes does when it wants to be thorough.',
    'Finally it ends, with a last sentence that is a little shorter than the others.'
  ]
  return sentences.join(' ')
}
