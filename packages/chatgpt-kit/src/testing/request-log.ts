import type { IncomingMessage } from 'node:http'

import { flattenHeaders } from './http-io.js'
import { parseJsonText, type RawBody } from './request-body.js'
import type { RecordedRequest } from './types.js'

/** What the log keeps of each request, at most. */
export interface RequestLogBounds {
  /** The most recent requests kept; older ones are dropped. */
  readonly maxRequests: number
  /** The most bytes of a body kept (as text). */
  readonly maxBodyBytes: number
}

/**
 * The requests a backend received, within bounds: the most recent `maxRequests`, each with at
 * most `maxBodyBytes` of its body, kept as text only. Headers and the URL are bounded by Node's
 * own header size limit (16 KiB by default). So a test that sends many big requests costs at
 * most `maxRequests × (maxBodyBytes + 16 KiB)`, not the sum of everything it sent.
 */
export class RequestLog {
  /** Oldest first; an ordinary array, so that callers filter and count it as they like. */
  readonly entries: RecordedRequest[] = []

  constructor(private readonly bounds: RequestLogBounds) {}

  /** Records a request whose body has been read; drops the oldest record past the bound. */
  add(req: IncomingMessage, path: string, body: RawBody, time: number): void {
    const bytes = body.kind === 'complete' ? body.bytes : body.head
    const kept = utf8Prefix(bytes, this.bounds.maxBodyBytes)
    this.entries.push(
      recordedRequest({
        method: req.method ?? 'GET',
        path,
        url: req.url ?? '/',
        headers: flattenHeaders(req),
        bodyText: kept.toString('utf8'),
        bodyBytes: body.size,
        bodyTruncated: body.kind !== 'complete' || kept.length < bytes.length,
        time
      })
    )
    const excess = this.entries.length - this.bounds.maxRequests
    if (excess > 0) this.entries.splice(0, excess)
  }

  clear(): void {
    this.entries.length = 0
  }
}

/**
 * A record whose `body` is parsed from `bodyText` when read: a parsed body can take many times
 * the memory of its text (`[[],[],…]`), so only the text is kept.
 */
function recordedRequest(fields: Omit<RecordedRequest, 'body'>): RecordedRequest {
  return {
    ...fields,
    get body(): unknown {
      if (fields.bodyTruncated) return undefined
      const parsed = parseJsonText(fields.bodyText)
      return parsed.kind === 'json' ? parsed.value : undefined
    }
  }
}

/** The longest start of `bytes` of at most `maxBytes` that does not cut a UTF-8 character. */
function utf8Prefix(bytes: Buffer, maxBytes: number): Buffer {
  if (bytes.length <= maxBytes) return bytes
  let end = maxBytes
  // Step back over continuation bytes (10xxxxxx) to the start of the character that was cut.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}
