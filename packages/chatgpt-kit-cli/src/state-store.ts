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

  /** This backend's state as of now (a consistent snapshot; no lock needed). */
  async read(): Promise<BackendState> {
    const file = await this.readFile()
    return file.backends[this.backend] ?? emptyBackend()
  }

  /**
   * Changes this backend's state: `change` runs on the current state under the lock, and what it
   * leaves is written back. Its return value is passed on.
   */
  async update<T>(change: (state: BackendState) => T): Promise<T> {
    const release = await acquireLock(`${this.path}.lock`, STATE_LOCK)
    try {
      const file = await this.readFile()
      const state = (file.backends[this.backend] ??= emptyBackend())
      const result = change(state)
      prune(state)
      if (!state.last && Object.keys(state.conversations).length === 0) delete file.backends[this.backend]
      await writeFileAtomic(this.path, JSON.stringify(file, null, 2) + '\n')
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
   */
  takeTurn(target: { name?: string }, options: { signal?: AbortSignal; onWait?: () => void }): Promise<Release> {
    const key = target.name === undefined ? 'last' : `name:${target.name}`
    const digest = createHash('sha256').update(`${this.backend}\0${key}`).digest('hex').slice(0, 24)
    return acquireLock(join(dirname(this.path), 'turns', `${digest}.lock`), {
      ...TURN_LOCK,
      waitMs: Infinity,
      ...options
    })
  }

  private async readFile(): Promise<StateFile> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, backends: {} }
      throw error
    }
    try {
      const parsed = JSON.parse(text) as StateFile
      if (parsed?.version === 1 && parsed.backends && typeof parsed.backends === 'object') return parsed
    } catch {
      // fall through: set the damaged file aside
    }
    const aside = `${this.path}.damaged-${Date.now()}`
    await rename(this.path, aside).catch(() => {})
    this.warn(`the state file was damaged; it was moved to ${aside} and a new one started`)
    return { version: 1, backends: {} }
  }
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
