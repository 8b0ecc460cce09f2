import { showcaseFor } from './showcase-reply.js'
import type { ReplyContext } from './types.js'

/**
 * The reply the test backend gives when no `reply` option is set. Deterministic markdown that
 * depends on the prompt: it quotes it in bold, counts its words, and adds a fenced `js` block when
 * the prompt mentions "code". It always holds non-ASCII text (`é`, `—`) and emoji, so byte-level
 * chunking splits multi-byte UTF-8 characters.
 *
 * A prompt starting with the word `showcase` gets a {@link showcaseReply} instead: headings,
 * nested lists, a table, a long code block, links, a quote and a very long paragraph
 * (`showcase table code` shows only those parts), to see what a renderer does with each.
 *
 * @example
 * ```ts
 * defaultReply('hello there')
 * // 'You said: **hello there**\n\nYour message has 2 words. Voilà, café ☕ — done 🚀'
 * defaultReply('showcase table')
 * // '## A table\n\n| Language | Typing | First release | Notes |\n…'
 * ```
 */
export function defaultReply(prompt: string, ctx?: Pick<ReplyContext, 'action'>): string {
  if (ctx?.action === 'continue') return '\n\nAnd a little more, as asked. Fin ✨'
  const showcase = showcaseFor(prompt)
  if (showcase !== undefined) return showcase
  const words = prompt.trim() === '' ? 0 : prompt.trim().split(/\s+/).length
  let text = `You said: **${prompt}**\n\nYour message has ${words} word${words === 1 ? '' : 's'}. Voilà, café ☕ — done 🚀`
  if (/code/i.test(prompt)) {
    text += '\n\n```js\nconst greeting = "héllo 🌍"\nconsole.log(greeting)\n```'
  }
  return text
}

/**
 * Splits text into the tokens the backend streams: leading whitespace, then each word with the
 * whitespace after it. Joining the tokens gives back the text exactly.
 */
export function tokenize(text: string): string[] {
  return text.match(/\s+|\S+\s*/g) ?? []
}
