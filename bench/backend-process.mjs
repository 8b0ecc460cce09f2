// The test backend in a process of its own, so that the benchmark's CPU numbers are the
// client's alone. Prints one JSON line with the URLs and tokens, then serves until killed.
//
// Replies: `markdown` (default) is a realistic reply of about `tokens` words, or at least
// `chars` characters when that is set; `long-line` is one line of `chars` characters of
// snake_case words with **bold** or `code` every ~7 words, streamed about 5 characters an event.
//
// For the pool bench: `accounts` more accounts (their session tokens are printed too), and with
// `control` it answers lines on stdin: `stats` prints one JSON line of the reply counts per
// account and the requests per path since the last `reset`, which clears them.
import { createInterface } from 'node:readline'

import { createTestBackend } from 'chatgpt-kit/testing'

const { shape, tokens, eventDelayMs, reply = 'markdown', chars = 0, accounts = 0, control = false } = JSON.parse(process.argv[2])

/** A realistic markdown reply of about `count` words (or `minChars` characters): prose, emphasis, lists, links, code. */
function longReply(count, minChars) {
  const blocks = [
    'Here is a **detailed** answer with _emphasis_, `inline code` and a [link](https://example.com/docs).',
    '- first item with **bold** text\n- second item with a `call()`\n- third item, plain',
    '```ts\nconst answer: number = 42 // **not bold**\nfunction greet(name: string) {\n  return `Hello, ${name}!`\n}\n```',
    '## A heading\n\nSome prose that goes on for a while, with numbers like 3.14 and words like café and naïve.',
    '> A quoted line with *stars* and a footnote-like [ref][1].\n\n1. one\n2. two'
  ]
  const words = []
  let length = 0
  for (let i = 0; words.length < count || length < minChars; i++) {
    for (const word of [...blocks[i % blocks.length].split(/(?<=\s)/), '\n\n']) {
      words.push(word)
      length += word.length
    }
  }
  return (count > 0 ? words.slice(0, count) : words).join('')
}

/** One line of 4-letter snake_case words (5 characters with the space, so one token each). */
function longLine(minChars) {
  const words = []
  let length = 0
  for (let i = 0; length < minChars; i++) {
    const word = `${String.fromCharCode(97 + (i % 26))}_${String.fromCharCode(97 + ((i * 7) % 26))}${i % 10}`
    const styled = i % 7 === 3 ? `**${word}**` : i % 7 === 6 ? `\`${word}\`` : word
    words.push(styled)
    length += styled.length + 1
  }
  return words.join(' ')
}

const text = reply === 'long-line' ? longLine(chars) : chars > 0 ? longReply(0, chars) : longReply(tokens, 0)
// The pool bench counts every request of a phase: keep more than the default 1000.
const backend = await createTestBackend({ shape, eventDelayMs, reply: () => text, ...(control && { maxRecordedRequests: 100_000 }) })
const sessionTokens = Array.from({ length: accounts }, (_, i) => backend.addAccount({ name: `Bench ${i}` }).sessionToken)
process.stdout.write(
  JSON.stringify({
    url: backend.url,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    sessionToken: backend.sessionToken,
    clearanceToken: backend.clearanceToken,
    replyLength: text.length,
    sessionTokens
  }) + '\n'
)
if (control) {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'reset') {
      backend.reset()
      process.stdout.write('{}\n')
    } else if (line === 'stats') {
      const paths = {}
      for (const { method, path } of backend.requests) paths[`${method} ${path}`] = (paths[`${method} ${path}`] ?? 0) + 1
      process.stdout.write(JSON.stringify({ replies: backend.replyStats(), paths }) + '\n')
    }
  })
}
process.on('SIGTERM', () => backend.close().then(() => process.exit(0)))
