import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/errors.js'
import { ReplyReader, type ReplyStep } from '../packages/chatgpt-kit/src/internal/reply.js'
import { SSEDecoder, type SSEEvent } from '../packages/chatgpt-kit/src/internal/sse.js'

const encoder = new TextEncoder()

/** Decodes a whole SSE text, fed in the given chunk sizes, and runs it through a ReplyReader. */
function read(sse: string, chunkSize = sse.length) {
  const reader = new ReplyReader()
  const steps: ReplyStep[] = []
  const texts: string[] = []
  const decoder = new SSEDecoder((event: SSEEvent) => {
    const step = reader.push(event)
    steps.push(step)
    if (step.kind === 'event' && step.textChanged) texts.push(reader.state.text)
  })
  const bytes = encoder.encode(sse)
  for (let i = 0; i < bytes.length; i += chunkSize) decoder.push(bytes.subarray(i, i + chunkSize))
  decoder.end()
  return { state: reader.state, steps, texts }
}

const data = (value: unknown, event?: string) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`

describe('ReplyReader: Dec-2022 shape', () => {
  const message = (text: string, endTurn: boolean | null) => ({
    message: {
      id: 'm1',
      role: 'assistant',
      user: null,
      create_time: null,
      update_time: null,
      content: { content_type: 'text', parts: [text] },
      end_turn: endTurn,
      weight: 1,
      recipient: 'all',
      metadata: {}
    },
    conversation_id: 'c1',
    error: null
  })

  it('reads cumulative text and ids, and ends on [DONE]', () => {
    const sse = data(message('Hel', null)) + data(message('Hello wörld', null)) + data('[DONE]')
    const { state, steps, texts } = read(sse)
    expect(texts).toEqual(['Hel', 'Hello wörld'])
    expect(state).toMatchObject({ text: 'Hello wörld', messageId: 'm1', conversationId: 'c1', finished: false })
    expect(steps.at(-1)).toEqual({ kind: 'done' })
  })

  it('marks the reply finished on end_turn', () => {
    const { state } = read(data(message('Hi', true)))
    expect(state.finished).toBe(true)
    expect(state.finishReason).toBe('stop')
  })

  it('keeps a character split across chunks intact, one byte at a time', () => {
    const text = 'é 😀 中文'
    const { state } = read(data(message(text, true)) + data('[DONE]'), 1)
    expect(state.text).toBe(text)
  })
})

describe('ReplyReader: 2023 shape', () => {
  const event = (role: string, id: string, text: string, extra: Record<string, unknown> = {}) => ({
    message: {
      id,
      author: { role, name: null, metadata: {} },
      create_time: 1,
      update_time: null,
      content: { content_type: 'text', parts: [text] },
      status: 'in_progress',
      end_turn: null,
      weight: role === 'system' ? 0 : 1,
      recipient: 'all',
      metadata: { model_slug: 'gpt-4o', parent_id: 'u1' },
      ...extra
    },
    conversation_id: 'c2',
    error: null
  })

  it('takes only the assistant text, skipping the hidden system message and the user echo', () => {
    const sse =
      data(event('system', 's1', '')) +
      data(event('user', 'u1', 'my prompt')) +
      'event: ping\ndata: \n\n' +
      data(event('assistant', 'a1', 'The')) +
      data(event('assistant', 'a1', 'The answer', {
        status: 'finished_successfully',
        end_turn: true,
        metadata: { model_slug: 'gpt-4o', parent_id: 'u1', finish_details: { type: 'stop' } }
      })) +
      data({ conversation_id: 'c2', message_id: 'a1', is_completion: true, moderation_response: { flagged: false, blocked: false, moderation_id: 'x' } }) +
      data({ type: 'moderation', conversation_id: 'c2' }) +
      data('[DONE]  ')
    const { state, texts } = read(sse, 7)
    expect(texts).toEqual(['The', 'The answer'])
    expect(state).toMatchObject({
      text: 'The answer',
      messageId: 'a1',
      conversationId: 'c2',
      parentMessageId: 'u1',
      model: 'gpt-4o',
      finished: true,
      finishReason: 'stop'
    })
  })

  it('ignores tool messages and assistant messages addressed elsewhere', () => {
    const sse =
      data(event('assistant', 'a1', 'search("x")', { recipient: 'browser' })) +
      data(event('tool', 't1', 'results')) +
      data(event('assistant', 'a2', 'Found it', { status: 'finished_successfully' }))
    const { state } = read(sse)
    expect(state).toMatchObject({ text: 'Found it', messageId: 'a2', finished: true })
  })

  it('reports max_tokens as the finish reason', () => {
    const sse = data(event('assistant', 'a1', 'cut', {
      status: 'finished_successfully',
      end_turn: false,
      metadata: { finish_details: { type: 'max_tokens' } }
    }))
    expect(read(sse).state).toMatchObject({ finished: true, finishReason: 'max_tokens' })
  })

  it('turns an error event and a detail event into stream errors that keep the partial text', () => {
    for (const bad of [{ error: 'Something went wrong' }, { detail: 'Something went wrong' }, { error: { message: 'Something went wrong', code: 'x' } }]) {
      const { steps } = read(data(event('assistant', 'a1', 'partial')) + data(bad))
      const last = steps.at(-1)!
      expect(last.kind).toBe('error')
      const error = (last as { error: ChatGPTError }).error
      expect(error.code).toBe('stream_error')
      expect(error.message).toContain('Something went wrong')
      expect(error.partialText).toBe('partial')
    }
  })
})

describe('ReplyReader: 2024 v1 delta encoding', () => {
  const start = {
    p: '',
    o: 'add',
    v: {
      message: {
        id: 'a1',
        author: { role: 'assistant', name: null, metadata: {} },
        content: { content_type: 'text', parts: [''] },
        status: 'in_progress',
        end_turn: null,
        recipient: 'all',
        metadata: {}
      },
      conversation_id: 'c3',
      error: null
    },
    c: 0
  }

  it('applies add, sticky append, and a final patch', () => {
    const sse =
      data('"v1"', 'delta_encoding') +
      data(start, 'delta') +
      data({ p: '/message/content/parts/0', o: 'append', v: 'Hel' }, 'delta') +
      data({ v: 'lo' }, 'delta ') +
      data({ v: ' wörld' }, 'delta') +
      data({
        p: '',
        o: 'patch',
        v: [
          { p: '/message/content/parts/0', o: 'append', v: '!' },
          { p: '/message/status', o: 'replace', v: 'finished_successfully' },
          { p: '/message/end_turn', o: 'replace', v: true },
          { p: '/message/metadata', o: 'append', v: { finish_details: { type: 'stop' }, model_slug: 'gpt-4o' } }
        ]
      }, 'delta') +
      data('[DONE]')
    const { state, texts } = read(sse, 3)
    expect(texts).toEqual(['Hel', 'Hello', 'Hello wörld', 'Hello wörld!'])
    expect(state).toMatchObject({ text: 'Hello wörld!', messageId: 'a1', conversationId: 'c3', finished: true, model: 'gpt-4o' })
  })

  it('ignores the hidden messages added before the reply', () => {
    const system = structuredClone(start)
    system.v.message.id = 's1'
    system.v.message.author.role = 'system'
    const sse =
      data('"v1"', 'delta_encoding') +
      data(system, 'delta') +
      data({ p: '/message/content/parts/0', o: 'append', v: 'hidden' }, 'delta') +
      data(start, 'delta') +
      data({ p: '/message/content/parts/0', o: 'append', v: 'shown' }, 'delta')
    expect(read(sse).texts).toEqual(['shown'])
  })

  it('refuses paths that reach the prototype', () => {
    const sse =
      data(start, 'delta') +
      data({ p: '/__proto__/polluted', o: 'replace', v: true }, 'delta') +
      data({ p: '/message/constructor/prototype/polluted', o: 'replace', v: true }, 'delta')
    read(sse)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('SSEDecoder bounds', () => {
  it('fails with invalid_response on an event larger than its buffer', () => {
    const decoder = new SSEDecoder(() => {}, 1024)
    expect(() => decoder.push(encoder.encode(`data: ${'x'.repeat(4096)}`))).toThrow(ChatGPTError)
    try {
      new SSEDecoder(() => {}, 1024).push(encoder.encode(`data: ${'x'.repeat(4096)}`))
    } catch (error) {
      expect((error as ChatGPTError).code).toBe('invalid_response')
    }
  })

  it('flushes a last event that lacks its blank line', () => {
    const events: SSEEvent[] = []
    const decoder = new SSEDecoder((event) => events.push(event))
    decoder.push(encoder.encode('data: [DONE]'))
    decoder.end()
    expect(events).toEqual([{ event: undefined, data: '[DONE]' }])
  })
})
