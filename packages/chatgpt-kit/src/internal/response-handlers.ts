/**
 * What a good answer is made into, one handler per kind of request (see `transport.ts`): a JSON
 * value, or a reply stream's body to read event by event.
 */
import { ChatGPTError } from '../errors.js'
import { type BodyReader, readText } from './body-reader.js'
import { unexpectedAnswerError } from './http-error.js'
import type { ResponseHandler } from './transport.js'

/** A JSON answer, with the response it came in (for its headers). */
export type JsonAnswer = { value: unknown; response: Response }

/** Reads a bounded body and parses it as JSON; anything else is an `invalid_response`. */
export const jsonAnswer: ResponseHandler<JsonAnswer> = {
  accept: 'application/json',
  what: 'JSON',
  // Servers have labelled JSON text/plain; the parse below is the real check.
  accepts: () => true,
  async handle(response, body) {
    const { text, truncated } = await readText(body)
    if (truncated) {
      throw new ChatGPTError('ChatGPT answered with a body larger than this client accepts', {
        code: 'invalid_response',
        statusCode: response.status
      })
    }
    try {
      return { value: JSON.parse(text), response }
    } catch {
      throw unexpectedAnswerError(response, text, 'JSON')
    }
  }
}

/** A reply stream: the body, unread. A missing content type is given the benefit of the doubt. */
export const eventStream: ResponseHandler<BodyReader> = {
  accept: 'text/event-stream',
  what: 'a reply stream',
  accepts: (contentType) => contentType === '' || contentType.includes('text/event-stream'),
  async handle(response, body) {
    if (!body) {
      throw new ChatGPTError('ChatGPT answered with an empty body instead of a reply stream', {
        code: 'invalid_response',
        statusCode: response.status
      })
    }
    return body
  }
}
