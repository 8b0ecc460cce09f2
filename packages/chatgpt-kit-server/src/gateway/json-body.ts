/**
 * A request's JSON body, read with a bound: a client may send gigabytes, or dribble bytes for
 * ever (the server's own request timeout ends that); past `maxBytes` the read stops at once with
 * a 413, before the rest arrives.
 */
import { apiError, type ApiError } from './api-error.js'

type JsonBody = { ok: true; body: unknown } | { ok: false; error: ApiError }

export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  const length = request.headers.get('content-length')
  const declared = length === null ? Number.NaN : Number(length)
  if (declared > maxBytes) return { ok: false, error: tooLarge(maxBytes) }
  // A declared length within the bound bounds the read already (the HTTP server frames the body
  // by it), so the body is read whole: on Node, @hono/node-server then reads it straight from the
  // socket instead of building a web Request and stream for it, about a tenth of a millisecond a
  // request (bench/gateway.mjs). Without one (chunked), it is read piece by piece and cut off.
  const bytes = Number.isInteger(declared) && declared >= 0 ? await readWhole(request) : await readBounded(request, maxBytes)
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: bytes }
  // Also whole reads: a Request built in code may declare less than its body holds.
  if (bytes.byteLength > maxBytes) return { ok: false, error: tooLarge(maxBytes) }
  if (bytes.byteLength === 0) return { ok: false, error: noBody() }
  const text = new TextDecoder().decode(bytes)
  try {
    return { ok: true, body: JSON.parse(text) }
  } catch {
    return { ok: false, error: apiError(400, 'The request body is not valid JSON', { code: 'invalid_json' }) }
  }
}

async function readWhole(request: Request): Promise<Uint8Array | ApiError> {
  try {
    return new Uint8Array(await request.arrayBuffer())
  } catch {
    return unreadable()
  }
}

async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array | ApiError> {
  if (!request.body) return noBody()
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
        return tooLarge(maxBytes)
      }
      chunks.push(value)
    }
  } catch {
    return unreadable()
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

function noBody(): ApiError {
  return apiError(400, 'The request has no body; send the chat request as JSON')
}

function unreadable(): ApiError {
  return apiError(400, 'The request body could not be read')
}

function tooLarge(maxBytes: number): ApiError {
  return apiError(413, `The request body is larger than ${maxBytes} bytes`, { code: 'request_too_large' })
}
