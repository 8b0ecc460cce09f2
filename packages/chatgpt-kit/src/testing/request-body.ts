import type { IncomingMessage } from 'node:http'

/**
 * A request body as read, before parsing: whole, refused past the size limit, or broken off by
 * the client. `size` is the body's length in bytes: for a refused body, its declared
 * `content-length`, or without one the bytes that had arrived when it was refused.
 */
export type RawBody =
  | { kind: 'complete'; bytes: Buffer; size: number }
  /** `head`: what arrived before the refusal (nothing when `content-length` already said too much). */
  | { kind: 'too-large'; head: Buffer; size: number }
  | { kind: 'broken'; head: Buffer; size: number }

/** The outcome of reading a request body, as the endpoints see it. */
export type BodyResult =
  | { kind: 'empty' }
  | { kind: 'json'; value: unknown }
  | { kind: 'invalid' }
  | { kind: 'too-large' }

/**
 * Reads a request body, holding at most `limit` bytes (plus one chunk) in memory. A body that
 * declares more is refused unread; one that turns out longer is refused as soon as it passes the
 * limit, and the rest is drained and dropped, never buffered: the caller answers 413 and closes
 * the connection, which ends the upload.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<RawBody> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      req.resume()
      resolve({ kind: 'too-large', head: Buffer.alloc(0), size: declared })
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const settle = (body: RawBody) => {
      if (settled) return
      settled = true
      chunks.length = 0
      resolve(body)
    }
    req.on('data', (chunk: Buffer) => {
      if (settled) return
      size += chunk.length
      chunks.push(chunk)
      if (size > limit) settle({ kind: 'too-large', head: Buffer.concat(chunks), size })
    })
    req.on('end', () => settle({ kind: 'complete', bytes: Buffer.concat(chunks), size }))
    // An aborted upload still gets an answer attempt; writing to a dead socket is harmless.
    const broken = () => settle({ kind: 'broken', head: Buffer.concat(chunks), size })
    req.on('error', broken)
    req.on('close', broken)
  })
}

/** What the endpoints make of a body: JSON, nothing, garbage, or too large. */
export function parseRequestBody(body: RawBody): BodyResult {
  if (body.kind === 'too-large') return { kind: 'too-large' }
  if (body.kind === 'broken') return { kind: 'invalid' }
  return parseJsonText(body.bytes.toString('utf8'))
}

/** Parses a body's text as JSON; blank is `empty`. */
export function parseJsonText(text: string): BodyResult {
  if (text.trim() === '') return { kind: 'empty' }
  try {
    return { kind: 'json', value: JSON.parse(text) }
  } catch {
    return { kind: 'invalid' }
  }
}
