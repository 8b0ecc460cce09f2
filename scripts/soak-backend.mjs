/**
 * The soak's test backend, in a worker thread of its own: its recorded requests and conversation
 * trees grow with every message, and on a separate V8 heap they do not blur the client's heap
 * measurement. The main thread drives it with small RPC messages.
 *
 * Beside it runs the "edge" server: a bare `node:http` server that answers every message with
 * the soak reply streamed token by token, and writes its LAST event and the end of the response
 * in one write (`res.end(lastEvent)`), the wire on which a caller's abort lands exactly on the
 * last event. Each answer ends one of three ways: the last text with no finish marker and no
 * `[DONE]` (a non-aborted call then rejects `stream_incomplete`), the finish marker without
 * `[DONE]`, or the finish marker and `[DONE]`.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { parentPort, workerData } from 'node:worker_threads'

import { createTestBackend, seededRandom } from 'chatgpt-kit/testing'

import { soakReply } from './soak-reply.mjs'

const { accounts: accountCount, chunking, seed } = workerData

const backend = await createTestBackend({
  eventDelayMs: 0,
  chunking,
  reply: (prompt) => soakReply(prompt)
})
backend.rotateSessionTokens = true
const sessionTokens = [backend.sessionToken]
for (let i = 1; i < accountCount; i++) sessionTokens.push(backend.addAccount().sessionToken)

const edge = await startEdgeServer(seededRandom((seed ^ 0x5eed) >>> 0))

const ops = {
  fault: (fault) => backend.fault(fault),
  expireAccessTokens: () => backend.expireAccessTokens(),
  shape: (shape) => {
    backend.shape = shape
  },
  stats: () => ({
    requests: backend.requests.length,
    inFlight: backend.inFlight,
    conversations: backend.conversations.size
  }),
  close: async () => {
    await backend.close()
    edge.server.closeAllConnections()
    await new Promise((resolve) => edge.server.close(resolve))
  }
}

parentPort.on('message', async ({ id, op, arg }) => {
  try {
    parentPort.postMessage({ id, result: await ops[op](arg) })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error?.stack ?? error) })
  }
})

parentPort.postMessage({
  ready: {
    apiBaseUrl: backend.apiBaseUrl,
    backendApiBaseUrl: backend.backendApiBaseUrl,
    clearanceToken: backend.clearanceToken,
    userAgent: backend.userAgent,
    sessionTokens,
    edgeUrl: edge.url,
    edgeAccessToken: edge.accessToken
  }
})

// ---------------------------------------------------------------------------------------------
// The edge server

const ENDINGS = ['bare', 'finished', 'finished+done']

async function startEdgeServer(random) {
  const accessToken = `edge-${randomUUID()}-${randomUUID()}`
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/api/auth/session') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ user: { id: 'edge-user', name: 'Edge' }, expires: new Date(Date.now() + 3_600_000).toISOString(), accessToken }))
        return
      }
      if (req.method !== 'POST' || path !== '/backend-api/conversation') {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ detail: 'Not found' }))
        return
      }
      let prompt = ''
      try {
        prompt = JSON.parse(Buffer.concat(chunks).toString('utf8')).messages[0].content.parts[0]
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ detail: 'bad body' }))
        return
      }
      streamEdgeReply(res, soakReply(prompt), {
        shape: random() < 0.5 ? 'v1' : '2023',
        ending: ENDINGS[Math.floor(random() * ENDINGS.length)],
        // A pause before the last write, sometimes: the abort must land on the last event
        // whether it arrives alone or together with the ones before it.
        lastDelayMs: random() < 0.5 ? 0 : 1 + Math.floor(random() * 20)
      })
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${server.address().port}`, accessToken }
}

function streamEdgeReply(res, reply, { shape, ending, lastDelayMs }) {
  const messageId = randomUUID()
  const conversationId = randomUUID()
  const frame = (data, event) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`
  const message = (text, finished) => ({
    id: messageId,
    author: { role: 'assistant', name: null, metadata: {} },
    content: { content_type: 'text', parts: [text] },
    status: finished ? 'finished_successfully' : 'in_progress',
    end_turn: finished ? true : null,
    weight: 1,
    metadata: finished ? { finish_details: { type: 'stop' } } : {},
    recipient: 'all'
  })
  let sent = ''
  const textFrame = (text, finished) => {
    if (shape === '2023') return frame({ message: message(text, finished), conversation_id: conversationId, error: null })
    const ops = [{ p: '/message/content/parts/0', o: 'append', v: text.slice(sent.length) }]
    if (finished) {
      ops.push({ p: '/message/status', o: 'replace', v: 'finished_successfully' })
      ops.push({ p: '/message/end_turn', o: 'replace', v: true })
      ops.push({ p: '/message/metadata', o: 'replace', v: { finish_details: { type: 'stop' } } })
    }
    sent = text
    return frame({ p: '', o: 'patch', v: ops }, 'delta')
  }
  // Token prefixes of the reply: "Re ", "Re acct ", …, the whole reply last.
  const prefixes = []
  for (let at = reply.indexOf(' '); at !== -1; at = reply.indexOf(' ', at + 1)) prefixes.push(reply.slice(0, at + 1))
  prefixes.push(reply)

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
  let head = ''
  if (shape === 'v1') {
    head += frame('v1', 'delta_encoding')
    head += frame({ p: '', o: 'add', v: { message: message('', false), conversation_id: conversationId, error: null }, c: 0 }, 'delta')
  }
  res.write(head)
  let i = 0
  const next = () => {
    if (res.destroyed) return
    if (i < prefixes.length - 1) {
      res.write(textFrame(prefixes[i++], false))
      setImmediate(next)
      return
    }
    // The last event and the end of the response, in one write.
    const last =
      ending === 'bare'
        ? textFrame(reply, false)
        : textFrame(reply, true) + (ending === 'finished+done' ? 'data: [DONE]\n\n' : '')
    res.end(last)
  }
  setImmediate(() => {
    if (lastDelayMs > 0 && prefixes.length > 1) {
      // Everything but the last event at once, then the pause.
      while (i < prefixes.length - 1) res.write(textFrame(prefixes[i++], false))
      setTimeout(next, lastDelayMs)
    } else {
      next()
    }
  })
}
