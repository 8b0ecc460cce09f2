/**
 * A 200 labelled `text/event-stream` whose body holds no event at all: a page or a JSON error
 * served under the stream's content type is called what it is, not a reply cut short.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTAPI } from '../packages/chatgpt-kit/src/index.js'
import { rejectionOf } from './helpers/backend.js'
import { startRawServer, writeStreamHead } from './helpers/raw-server.js'

async function answerWith(body: string): Promise<any> {
  const server = await startRawServer((_req, res) => {
    writeStreamHead(res)
    res.end(body)
  })
  const api = new ChatGPTAPI({
    sessionToken: 'not-a-stream-session-token',
    accessToken: 'not-a-stream-access-token',
    backendApiBaseUrl: server.backendApiBaseUrl,
    apiBaseUrl: server.apiBaseUrl,
    maxRetries: 0
  })
  return rejectionOf(api.sendMessage('Hi'))
}

describe('a stream without a single event', () => {
  it('an HTML page → invalid_response, without the page', async () => {
    const error = await answerWith('<!DOCTYPE html><html><body><h1>Log in</h1></body></html>')
    expect(error.code).toBe('invalid_response')
    expect(error.message).toContain('HTML page')
    expect(error.message).not.toContain('<h1>')
  })

  it('a Cloudflare challenge page → cloudflare_challenge', async () => {
    const error = await answerWith('<html><head><title>Just a moment...</title></head><body>_cf_chl_opt</body></html>')
    expect(error.code).toBe('cloudflare_challenge')
  })

  it("a JSON error → invalid_response with the server's detail", async () => {
    const error = await answerWith(JSON.stringify({ detail: 'Something went wrong' }))
    expect(error.code).toBe('invalid_response')
    expect(error.message).toContain('Something went wrong')
  })

  it('nothing but comments → stream_incomplete, as any stream that ended early', async () => {
    const error = await answerWith(': ping\n\n: ping\n\n')
    expect(error.code).toBe('stream_incomplete')
  })
})
