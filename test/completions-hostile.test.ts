/**
 * `ChatGPTCompletionsAPI` against a hostile or broken server, byte by byte: silence, endless
 * lines, garbage, pages where a stream belongs, streams that end early or without `[DONE]`.
 * Every call settles, with a clear code, and memory stays bounded.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTCompletionsAPI, type ChatGPTCompletionsAPIOptions } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf } from './helpers/backend.js'
import { startRawServer, type RawHandler } from './helpers/raw-server.js'

const chunk = (content: string | null, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`

async function client(handler: RawHandler, options: Partial<ChatGPTCompletionsAPIOptions> = {}) {
  const server = await startRawServer(handler)
  const api = new ChatGPTCompletionsAPI({ apiKey: 'sk-hostile-test-key', apiBaseUrl: `${server.url}/v1`, maxRetries: 0, systemMessage: '', ...options })
  return { api, server }
}

const sse = { 'content-type': 'text/event-stream' }

describe('a hostile Chat Completions server', () => {
  it('ends a silent stream with timeout after idleTimeoutMs, keeping what arrived', async () => {
    const { api } = await client(
      (_req, res) => {
        res.writeHead(200, sse)
        res.write(chunk('Hello'))
      },
      { idleTimeoutMs: 200 }
    )
    const error = await rejectionOf(api.sendMessage('hi'))
    expect(error).toMatchObject({ code: 'timeout', partialText: 'Hello' })
  })

  it('drops a stream whose line never ends (bounded buffer), with invalid_response', async () => {
    const { api } = await client((_req, res) => {
      res.writeHead(200, sse)
      const block = 'x'.repeat(64 * 1024)
      let sent = 0
      const write = () => {
        while (sent < 64 && res.write(`${sent === 0 ? 'data: ' : ''}${block}`)) sent++
        if (sent < 64) res.once('drain', write)
      }
      write()
    })
    expect((await rejectionOf(api.sendMessage('hi'))).code).toBe('invalid_response')
  })

  it('ignores garbage events and odd shapes, and reads the good chunks', async () => {
    const { api } = await client((_req, res) => {
      res.writeHead(200, sse)
      res.write(': a comment\n\n')
      res.write('data: not json\n\n')
      res.write('data: 42\n\n')
      res.write('data: {"choices": "nope"}\n\n')
      res.write('data: {"choices": [null, 7]}\n\n')
      res.write('event: ping\ndata: {}\n\n')
      res.write(chunk('Hel'))
      res.write(chunk('lo'))
      res.write('data: {"choices": [{"index": 0, "delta": {"content": 5}}]}\n\n')
      res.write(chunk(null, 'stop'))
      res.end('data: [DONE]\n\n')
    })
    expect(await api.sendMessageDetailed('hi')).toMatchObject({ text: 'Hello', finishReason: 'stop' })
  })

  it('accepts a finished stream that ends without [DONE], and fails one that ends before finishing', async () => {
    const finished = await client((_req, res) => {
      res.writeHead(200, sse)
      res.write(chunk('Done'))
      res.end(chunk(null, 'stop'))
    })
    expect(await finished.api.sendMessage('hi')).toBe('Done')
    const cut = await client((_req, res) => {
      res.writeHead(200, sse)
      res.end(chunk('Half'))
    })
    expect(await rejectionOf(cut.api.sendMessage('hi'))).toMatchObject({ code: 'stream_incomplete', partialText: 'Half' })
    const reset = await client((req, res) => {
      res.writeHead(200, sse)
      res.write(chunk('Half'), () => setTimeout(() => req.socket.destroy(), 20))
    })
    expect(await rejectionOf(reset.api.sendMessage('hi'))).toMatchObject({ code: 'network', partialText: 'Half' })
  })

  it('says what a page or JSON in place of a stream was, without the page', async () => {
    const page = await client((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html><body>Bad gateway from some proxy, secret-looking-page-text</body></html>')
    })
    const error = await rejectionOf(page.api.sendMessage('hi'))
    expect(error.code).toBe('invalid_response')
    expect(error.message).not.toContain('secret-looking-page-text')
    const json = await client((_req, res) => {
      res.writeHead(200, sse)
      res.end('{"unexpected": true}')
    })
    expect((await rejectionOf(json.api.sendMessage('hi'))).code).toBe('invalid_response')
  })

  it('reads an error event in the stream as stream_error with what the API said', async () => {
    const { api } = await client((_req, res) => {
      res.writeHead(200, sse)
      res.write(chunk('Par'))
      res.end('data: {"error": {"message": "The model overloaded", "type": "server_error", "param": null, "code": null}}\n\n')
    })
    const error = await rejectionOf(api.sendMessage('hi'))
    expect(error).toMatchObject({ code: 'stream_error', partialText: 'Par' })
    expect(error.message).toMatch(/The model overloaded/)
  })

  it('never sends again once a stream had started, even with retries left', async () => {
    let requests = 0
    const { api, server } = await client(
      (req, res) => {
        requests++
        res.writeHead(200, sse)
        res.write(chunk('Par'), () => setTimeout(() => req.socket.destroy(), 20))
      },
      { maxRetries: 3 }
    )
    await rejectionOf(api.sendMessage('hi'))
    expect(requests).toBe(1)
    expect(server.count('POST', '/v1/chat/completions')).toBe(1)
  })
})
