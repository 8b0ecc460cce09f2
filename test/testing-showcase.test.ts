/**
 * Showcase replies: a prompt starting with `showcase` gets fixed markdown that holds what a
 * renderer must handle (headings, nested lists, a table, a long code block, links, a long
 * paragraph), whole or in parts.
 */
import { describe, expect, it } from 'vitest'

import { stripAnsi } from '../packages/chatgpt-kit-cli/src/ansi.js'
import { renderMarkdown } from '../packages/chatgpt-kit-cli/src/render-markdown.js'
import { SHOWCASE_TOPICS, defaultReply, showcaseReply } from '../packages/chatgpt-kit/src/testing/index.js'
import { setup } from './helpers/backend.js'

/** The lines of the fenced code blocks of a markdown text. */
function fencedLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)]
  return blocks.flatMap((block) => block[1]!.split('\n').slice(0, -1))
}

describe('showcase replies of the test backend', () => {
  it('`showcase` holds every part a terminal renderer handles', () => {
    const text = defaultReply('showcase')
    expect(text).toBe(showcaseReply())
    const lines = text.split('\n')
    // headings of three levels
    for (const level of ['# ', '## ', '### ']) expect(lines.some((l) => l.startsWith(level))).toBe(true)
    // nested bullets, nested numbers, task items
    expect(lines).toContain('  - a nested bullet')
    expect(lines.some((l) => /^ {4}- /.test(l))).toBe(true)
    expect(lines.some((l) => /^ {3}1\. /.test(l))).toBe(true)
    expect(lines.some((l) => l.startsWith('- [x] '))).toBe(true)
    // a table: header, alignment row, at least four body rows
    const rows = lines.filter((l) => /^\|.*\|$/.test(l))
    expect(rows.length).toBeGreaterThanOrEqual(6)
    expect(rows[1]).toMatch(/^\| :--- \| :---: \| ---: \|/)
    // a long code block, with a line wider than a terminal
    const code = fencedLines(text)
    expect(code.length).toBeGreaterThanOrEqual(40)
    expect(Math.max(...code.map((l) => l.length))).toBeGreaterThan(120)
    // links: inline, autolink, reference
    expect(text).toMatch(/\[[^\]]+\]\(https:\/\/[^)]+\)/)
    expect(text).toMatch(/<https:\/\/[^>]+>/)
    expect(text).toMatch(/^\[spec\]: https:\/\//m)
    // a very long paragraph, one line of markdown
    expect(Math.max(...lines.filter((l) => !code.includes(l)).map((l) => l.length))).toBeGreaterThan(800)
    // non-ASCII and wide characters
    expect(text).toMatch(/café/)
    expect(text).toMatch(/日本語/)
  })

  it('is the same text every time', () => {
    expect(defaultReply('showcase')).toBe(defaultReply('Showcase'))
    expect(defaultReply('showcase table')).toBe(defaultReply('showcase table'))
  })

  it('`showcase TOPIC…` shows only those parts, in the usual order', () => {
    const table = defaultReply('showcase table')
    expect(table.startsWith('## A table\n')).toBe(true)
    expect(table).not.toContain('```')
    const two = defaultReply('Showcase: links, code')
    expect(two.indexOf('## A long code block')).toBeGreaterThanOrEqual(0)
    expect(two.indexOf('## A long code block')).toBeLessThan(two.indexOf('## Links'))
    expect(two).not.toContain('| Language')
    for (const topic of SHOWCASE_TOPICS) expect(defaultReply(`showcase ${topic}`)).toBe(showcaseReply([topic]))
  })

  it('an unknown part gets a list of the parts there are; other prompts are answered as before', () => {
    const unknown = defaultReply('showcase fireworks')
    expect(unknown).toContain('no showcase of **fireworks**')
    for (const topic of SHOWCASE_TOPICS) expect(unknown).toContain(`\`${topic}\``)
    expect(defaultReply('a showcase please')).toMatch(/^You said: \*\*a showcase please\*\*/)
    expect(defaultReply('showcases')).toMatch(/^You said: /)
  })

  it('the terminal renderer draws the table, the lists and the code frame', () => {
    const rendered = stripAnsi(renderMarkdown(defaultReply('showcase'), { color: true, width: 80 }))
    expect(rendered).toMatch(/^Language\s+│ Typing\s+│ First release │ Notes$/m)
    expect(rendered).toMatch(/^─+┼─+┼─+┼─+$/m)
    expect(rendered).toMatch(/^ {2}◦ a nested bullet$/m)
    expect(rendered).toMatch(/^┌─ ts$/m)
    expect(rendered).toContain('(https://nodejs.org/api/)')
  })

  it('the backend streams it like any reply', async () => {
    const { api } = await setup()
    expect((await api.sendMessageDetailed('showcase lists')).text).toBe(showcaseReply(['lists']))
  })
})
