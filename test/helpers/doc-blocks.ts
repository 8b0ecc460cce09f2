/**
 * Code blocks of the documentation, found where users read them: fenced blocks in markdown, and
 * in the doc comments (TSDoc) the API reference is generated from.
 */

/** A code block, and where its first line is (1-based) in the file it came from. */
export type Block = { file: string; line: number; code: string }

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/

/**
 * The ```ts and ```typescript blocks of markdown lines. `lines[i]` is line `i + 1` of the file;
 * a line that cannot hold markdown (outside a doc comment) is passed as `undefined`.
 */
export function tsBlocks(file: string, lines: (string | undefined)[]): Block[] {
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '')
    if (!open) continue
    const [, indent, fence, lang] = open
    const close = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`)
    let end = i + 1
    while (end < lines.length && lines[end] !== undefined && !close.test(lines[end]!)) end++
    if (lang === 'ts' || lang === 'typescript') {
      const code = lines.slice(i + 1, end).map((line) => (line ?? '').replace(new RegExp(`^ {0,${indent.length}}`), ''))
      blocks.push({ file, line: i + 2, code: code.join('\n') })
    }
    i = end
  }
  return blocks
}

/** The blocks of a markdown file. */
export function markdownBlocks(file: string, text: string): Block[] {
  return tsBlocks(file, text.split('\n'))
}

/** The blocks in the doc comments of a TypeScript file: its ` * ` lines, read as markdown. */
export function tsdocBlocks(file: string, text: string): Block[] {
  return tsBlocks(
    file,
    text.split('\n').map((line) => {
      const content = /^\s*\*(?!\/)( ?)(.*)$/.exec(line)
      return content ? content[2] : undefined
    })
  )
}
