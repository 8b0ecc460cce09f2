/**
 * A bare `node:http` server on 127.0.0.1:0 for tests that need exact control of the wire (when a
 * byte is written, how a response ends, a reason phrase, a socket destroyed mid-request), plus
 * the SSE frames of a reply in the shapes the backend sends (see src/testing/event-shapes.ts).
 * Closed after each test.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'

import { ChatGPTAPI, type ChatGPTAPIOptions } from '../../packages/chatgpt-kit/src/index.js'

export type RawHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>

export type RawServer = {
  /** `http://127.0.0.1:PORT` */
  url: string
  apiBaseUrl: string
  backendApiBaseUrl: string
  /** Every request that reached the server (after its body was read), in arrival order. */
  requests: { method: string; path: string; body: string }[]
  /** How many requests with this method and path reached the server. */
  count(method: string, path: string): number
  close(): Promise<void>
}

const open: Server[] = []

afterEach(async () => {
  await Promise.all(
    open.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        })
    )
  )
})

/**
 * Starts a server that reads each request's whole body, records it, then calls `handler`.
 * A handler that throws answers 599 so that the test sees it.
 */
export async function startRawServer(handler: RawHandler): Promise<RawServer> {
  const requests: RawServer['requests'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', path: new URL(req.url ?? '/', 'http://x').pathname, body })
      Promise.resolve()
        .then(() => handler(req, res, body))
        .catch((error) => {
          if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' })
          res.end(String(error))
        })
    })
  })
  open.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    apiBaseUrl: `${url}/api`,
    backendApiBaseUrl: `${url}/backend-api`,
    requests,
    count: (method, path) => requests.filter((r) => r.method === method && r.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

export const CONVERSATION_PATH = '/backend-api/conversation'
export const SESSION_PATH = '/api/auth/session'

/** The head of a reply stream. */
export function writeStreamHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
  // Headers go out at once, before any event.
  res.flushHeaders()
}

export type ReplyShape = '2023' | 'v1'

/**
 * SSE frames of one assistant message in the 2023 or v1 shape. `text(t)` is the frame that makes
 * the reply text `t` (a whole message in 2023, an `append` of what is new in v1, after an `add`);
 * `finish(t)` also marks the message finished; `done` is `[DONE]`. Stateful for v1.
 */
export function replyFrames(shape: ReplyShape) {
  const messageId = randomUUID()
  const conversationId = randomUUID()
  const frame = (data: unknown, event?: string) =>
    `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`
  const message = (text: string, finished: boolean) => ({
    id: messageId,
    author: { role: 'assistant', name: null, metadata: {} },
    create_time: 1,
    update_time: null,
    content: { content_type: 'text', parts: [text] },
    status: finished ? 'finished_successfully' : 'in_progress',
    end_turn: finished ? true : null,
    weight: 1,
    metadata: finished ? { finish_details: { type: 'stop' } } : {},
    recipient: 'all'
  })
  let sent = ''
  let opened = false
  const v1Text = (text: string, finished: boolean): string => {
    let out = ''
    if (!opened) {
      opened = true
      out += frame('v1', 'delta_encoding')
      out += frame({ p: '', o: 'add', v: { message: message('', false), conversation_id: conversationId, error: null }, c: 0 }, 'delta')
    }
    if (!text.startsWith(sent)) throw new Error('v1 frames only append')
    const ops: unknown[] = [{ p: '/message/content/parts/0', o: 'append', v: text.slice(sent.length) }]
    if (finished) {
      ops.push({ p: '/message/status', o: 'replace', v: 'finished_successfully' })
      ops.push({ p: '/message/end_turn', o: 'replace', v: true })
      ops.push({ p: '/message/metadata', o: 'replace', v: { finish_details: { type: 'stop' } } })
    }
    sent = text
    return out + frame({ p: '', o: 'patch', v: ops }, 'delta')
  }
  const full = (text: string, finished: boolean) =>
    frame({ message: message(text, finished), conversation_id: conversationId, error: null })
  return {
    messageId,
    conversationId,
    text: (text: string) => (shape === 'v1' ? v1Text(text, false) : full(text, false)),
    finish: (text: string) => (shape === 'v1' ? v1Text(text, true) : full(text, true)),
    done: 'data: [DONE]\n\n'
  }
}

/** Answers with a whole, finished reply of `text` at once (a well-behaved server). */
export function sendWholeReply(res: ServerResponse, text: string, shape: ReplyShape = '2023'): void {
  const frames = replyFrames(shape)
  writeStreamHead(res)
  res.end(frames.text(text.slice(0, 1)) + frames.finish(text) + frames.done)
}

/** A session answer with an access token (and `set-cookie` headers, if any). */
export function sendSession(res: ServerResponse, accessToken: string, headers: Record<string, string | string[]> = {}): void {
  const body = JSON.stringify({
    user: { id: 'user-1', name: 'Test', email: 't@example.com', image: '', picture: '', groups: [], features: [] },
    expires: new Date(Date.now() + 3_600_000).toISOString(),
    accessToken
  })
  res.writeHead(200, { 'content-type': 'application/json', ...headers })
  res.end(body)
}

/** Never settled within `ms`: the failure a hang shows as (not a timing measurement). */
export const NEVER_SETTLED = 'never settled'

/**
 * How `promise` settles, or a rejection with {@link NEVER_SETTLED} if it has not settled after
 * `ms`. The bound only detects a hang; no test asserts how fast anything is.
 */
export async function settleWithin<T>(
  promise: Promise<T>,
  ms = 3_000
): Promise<{ ok: true; value: T } | { ok: false; error: any }> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(NEVER_SETTLED)), ms)
  })
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ ok: true as const, value }),
        (error) => ({ ok: false as const, error })
      ),
      bound
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** The rejection of `promise`, which must reject within `ms`. */
export async function rejectionWithin(promise: Promise<unknown>, ms = 3_000): Promise<any> {
  const outcome = await settleWithin(promise, ms)
  if (outcome.ok) throw new Error('expected the promise to reject, but it resolved')
  return outcome.error
}

/** The value of `promise`, which must resolve within `ms`. */
export async function valueWithin<T>(promise: Promise<T>, ms = 3_000): Promise<T> {
  const outcome = await settleWithin(promise, ms)
  if (!outcome.ok) throw outcome.error
  return outcome.value
}

/**
 * A client of `server` that never retries (so requests can be counted), with `options` on top:
 * the credentials, and anything a test needs.
 */
export function rawClient(
  server: { apiBaseUrl: string; backendApiBaseUrl: string },
  options: Partial<ChatGPTAPIOptions> & { sessionToken: string }
): ChatGPTAPI {
  return new ChatGPTAPI({
    apiBaseUrl: server.apiBaseUrl,
    backendApiBaseUrl: server.backendApiBaseUrl,
    maxRetries: 0,
    ...options
  })
}
