// The floor of the gateway bench: the least an HTTP front for the pool can do, on bare node:http
// in a process of its own. It takes the same requests as the gateway and answers in the same
// shapes (a chat.completion, or chat.completion.chunk events and [DONE]), with none of the
// gateway's checks, accounting or framework: JSON.parse of the body, one pool call, and the
// answer written by hand (one write per streamed delta, as the gateway's framework does). What it
// costs over the direct library is what any HTTP server would; the gateway's excess over it is its
// own. Prints `{url}`, then answers `cpu` on stdin with `{cpuMs}`.
import { createServer } from 'node:http'
import { createInterface } from 'node:readline'

import { benchPool, cpuMs } from './gateway-pool.mjs'

const { backend } = JSON.parse(process.argv[2])
const { pool } = benchPool(backend)

async function answer(request, response) {
  const chunks = []
  for await (const chunk of request) chunks.push(chunk)
  const body = JSON.parse(Buffer.concat(chunks).toString())
  const message = body.messages.at(-1).content
  const head = { id: `chatcmpl-${crypto.randomUUID()}`, created: Math.floor(Date.now() / 1000), model: body.model }
  if (!body.stream) {
    const reply = await pool.sendMessageDetailed(message, { model: body.model })
    const choice = { index: 0, message: { role: 'assistant', content: reply.text }, finish_reason: 'stop' }
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ ...head, object: 'chat.completion', choices: [choice] }))
    return
  }
  const event = (delta, finishReason = null) =>
    `data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`
  const stream = pool.streamMessage(message, { model: body.model })
  response.writeHead(200, { 'content-type': 'text/event-stream' })
  response.write(event({ role: 'assistant', content: '' }))
  for await (const { delta } of stream) if (delta !== '') response.write(event({ content: delta }))
  response.end(event({}, 'stop') + 'data: [DONE]\n\n')
}

const server = createServer((request, response) => {
  answer(request, response).catch((error) => {
    if (!response.headersSent) response.writeHead(500)
    response.end(String(error))
  })
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }) + '\n')
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') process.stdout.write(JSON.stringify({ cpuMs: cpuMs() }) + '\n')
})
process.on('SIGTERM', () => process.exit(0))
