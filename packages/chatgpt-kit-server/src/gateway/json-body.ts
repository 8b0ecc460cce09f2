/**
 * A request's JSON body, read with a bound: a client may send gigabytes, or dribble bytes for
 * ever (the server's own request timeout ends that); past `maxBytes` the read stops at once with
 * a 413, before the rest arrives.
 */
import { apiError, type ApiError } from './api-error.js'

export async function readJsonBody(request: Request, maxBytes: number): Promise<{ ok: true; body: unknown } | { ok: false; error: ApiError }> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) return { ok: false, error: tooLarge(maxBytes) }
  if (!request.body) return { ok: false, error: apiError(400, 'The request has no body; send the chat request as JSON') }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        return { ok: false, error: tooLarge(maxBytes) }
      }
      chunks.push(value)
    }
  } catch {
    return { ok: false, error: apiError(400, 'The request body could not be read') }
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  const text = new TextDecoder().decode(bytes)
  try {
    return { ok: true, body: JSON.parse(text) }
  } catch {
    return { ok: false, error: apiError(400, 'The request body is not valid JSON', { code: 'invalid_json' }) }
  }
}

function tooLarge(maxBytes: number): ApiError {
  return apiError(413, `The request body is larger than ${maxBytes} bytes`, { code: 'request_too_large' })
}
