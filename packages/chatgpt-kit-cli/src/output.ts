/**
 * How a reply is shown: rendered on a terminal, raw markdown into a pipe, plain with `--plain`.
 */
import { markdownToText } from 'chatgpt-kit'
import type { GlobalOptions } from './client.js'
import type { Context } from './context.js'
import type { PrintMode } from './reply-printer.js'
import { renderMarkdown } from './render-markdown.js'

/** `--plain` → plain text; stdout a terminal → rendered; otherwise the markdown as written. */
export function printMode(ctx: Context, options: Pick<GlobalOptions, 'plain'>): PrintMode {
  if (options.plain) return 'plain'
  return ctx.stdout.isTTY ? 'render' : 'raw'
}

/** A whole text in the given form. */
export function finalText(mode: PrintMode, markdown: string, ctx: Context): string {
  if (mode === 'plain') return markdownToText(markdown)
  if (mode === 'render') return renderMarkdown(markdown, { color: ctx.color.stdout, width: ctx.stdout.columns })
  return markdown
}
