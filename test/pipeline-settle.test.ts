/**
 * Contract 1: a call aborted by its caller (or its timeout) settles promptly whatever the wire is
 * doing — even when the abort lands on the very last event, in the same write that ended the
 * response — and the account is free for the next call.
 *
 * Hangs are detected with a bound (`settleWithin`): 'never settled' is the failure, not a time.
 */
import { describe, expect, it } from 'vitest'

import { ChatGPTError, type ChatGPTAPIOptions } from '../packages/chatgpt-kit/src/index.js'
import {
  CONVERSATION_PATH,
  type RawServer,
  type ReplyShape,
  rejectionWithin,
  replyFrames,
  sendWholeReply,
  startRawServer,
  valueWithin,
  writeStreamHead,
  rawClient
} from './helpers/raw-server.js'

const ACCESS_TOKEN = 'pipeline-settle-access-token-0123456789'

/**
 * A server whose FIRST conversation POST streams 'Hello', then ~100 ms later the last event
 * 'Hello world' (no finish marker, no [DONE]) and ends the response in that same write; every
 * later POST gets a whole reply 'second reply'.
 */
async function lastEventServer(shape: ReplyShape): Promise<RawServer> {
  let posts = 0
  return startRawServer((req, res) => {
    if (req.url !== CONVERSATION_PATH) return void res.writeHead(404).end()
    if (++posts > 1) return sendWholeReply(res, 'second reply', shape)
    const frames = replyFrames(shape)
    writeStreamHead(res)
    res.write(frames.text('Hello'))
    setTimeout(() => res.end(frames.text('Hello world')), 100)
  })
}

/** A server whose first POST streams 'Hello' and then nothing, keeping the response open. */
async function silentAfterHelloServer(shape: ReplyShape, alsoWorld = false): Promise<RawServer> {
  let posts = 0
  return startRawServer((req, res) => {
    if (req.url !== CONVERSATION_PATH) return void res.writeHead(404).end()
    if (++posts > 1) return sendWholeReply(res, 'second reply', shape)
    const frames = replyFrames(shape)
    writeStreamHead(res)
    res.write(frames.text('Hello') + (alsoWorld ? frames.text('Hello world') : ''))
    // …and nothing more, until the client leaves or the server is closed.
  })
}

function client(server: RawServer, extra: Partial<ChatGPTAPIOptions> = {}) {
  return rawClient(server, { sessionToken: 'pipeline-settle-session-token', accessToken: ACCESS_TOKEN, ...extra })
}

describe.each(['v1', '2023'] as const)('abort on the last event (%s shape)', (shape) => {
  it("(the wire itself) without an abort, the same answer rejects 'stream_incomplete' with partialText 'Hello world'", async () => {
    const server = await lastEventServer(shape)
    const api = client(server)
    const error = await rejectionWithin(api.sendMessage('Hi'))
    expect(error.code).toBe('stream_incomplete')
    expect(error.partialText).toBe('Hello world')
  })

  it("sendMessage rejects with the caller's own reason, and the next call works", async () => {
    const server = await lastEventServer(shape)
    const api = client(server)
    const controller = new AbortController()
    const reason = new Error('caller gave up on the last event')
    const seen: string[] = []
    const first = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      onProgress: (text) => {
        seen.push(text)
        if (text === 'Hello world') controller.abort(reason)
      }
    })
    expect(await rejectionWithin(first)).toBe(reason)
    expect(seen).toEqual(['Hello', 'Hello world'])

    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
    expect(server.count('POST', CONVERSATION_PATH)).toBe(2)
  })

  it("sendMessage aborted without a reason rejects with the signal's default AbortError", async () => {
    const server = await lastEventServer(shape)
    const api = client(server)
    const controller = new AbortController()
    const first = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      onProgress: (text) => {
        if (text === 'Hello world') controller.abort()
      }
    })
    const error = await rejectionWithin(first)
    expect(error).toBe(controller.signal.reason)
    expect(error.name).toBe('AbortError')

    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })

  it("streamMessage: break on 'Hello world' → result rejects with code 'aborted', and the next call works", async () => {
    const server = await lastEventServer(shape)
    const api = client(server)
    const stream = api.streamMessage('Hi')
    const iterate = async () => {
      const texts: string[] = []
      for await (const update of stream) {
        texts.push(update.text)
        if (update.text === 'Hello world') break
      }
      return texts
    }
    const texts = await valueWithin(iterate())
    expect(texts.at(-1)).toBe('Hello world')

    const error = await rejectionWithin(stream.result)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('aborted')

    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
    expect(server.count('POST', CONVERSATION_PATH)).toBe(2)
  })

  it('the next sendMessage is not stuck behind the aborted one (both started at once)', async () => {
    const server = await lastEventServer(shape)
    const api = client(server)
    const controller = new AbortController()
    const reason = new Error('mine')
    const first = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      onProgress: (text) => {
        if (text === 'Hello world') controller.abort(reason)
      }
    })
    // Queued behind the first on the account: it must get its turn once the first settles.
    const second = api.sendMessage('again')
    expect(await rejectionWithin(first)).toBe(reason)
    expect(await valueWithin(second)).toBe('second reply')
  })
})

describe('aborts and timeouts while the body read is pending', () => {
  it("a caller abort while the server sends nothing more rejects with the caller's reason", async () => {
    const server = await silentAfterHelloServer('v1')
    const api = client(server)
    const controller = new AbortController()
    const reason = new Error('bored of waiting')
    const first = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      // Aborted outside the callback, while the client waits for bytes that never come.
      onProgress: (text) => {
        if (text === 'Hello') setTimeout(() => controller.abort(reason), 50)
      }
    })
    expect(await rejectionWithin(first)).toBe(reason)
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })

  it("timeoutMs alone ends a stream that went silent after its last text: code 'timeout' with partialText", async () => {
    const server = await silentAfterHelloServer('2023', true)
    const api = client(server)
    const error = await rejectionWithin(api.sendMessage('Hi', { timeoutMs: 300 }))
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('timeout')
    expect(error.partialText).toBe('Hello world')
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })

  it('streamMessage: stream.abort(reason) while the server is silent rejects result with that reason', async () => {
    const server = await silentAfterHelloServer('v1')
    const api = client(server)
    const stream = api.streamMessage('Hi')
    const reason = new Error('stop it')
    const iterate = async () => {
      for await (const update of stream) {
        if (update.text === 'Hello') setTimeout(() => stream.abort(reason), 20)
      }
    }
    expect(await rejectionWithin(iterate())).toBe(reason)
    expect(await rejectionWithin(stream.result)).toBe(reason)
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })
})

describe('(extra) more ways to stop on the last event', () => {
  /** The first POST streams 'Hello', then ends with `last` in the same write; later POSTs get 'second reply'. */
  async function endsWith(last: (frames: ReturnType<typeof replyFrames>) => string): Promise<RawServer> {
    let posts = 0
    return startRawServer((req, res) => {
      if (++posts > 1) return sendWholeReply(res, 'second reply', 'v1')
      const frames = replyFrames('v1')
      writeStreamHead(res)
      res.write(frames.text('Hello'))
      setTimeout(() => res.end(last(frames)), 50)
    })
  }

  it("abort inside onProgress on a FINISHED last message (finish marker, no [DONE], same write) → the caller's reason", async () => {
    const server = await endsWith((frames) => frames.finish('Hello world'))
    const api = client(server)
    const controller = new AbortController()
    const reason = new Error('mine')
    const first = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      onProgress: (text) => {
        if (text === 'Hello world') controller.abort(reason)
      }
    })
    expect(await rejectionWithin(first)).toBe(reason)
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })

  it("abort inside onConversationResponse on the last event → the caller's reason; the next call works", async () => {
    const server = await endsWith((frames) => frames.text('Hello world'))
    const api = client(server)
    const controller = new AbortController()
    const reason = new Error('mine')
    let events = 0
    const first = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      onConversationResponse: (event) => {
        events++
        if (event.message?.content?.parts?.[0] === 'Hello world') controller.abort(reason)
      }
    })
    expect(await rejectionWithin(first)).toBe(reason)
    expect(events).toBeGreaterThan(0)
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })

  it("toReadableStream(): cancelling the reader after the last chunk → result rejects 'aborted'; the next call works", async () => {
    const server = await endsWith((frames) => frames.text('Hello world'))
    const api = client(server)
    const stream = api.streamMessage('Hi')
    const reader = stream.toReadableStream().getReader()
    const decoder = new TextDecoder()
    const readUntilWorld = async () => {
      let text = ''
      while (!text.endsWith('world')) {
        const { value, done } = await reader.read()
        if (done) break
        text += decoder.decode(value, { stream: true })
      }
      await reader.cancel()
      return text
    }
    expect(await valueWithin(readUntilWorld())).toBe('Hello world')
    const error = await rejectionWithin(stream.result)
    expect(error).toBeInstanceOf(ChatGPTError)
    expect(error.code).toBe('aborted')
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })

  it('(judgment call) abort inside onProgress when the same write also carried [DONE] → still the caller\'s reason, not a resolved reply', async () => {
    const server = await endsWith((frames) => frames.finish('Hello world') + frames.done)
    const api = client(server)
    const controller = new AbortController()
    const reason = new Error('mine')
    const first = api.sendMessage('Hi', {
      abortSignal: controller.signal,
      onProgress: (text) => {
        if (text === 'Hello world') controller.abort(reason)
      }
    })
    expect(await rejectionWithin(first)).toBe(reason)
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })
})

describe('(extra) abort on the last event through the other entry points: the account is free afterwards', () => {
  it("autoContinue (the call runs in its own scope): rejects with the caller's reason AND the next call works", async () => {
    const server = await lastEventServer('v1')
    const api = client(server)
    const controller = new AbortController()
    const reason = new Error('mine')
    const first = api.sendMessage('Hi', {
      autoContinue: 1,
      abortSignal: controller.signal,
      onProgress: (text) => {
        if (text === 'Hello world') controller.abort(reason)
      }
    })
    expect(await rejectionWithin(first)).toBe(reason)
    // The call itself may settle through its scope's race; the account must be released too.
    expect(await valueWithin(api.sendMessage('again'))).toBe('second reply')
  })

  it("ChatGPTConversation.sendMessage: rejects with the caller's reason, and the conversation's next message works", async () => {
    const server = await lastEventServer('2023')
    const chat = client(server).getConversation()
    const controller = new AbortController()
    const reason = new Error('mine')
    const first = chat.sendMessage('Hi', {
      abortSignal: controller.signal,
      onProgress: (text) => {
        if (text === 'Hello world') controller.abort(reason)
      }
    })
    expect(await rejectionWithin(first)).toBe(reason)
    expect(await valueWithin(chat.sendMessage('again'))).toBe('second reply')
  })
})
