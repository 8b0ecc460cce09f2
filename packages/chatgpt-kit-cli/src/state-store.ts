/**
 * The conversations the command remembers, per backend: the last one (`-c`), named ones (`-n`),
 * and the id of the reply each continues from.
 *
 * One JSON file in the state directory, shared by every `chatgpt` process. Writes are atomic
 * (temporary file + rename), so a reader never sees half a file and needs no lock. Every change
 * is a read-modify-write under a short lock file, so two commands finishing together both land:
 * neither overwrites the other's update with a stale copy.
 *
 * Sending to an existing conversation also takes a per-conversation "turn" lock for the whole
 * reply (see {@link StateStore.takeTurn}), so `chatgpt -c` run twice at once makes one thread,
 * the second message answering the first reply, instead of two siblings.
 */
import { createHash } from 'node:crypto'
import { readFile, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'

import { writeFileAtomic } from './atomic-write.js'
import { CliError } from './cli-error.js'
import { acquireLock, type Release } from './file-lock.js'

/** A conversation the command has sent to. */
export type ConversationRecord = {
  conversationId: string
  /** The assistant message the next message answers. */
  parentMessageId: string
  /** The `-n` name, unique per backend. */
  name?: string
  /** ISO time of the last reply. */
  updatedAt: string
}

/** What is remembered for one backend. */
export type BackendState = {
  /** The conversation `-c` continues. */
  last?: string
  /** By conversation id. */
  conversations: Record<string, ConversationRecord>
}

type StateFile = { version: 1; backends: Record<string, BackendState> }

/** Unnamed conversations kept per backend; the oldest go first. Named ones are always kept. */
const MAX_UNNAMED = 200

const STATE_LOCK = { staleMs: 10_000, waitMs: 15_000 }
const TURN_LOCK = { staleMs: 30_000, heartbeatMs: 5_000 }

const emptyBackend = (): BackendState => ({ conversations: {} })

export class StateStore {
  /**
   * @param path - the state file
   * @param backend - the backend's root URL; conversations of other backends are kept apart,
   *   since an id means nothing to another server
   * @param warn - told about a damaged state file (which is set aside, not lost)
   */
  constructor(
    readonly path: string,
    readonly backend: string,
    private readonly warn: (line: string) => void = () => {}
  ) {}

  /** The directory the state lives in (named by errors and warnings). */
  get directory(): string {
    return dirname(this.path)
  }

  /**
   * This backend's state as of now (a consistent snapshot; no lock needed).
   *
   * @throws StateDirectoryError when the state exists but cannot be read
   */
  async read(): Promise<BackendState> {
    const file = await this.readFile()
    return file.backends[this.backend] ?? emptyBackend()
  }

  /**
   * Changes this backend's state: `change` runs on the current state under the lock, and what it
   * leaves is written back. Its return value is passed on.
   *
   * @throws StateDirectoryError when the state directory cannot be read or written;
   *   LockTimeoutError when another command held the lock too long
   */
  async update<T>(change: (state: BackendState) => T): Promise<T> {
    const release = await acquireLock(`${this.path}.lock`, STATE_LOCK).catch((error: unknown) => {
      throw asDirectoryError(this.directory, error, 'written')
    })
    try {
      const file = await this.readFile()
      const state = (file.backends[this.backend] ??= emptyBackend())
      const result = change(state)
      prune(state)
      if (!state.last && Object.keys(state.conversations).length === 0) delete file.backends[this.backend]
      await writeFileAtomic(this.path, JSON.stringify(file, null, 2) + '\n').catch((error: unknown) => {
        throw asDirectoryError(this.directory, error, 'written')
      })
      return result
    } finally {
      await release()
    }
  }

  /** Records a reply: the conversation now continues from it, and it becomes the last one. */
  recordReply(reply: { conversationId: string; messageId: string; name?: string }): Promise<void> {
    return this.update((state) => {
      const { conversationId, messageId, name } = reply
      if (name !== undefined) {
        for (const record of Object.values(state.conversations)) {
          if (record.name === name && record.conversationId !== conversationId) delete record.name
        }
      }
      const previous = state.conversations[conversationId]
      state.conversations[conversationId] = {
        conversationId,
        parentMessageId: messageId,
        ...((name ?? previous?.name) !== undefined && { name: name ?? previous?.name }),
        updatedAt: new Date().toISOString()
      }
      state.last = conversationId
    })
  }

  /** Forgets conversations (deleted on the server); `undefined` forgets all of this backend's. */
  forget(conversationIds?: string[]): Promise<void> {
    return this.update((state) => {
      if (!conversationIds) {
        state.conversations = {}
        delete state.last
        return
      }
      for (const id of conversationIds) {
        delete state.conversations[id]
        if (state.last === id) delete state.last
      }
    })
  }

  /**
   * Takes the turn of a conversation (`-c`: the last one; `-n NAME`: that name) for the length of
   * one reply: other commands continuing the same conversation wait, then continue from this
   * reply. Held by a heartbeat; a holder that dies frees it at once (same host) or after 30 s.
   *
   * @throws StateDirectoryError when the state directory cannot be written
   */
  async takeTurn(target: { name?: string }, options: { signal?: AbortSignal; onWait?: () => void }): Promise<Release> {
    const key = target.name === undefined ? 'last' : `name:${target.name}`
    const digest = createHash('sha256').update(`${this.backend}\0${key}`).digest('hex').slice(0, 24)
    return acquireLock(join(this.directory, 'turns', `${digest}.lock`), {
      ...TURN_LOCK,
      waitMs: Infinity,
      ...options
    }).catch((error: unknown) => {
      throw asDirectoryError(this.directory, error, 'written')
    })
  }

  private async readFile(): Promise<StateFile> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      // No file, or a file where a directory should be (ENOTDIR): there is no state yet.
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return { version: 1, backends: {} }
      throw asDirectoryError(this.directory, error, 'read')
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    // Valid JSON of another shape is as damaged as invalid JSON: every command would trip on it.
    if (isStateFile(parsed)) return parsed
    const aside = `${this.path}.damaged-${Date.now()}`
    try {
      await rename(this.path, aside)
      this.warn(`the state file ${this.path} was damaged; it was moved to ${aside} and a new one started`)
    } catch {
      // It is replaced at the next write; there is nothing else to keep it from.
      this.warn(`the state file ${this.path} was damaged and could not be moved aside; a new one replaces it`)
    }
    return { version: 1, backends: {} }
  }
}

/** The state directory could not be read or written (the message names it, and why). */
export class StateDirectoryError extends CliError {
  constructor(
    readonly directory: string,
    readonly reason: string
  ) {
    super(`${directory} ${reason}; fix that, or set XDG_STATE_HOME to a directory chatgpt may write`)
    this.name = 'StateDirectoryError'
  }
}

/** A file system failure in the state directory as a StateDirectoryError; anything else as is. */
function asDirectoryError(directory: string, error: unknown, doing: 'read' | 'written'): unknown {
  const failure = error as NodeJS.ErrnoException
  if (!(error instanceof Error) || typeof failure.code !== 'string' || typeof failure.syscall !== 'string') return error
  // Node's message is "EACCES: permission denied, open '/path'": keep the words and the code.
  const words = /^[A-Z0-9_]+: (.*?)(?:, \w+ '.*')?$/.exec(failure.message)?.[1] ?? failure.message
  return new StateDirectoryError(directory, `cannot be ${doing} (${words}, ${failure.code})`)
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string'

/** The whole shape, down to each record: what the commands rely on without checking again. */
function isStateFile(value: unknown): value is StateFile {
  if (!isObject(value) || value.version !== 1 || !isObject(value.backends)) return false
  return Object.values(value.backends).every(
    (backend) =>
      isObject(backend) &&
      isOptionalString(backend.last) &&
      isObject(backend.conversations) &&
      Object.entries(backend.conversations).every(
        ([id, record]) =>
          isObject(record) &&
          record.conversationId === id &&
          typeof record.parentMessageId === 'string' &&
          typeof record.updatedAt === 'string' &&
          isOptionalString(record.name)
      )
  )
}

/** The record of a `-n` name. */
export function findByName(state: BackendState, name: string): ConversationRecord | undefined {
  return Object.values(state.conversations).find((record) => record.name === name)
}

/** The record of the last conversation. */
export function lastConversation(state: BackendState): ConversationRecord | undefined {
  return state.last ? state.conversations[state.last] : undefined
}

function prune(state: BackendState): void {
  const unnamed = Object.values(state.conversations)
    .filter((record) => record.name === undefined && record.conversationId !== state.last)
    .sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))
  for (const record of unnamed.slice(0, Math.max(0, unnamed.length - MAX_UNNAMED))) {
    delete state.conversations[record.conversationId]
  }
}
