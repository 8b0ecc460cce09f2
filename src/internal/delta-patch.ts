/**
 * The 2024 "v1 delta encoding" (PROTOCOL.md §2, shape 3): JSON-patch-like operations that build
 * a message document. `p` (path) and `o` (operation) are sticky: an op without them repeats the
 * previous ones, which is how most of a reply arrives (`{"v": "more text"}`).
 */

/** One operation as the server sends it. */
export type DeltaOp = { p?: unknown; o?: unknown; v?: unknown }

// Keys that would let a hostile stream reach Object.prototype through a path.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

type Container = Record<string, unknown> | unknown[]

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null
}

/** Splits a JSON pointer ("/message/content/parts/0") into keys, unescaping `~1` and `~0`. */
function parsePath(path: string): string[] | undefined {
  if (path === '') return []
  if (path.charCodeAt(0) !== 47 /* / */) return undefined
  const keys = path.slice(1).split('/')
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const unescaped = key.includes('~') ? key.replace(/~1/g, '/').replace(/~0/g, '~') : key
    if (FORBIDDEN_KEYS.has(unescaped)) return undefined
    keys[i] = unescaped
  }
  return keys
}

function appendTo(target: unknown, value: unknown): unknown {
  if (typeof target === 'string' && typeof value === 'string') return target + value
  if (Array.isArray(target)) {
    if (Array.isArray(value)) for (const item of value) target.push(item)
    else target.push(value)
    return target
  }
  if (isContainer(target) && isContainer(value) && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (!FORBIDDEN_KEYS.has(key)) (target as Record<string, unknown>)[key] = item
    }
    return target
  }
  // Appending to nothing (or to a different type) sets the value: the server starts fields so.
  return value
}

function applyAt(current: unknown, op: string, value: unknown): unknown {
  switch (op) {
    case 'add':
    case 'replace':
      return value
    case 'append':
      return appendTo(current, value)
    case 'truncate':
      return (typeof current === 'string' || Array.isArray(current)) && typeof value === 'number'
        ? current.slice(0, value)
        : current
    case 'remove':
      return undefined
    default:
      // An op this client does not know leaves the document as it was: better a stale field
      // than a failed reply.
      return current
  }
}

/**
 * Applies delta ops to one document. Holds the sticky path and op between events.
 */
export class DeltaDocument {
  /** The document built so far (`{message, conversation_id, error}` for a reply). */
  document: unknown = undefined
  private path = ''
  private keys: string[] = []
  private op = 'add'

  /** Applies one top-level op; `p` and `o` fall back to the previous ones. */
  apply(delta: DeltaOp): void {
    if (typeof delta.p === 'string' && delta.p !== this.path) {
      const keys = parsePath(delta.p)
      if (!keys) return
      this.path = delta.p
      this.keys = keys
    }
    if (typeof delta.o === 'string') this.op = delta.o
    try {
      this.applyOp(this.keys, this.op, delta.v)
    } catch {
      // An op the document cannot take (setting an array's `length` to -1, say) is ignored, as an
      // unknown op is: a hostile op must not fail the reply with a raw RangeError.
    }
  }

  private applyOp(keys: string[], op: string, value: unknown): void {
    if (op === 'patch') {
      if (!Array.isArray(value)) return
      // Ops inside a patch carry their own path and op; they do not touch the sticky ones.
      for (const inner of value as DeltaOp[]) {
        if (!isContainer(inner) || typeof inner.o !== 'string') continue
        const innerKeys = typeof inner.p === 'string' ? parsePath(inner.p) : keys
        if (innerKeys) this.applyOp(innerKeys, inner.o, inner.v)
      }
      return
    }
    if (keys.length === 0) {
      this.document = applyAt(this.document, op, value)
      return
    }
    if (!isContainer(this.document)) this.document = {}
    let parent = this.document as Container
    for (let i = 0; i < keys.length - 1; i++) {
      const key = keys[i]!
      const child = (parent as Record<string, unknown>)[key]
      if (isContainer(child)) {
        parent = child
      } else {
        // A path into a field the document lacks creates it, as JSON-patch `add` would.
        const created = {}
        ;(parent as Record<string, unknown>)[key] = created
        parent = created
      }
    }
    const last = keys[keys.length - 1]!
    const record = parent as Record<string, unknown>
    if (Array.isArray(parent) && last === '-') {
      if (op !== 'remove') parent.push(value)
      return
    }
    const next = applyAt(record[last], op, value)
    if (next === undefined) delete record[last]
    else record[last] = next
  }
}
