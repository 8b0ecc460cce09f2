// The test backend in a process of its own, so that the benchmark's CPU numbers are the
// client's alone. Prints one JSON line with the URLs and tokens, then serves until killed.
import { createTestBackend } from 'chatgpt/testing'

const { shape, tokens, eventDelayMs } = JSON.parse(process.argv[2])

/** A realistic markdown reply of about `tokens` words: prose, emphasis, lists, links, code. */
function longReply(count) {
  const blocks = [
    'Here is a **detailed** answer with _emphasis_, `inline code` and a [link](https://example.com/docs).',
    '- first item with **bold** text\n- second item with a `call()`\n- third item, plain',
    '```ts\nconst answer: number = 42 // **not bold**\nfunction greet(name: string) {\n  return `Hello, ${name}!`\n}\n```',
    '## A heading\n\nSome prose that goes on for a while, with numbers like 3.14 and words like café and naïve.',
    '> A quoted line with *stars* and a footnote-like [ref][1].\n\n1. one\n2. two'
  ]
  const words = []
  for (let i = 0; words.length < count; i++) {
    words.push(...blocks[i % blocks.length].split(/(?<=\s)/), '\n\n')
  }
  return words.slice(0, count).join('')
}

const text = longReply(tokens)
const backend = await createTestBackend({ shape, eventDelayMs, reply: () => text })
process.stdout.write(
  JSON.stringify({
    url: backend.url,
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    sessionToken: backend.sessionToken,
    clearanceToken: backend.clearanceToken,
    replyLength: text.length
  }) + '\n'
)
process.on('SIGTERM', () => backend.close().then(() => process.exit(0)))
