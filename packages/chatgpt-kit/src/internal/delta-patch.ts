/**
 * The 2024 "v1 delta encoding" (the third stream shape): JSON-patch-like operations that build
 * a message document. `p` (path) and `o` (operation) are sticky: an op without them repeats the
 * previous ones, which is how most of a reply arrives (`{"v": "more text"}`).
 *
 * Two properties this module keeps, because a stream is hostile input:
 *
 * - **Bounded work per event.** Every op is charged for what it costs (the op, each path segment,
 *   each entry of a container it passes through or writes into, each item it appends) against
 *   {@link MAX_WORK_PER_EVENT}; paths are at most {@link MAX_PATH_DEPTH} segments and
 *   {@link MAX_PATH_CHARS} characters, and containers an op writes into or through hold at most
 *   {@link MAX_CONTAINER_ENTRIES} entries. The charge does not depend on whether a copy is really
 *   made, so whether an op applies never depends on who listens to the events.
 * - **Snapshots.** The document is persistent: an op never changes a container that a
 *   {@link DeltaDocument.snapshot} has handed out; it copies the containers on its path instead
 *   (strings are immutable, so they are shared for free). A snapshot is therefore just the current
 *   root, O(1), and the next op copies only its path: a few small objects. Containers made since
 *   the last snapshot are changed in place, so a reader that takes no snapshot copies nothing.
 *
 * An op over a limit is **ignored**, as an op this client does not know is: the limits sit far
 * above anything the server sends, so such an op is broken or hostile, and ignoring it costs at
 * most a stale field (the reply text lives on a short path of small containers, so a bloated
 * metadata field cannot take it down), while failing would turn a server that starts sending a
 * bigger field into failed replies. Ignoring is safe for CPU because refusing an op costs no more
 * than the budget; memory is bounded by `MAX_DELTA_DOCUMENT_CHARS` in `reply.ts`.
 */

/** One operation as the server sends it. */
export type DeltaOp = { p?: unknown; o?: unknown; v?: unknown }

/** One edit of a watched string: a piece appended, or the length it was cut to (`truncate`). */
export type WatchedEdit = string | number

/**
 * How the last {@link DeltaDocument.apply} changed the watched path: `edits` when all it did
 * there was to append to or cut the string it holds; `clobbered` when anything else may have
 * changed it (a write at, above or below the path).
 */
export type WatchedChanges = { readonly edits: readonly WatchedEdit[]; readonly clobbered: boolean }

/** A path longer than this many characters is ignored (real paths are ~30). */
export const MAX_PATH_CHARS = 1024

/** A path deeper than this many segments is ignored (real paths are under 10 deep). */
export const MAX_PATH_DEPTH = 32

/**
 * The most entries a container an op writes into or through may hold, before or after the op.
 * Real containers on a write path hold under ~40 (the message, its metadata). It also keeps the
 * objects this module copies small: V8 keeps an object of more than ~128 properties as a hash
 * table ("dictionary mode"), which copies tens of times slower per key.
 */
export const MAX_CONTAINER_ENTRIES = 100

/**
 * The most work units one event may cost: one per op, per path segment, per entry of a
 * container passed through or written into, per item appended or key merged. A real event costs
 * ~20 (an append to the text) to ~200 (the final patch); an op that would go past the budget is
 * ignored, and so is every op after it in the same event.
 */
export const MAX_WORK_PER_EVENT = 1024

// Keys that would let a hostile stream reach Object.prototype through a path.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

type Container = Record<string, unknown> | unknown[]

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null
}

/**
 * Splits a JSON pointer ("/message/content/parts/0") into keys, unescaping `~1` and `~0`;
 * `undefined` for a path this client refuses (malformed, too long, too deep, or through a
 * prototype key).
 */
export function parseDeltaPath(path: string): string[] | undefined {
  if (path === '') return []
  if (path.length > MAX_PATH_CHARS || path.charCodeAt(0) !== 47 /* / */) return undefined
  const keys = path.slice(1).split('/')
  if (keys.length > MAX_PATH_DEPTH) return undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const unescaped = key.includes('~') ? key.replace(/~1/g, '/').replace(/~0/g, '~') : key
    if (FORBIDDEN_KEYS.has(unescaped)) return undefined
    keys[i] = unescaped
  }
  return keys
}

/** The array index a key names (`'-'` = one past the end), or -1 when it names none. */
function arrayIndex(array: unknown[], key: string): number {
  if (key === '-') return array.length
  // Canonical decimal only: "01", "1e3" or "length" are not indices (nor anything past 9 digits).
  if (key.length === 0 || key.length > 9 || (key.length > 1 && key.charCodeAt(0) === 48 /* 0 */)) return -1
  let index = 0
  for (let i = 0; i < key.length; i++) {
    const digit = key.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return -1
    index = index * 10 + digit
  }
  return index
}

/** Why an op left the document as it was (the caller only needs to know that it did). */
const IGNORED: unique symbol = Symbol('ignored')
/** The op removes the entry at its path. */
const REMOVED: unique symbol = Symbol('removed')

/** Ran out of the event's work budget: the op is ignored, and so is the rest of the event. */
class OverBudget extends Error {}

/**
 * Applies delta ops to one document. Holds the sticky path and op between events.
 *
 * @example
 * ```ts
 * const doc = new DeltaDocument()
 * doc.apply({ p: '', o: 'add', v: { message: { content: { parts: [''] } } } })
 * doc.apply({ p: '/message/content/parts/0', o: 'append', v: 'Hel' })
 * const before = doc.snapshot()
 * doc.apply({ v: 'lo' }) // sticky path and op
 * // before.message.content.parts[0] is still 'Hel'; doc.snapshot()'s is 'Hello'
 * ```
 */
export class DeltaDocument {
  #root: unknown = undefined
  /** The sticky path as sent, and its keys (`undefined`: refused, so sticky ops are ignored). */
  #path = ''
  #keys: string[] | undefined = []
  #op = 'add'
  /**
   * Containers made since the last snapshot: no snapshot holds them, so ops may change them in
   * place. A plain Set, emptied by each snapshot: weak collections cost the garbage collector
   * more than these few short-lived entries do.
   */
  readonly #owned = new Set<object>()
  /** Objects counted once as over the cap, so that they are not counted again on every op. */
  readonly #oversized = new WeakSet<object>()
  #spent = 0
  #work = 0
  /** The watched path's keys (see the constructor), and what the current event did there. */
  readonly #watch: string[] | undefined
  #watchEdits: WatchedEdit[] = []
  #watchClobbered = false

  /**
   * @param watchPath - A path (e.g. the reply text's) whose edits {@link DeltaDocument.watched}
   *   reports, so that a reader can follow the string there without reading it whole.
   */
  constructor(watchPath?: string) {
    this.#watch = watchPath === undefined ? undefined : parseDeltaPath(watchPath)
  }

  /** What the last {@link DeltaDocument.apply} did at the watched path (see {@link WatchedChanges}). */
  get watched(): WatchedChanges {
    return { edits: this.#watchEdits, clobbered: this.#watchClobbered }
  }

  /**
   * Work units charged so far, over all events (see {@link MAX_WORK_PER_EVENT}); for tests and
   * diagnostics that check the cost of a stream without timing it. Refused work is not counted:
   * refusing it costs O(1).
   */
  get work(): number {
    return this.#work
  }

  /**
   * The document as it is now, for reading at once: the next op may change it in place. Keep a
   * {@link DeltaDocument.snapshot} instead.
   */
  get live(): unknown {
    return this.#root
  }

  /**
   * The document as of now (`{message, conversation_id, error}` for a reply), or `undefined`
   * before the first op. Later ops never change it: they copy what they touch. Treat it as
   * read-only, as it shares unchanged parts with later snapshots. O(1), but it makes the next op
   * copy the containers on its path, so take one only when someone keeps it.
   */
  snapshot(): unknown {
    this.#owned.clear()
    return this.#root
  }

  /** The path (as sent) and op the last {@link DeltaDocument.apply} used, sticky ones included. */
  get lastOp(): { path: string; op: string } {
    return { path: this.#path, op: this.#op }
  }

  /** Applies one top-level op (one event); `p` and `o` fall back to the previous ones. */
  apply(delta: DeltaOp): void {
    this.#spent = 0
    if (this.#watchEdits.length > 0) this.#watchEdits = []
    this.#watchClobbered = false
    if (typeof delta.p === 'string' && delta.p !== this.#path) {
      this.#path = delta.p
      this.#keys = parseDeltaPath(delta.p)
    }
    if (typeof delta.o === 'string') this.#op = delta.o
    try {
      this.#charge(1)
      if (this.#keys) this.#applyOp(this.#keys, this.#op, delta.v)
    } catch {
      // Past the budget (OverBudget), the op and the rest of the event are ignored: see the module
      // comment. Anything else the document cannot take is ignored as an unknown op is: a hostile
      // op must not fail the reply with a raw exception. Either way nothing was half-written, as
      // an op changes only containers no snapshot holds, after its checks.
    }
  }

  /** Counts work about to be done, or refuses it (throwing OverBudget) when the event's budget is spent. */
  #charge(units: number): void {
    if (this.#spent + units > MAX_WORK_PER_EVENT) throw new OverBudget()
    this.#spent += units
    this.#work += units
  }

  #applyOp(keys: string[], op: string, value: unknown): void {
    if (op === 'patch') {
      if (!Array.isArray(value)) return
      // Each inner op costs at least its unit: a patch bigger than the budget is refused whole,
      // before a single op of it runs.
      this.#charge(value.length)
      // Ops inside a patch carry their own path and op; they do not touch the sticky ones.
      for (const inner of value as DeltaOp[]) {
        if (!isContainer(inner) || typeof inner.o !== 'string') continue
        const innerKeys = typeof inner.p === 'string' ? parseDeltaPath(inner.p) : keys
        if (innerKeys) this.#applyOp(innerKeys, inner.o, inner.v)
      }
      return
    }
    this.#charge(keys.length)

    // First walk the path without changing anything, so that an op refused halfway (over a
    // limit) leaves no trace. `parents[i]` holds `keys[i]`; `undefined` = to be created.
    const parents: (Container | undefined)[] = []
    let node: unknown = this.#root
    for (let i = 0; i < keys.length; i++) {
      const parent = isContainer(node) ? node : undefined
      const key = keys[i]!
      let child: unknown
      if (Array.isArray(parent)) {
        const index = arrayIndex(parent, key)
        const isLast = i === keys.length - 1
        // Inside an array, a path may only name an item (or, last, the slot past the end):
        // `parts/length` or `parts/1000000000` would make the array something no server sends.
        if (index < 0 || index > parent.length || (!isLast && index === parent.length)) return
        child = parent[index]
      } else if (parent) {
        child = Object.hasOwn(parent, key) ? parent[key] : undefined
      }
      if (parent) {
        const entries = this.#entriesOf(parent)
        if (entries > MAX_CONTAINER_ENTRIES) return
        this.#charge(entries)
      }
      parents.push(parent)
      node = child
    }

    const current = keys.length === 0 ? this.#root : node
    const next = this.#valueAfter(op, current, value)
    if (next === IGNORED) return
    // Before the check below: a merge into an owned container changes it in place, so `next` is
    // `current` although the contents changed.
    if (this.#watch) this.#noteWatched(keys, op, current, value)
    if (next === current) return
    if (keys.length === 0) {
      this.#root = next === REMOVED ? undefined : next
      return
    }
    this.#writeAlong(parents, keys, next)
  }

  /**
   * Records a change about to be written at `keys`, when it touches the watched path: an append
   * of a string to the string there, or a cut of it to a length, is an edit; anything else on the
   * same line (the path itself, an ancestor, a descendant, or an array's `-`) clobbers it.
   */
  #noteWatched(keys: string[], op: string, current: unknown, value: unknown): void {
    const watch = this.#watch!
    const shared = Math.min(keys.length, watch.length)
    for (let i = 0; i < shared; i++) if (keys[i] !== watch[i] && keys[i] !== '-') return
    if (keys.length === watch.length && typeof current === 'string') {
      if (op === 'append' && typeof value === 'string') {
        this.#watchEdits.push(value)
        return
      }
      if (op === 'truncate' && Number.isInteger(value) && (value as number) >= 0) {
        this.#watchEdits.push(value as number)
        return
      }
    }
    this.#watchClobbered = true
  }

  /** The new value at the path, or IGNORED; may change `current` itself when this document owns it. */
  #valueAfter(op: string, current: unknown, value: unknown): unknown {
    switch (op) {
      case 'add':
      case 'replace':
        return value
      case 'remove':
        return REMOVED
      case 'append':
        return this.#appended(current, value)
      case 'truncate':
        if (typeof current === 'string' && typeof value === 'number') return current.slice(0, value)
        if (Array.isArray(current) && typeof value === 'number') {
          if (current.length > MAX_CONTAINER_ENTRIES) return IGNORED
          this.#charge(current.length)
          return current.slice(0, value)
        }
        return IGNORED
      default:
        // An op this client does not know leaves the document as it was: better a stale field
        // than a failed reply.
        return IGNORED
    }
  }

  #appended(target: unknown, value: unknown): unknown {
    if (typeof target === 'string' && typeof value === 'string') return target + value
    if (Array.isArray(target)) {
      const items = Array.isArray(value) ? value : [value]
      if (target.length + items.length > MAX_CONTAINER_ENTRIES) return IGNORED
      this.#charge(target.length + items.length)
      // A loop, not push(...items): a spread of >120k items overflows the stack.
      const result = this.#owned.has(target) ? target : this.#own(target.slice())
      for (const item of items) result.push(item)
      return result
    }
    if (isContainer(target) && isContainer(value) && !Array.isArray(value)) {
      const size = this.#entriesOf(target)
      const keys = this.#keysOf(value)
      if (size > MAX_CONTAINER_ENTRIES || keys.length > MAX_CONTAINER_ENTRIES) return IGNORED
      this.#charge(size + keys.length)
      let added = 0
      for (const key of keys) if (!Object.hasOwn(target, key)) added++
      if (size + added > MAX_CONTAINER_ENTRIES) return IGNORED
      const result = this.#owned.has(target) ? target : this.#copy(target)
      for (const key of keys) (result as Record<string, unknown>)[key] = (value as Record<string, unknown>)[key]
      return result
    }
    // Appending to nothing (or to a different type) sets the value: the server starts fields so.
    return value
  }

  /**
   * Puts `next` at the end of the path: containers a snapshot may hold are copied (bottom-up),
   * the first owned one is changed in place, and its ancestors, owned too, already point to it.
   */
  #writeAlong(parents: (Container | undefined)[], keys: string[], next: unknown): void {
    let child: unknown = next
    for (let i = keys.length - 1; i >= 0; i--) {
      const parent = parents[i]
      const key = keys[i]!
      const inPlace = parent !== undefined && this.#owned.has(parent)
      const target = inPlace ? parent : parent ? this.#copy(parent) : this.#created()
      if (child === REMOVED) {
        if (!this.#remove(target, key)) return
      } else if (!this.#put(target, key, child)) {
        return
      }
      if (inPlace) return
      child = target
    }
    this.#root = child
  }

  /** Sets `key` of an owned container; false (and no change) when that would break a limit. */
  #put(target: Container, key: string, value: unknown): boolean {
    if (Array.isArray(target)) {
      const index = arrayIndex(target, key)
      if (index === target.length && target.length >= MAX_CONTAINER_ENTRIES) return false
      target[index] = value
      return true
    }
    if (!Object.hasOwn(target, key) && this.#entriesOf(target) >= MAX_CONTAINER_ENTRIES) return false
    target[key] = value
    return true
  }

  #remove(target: Container, key: string): boolean {
    if (Array.isArray(target)) {
      const index = arrayIndex(target, key)
      if (index >= target.length) return false
      // JSON-patch `remove` closes the gap; `delete` would leave a hole.
      target.splice(index, 1)
      return true
    }
    if (!Object.hasOwn(target, key)) return false
    delete target[key]
    return true
  }

  /** A shallow copy this document owns. */
  #copy<T extends Container>(container: T): T {
    return this.#own((Array.isArray(container) ? container.slice() : { ...container }) as T)
  }

  /** A new object for a path through a field the document lacks (as JSON-patch `add` would). */
  #created(): Record<string, unknown> {
    return this.#own({})
  }

  #own<T extends Container>(container: T): T {
    this.#owned.add(container)
    return container
  }

  /**
   * How many entries a container holds, or Infinity for an object already found over the cap.
   * Counting an object is O(keys) but only up to the cap in the common case: a bigger one is
   * remembered, so it is counted once, not on every op that tries to pass through it.
   */
  #entriesOf(container: Container): number {
    if (Array.isArray(container)) return container.length
    if (this.#oversized.has(container)) return Infinity
    const size = Object.keys(container).length
    if (size > MAX_CONTAINER_ENTRIES) this.#oversized.add(container)
    return size
  }

  /** The keys an object value merges (prototype keys left out); all of them, as the event carries them. */
  #keysOf(value: object): string[] {
    const keys = Object.keys(value)
    return keys.some((key) => FORBIDDEN_KEYS.has(key)) ? keys.filter((key) => !FORBIDDEN_KEYS.has(key)) : keys
  }
}
