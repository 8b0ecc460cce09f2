/**
 * The embedded conversation store for one machine: a SQLite file (better-sqlite3), shared by
 * every process on the machine that opens the same path.
 *
 * Each record is one row holding its JSON, written in one statement, so a record reads as one put
 * wrote it: SQLite's journal rolls back a write that a crash cut off. The file is in WAL mode
 * (readers don't block the writer, and several processes can share it) with `synchronous=NORMAL`:
 * nothing is lost when a process crashes; a power cut may lose the last writes, never corrupt the
 * file.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

import Database from 'better-sqlite3'
import { ChatGPTError, type ConversationBinding, type ConversationStore, type StoredMessage } from 'chatgpt-kit'
import { assertRecordId, checkBinding, checkStoredMessage, storeClosedError } from 'chatgpt-kit/internal'

/** The defaults of {@link SqliteStore}'s options. */
export const SQLITE_STORE_DEFAULTS = {
  /** How long a write waits for another process's write to finish before failing. */
  busyTimeoutMs: 5000
} as const

/** Options of {@link SqliteStore}. */
export type SqliteStoreOptions = {
  /** The database file; its folder is created if missing. */
  path: string
  /** @defaultValue 5000 */
  busyTimeoutMs?: number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bindings (conversation_id TEXT PRIMARY KEY, record TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, record TEXT NOT NULL) WITHOUT ROWID;
`

/**
 * A {@link ConversationStore} in a SQLite file.
 *
 * @example
 * ```ts
 * import { ChatGPTAccountPool } from 'chatgpt-kit'
 * import { SqliteStore } from 'chatgpt-kit-server'
 *
 * const store = SqliteStore.open({ path: './state/conversations.sqlite' })
 * const pool = new ChatGPTAccountPool({ accounts, store })
 * ```
 */
export class SqliteStore implements ConversationStore {
  readonly #db: Database.Database
  readonly #path: string
  readonly #statements: ReturnType<typeof prepare>
  #closed = false

  private constructor(db: Database.Database, path: string) {
    this.#db = db
    this.#path = path
    this.#statements = prepare(db)
  }

  /**
   * Opens (or creates) the store at `options.path`.
   *
   * @throws ChatGPTError `store_unavailable` when the file can't be opened or isn't a database of
   *   this store; `invalid_argument` for a missing path.
   */
  static open(options: SqliteStoreOptions): SqliteStore {
    const path = options?.path
    if (typeof path !== 'string' || path === '') {
      throw new ChatGPTError('SqliteStore needs a file path', { code: 'invalid_argument' })
    }
    let db: Database.Database | undefined
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
      db = new Database(path)
      db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? SQLITE_STORE_DEFAULTS.busyTimeoutMs)}`)
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.exec(SCHEMA)
      return new SqliteStore(db, path)
    } catch (error) {
      db?.close()
      throw unavailable(path, error)
    }
  }

  async getBinding(conversationId: string): Promise<ConversationBinding | undefined> {
    assertRecordId('conversationId', conversationId)
    return this.#read('binding', () => this.#statements.getBinding.get(conversationId) as Row | undefined)
  }

  async putBinding(binding: ConversationBinding): Promise<void> {
    const record = checkBinding(binding)
    this.#write(() => this.#statements.putBinding.run(record.conversationId, JSON.stringify(record)))
  }

  async deleteBinding(conversationId: string): Promise<void> {
    assertRecordId('conversationId', conversationId)
    this.#write(() => this.#statements.deleteBinding.run(conversationId))
  }

  async getMessage(messageId: string): Promise<StoredMessage | undefined> {
    assertRecordId('messageId', messageId)
    return this.#read('message', () => this.#statements.getMessage.get(messageId) as Row | undefined)
  }

  async putMessage(message: StoredMessage): Promise<void> {
    const record = checkStoredMessage(message)
    this.#write(() => this.#statements.putMessage.run(record.id, JSON.stringify(record)))
  }

  async deleteMessage(messageId: string): Promise<void> {
    assertRecordId('messageId', messageId)
    this.#write(() => this.#statements.deleteMessage.run(messageId))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#db.close()
  }

  #read<T>(what: string, read: () => Row | undefined): T | undefined {
    if (this.#closed) throw storeClosedError()
    let row: Row | undefined
    try {
      row = read()
    } catch (error) {
      throw unavailable(this.#path, error)
    }
    if (row === undefined) return undefined
    try {
      return JSON.parse(row.record) as T
    } catch (error) {
      throw unavailable(this.#path, new Error(`a ${what} record is not JSON (the file was changed by something else)`))
    }
  }

  #write(write: () => unknown): void {
    if (this.#closed) throw storeClosedError()
    try {
      write()
    } catch (error) {
      throw unavailable(this.#path, error)
    }
  }
}

type Row = { record: string }

function prepare(db: Database.Database) {
  return {
    getBinding: db.prepare('SELECT record FROM bindings WHERE conversation_id = ?'),
    putBinding: db.prepare('INSERT OR REPLACE INTO bindings (conversation_id, record) VALUES (?, ?)'),
    deleteBinding: db.prepare('DELETE FROM bindings WHERE conversation_id = ?'),
    getMessage: db.prepare('SELECT record FROM messages WHERE id = ?'),
    putMessage: db.prepare('INSERT OR REPLACE INTO messages (id, record) VALUES (?, ?)'),
    deleteMessage: db.prepare('DELETE FROM messages WHERE id = ?')
  }
}

function unavailable(path: string, error: unknown): ChatGPTError {
  const cause = error instanceof Error ? error.message : String(error)
  return new ChatGPTError(`The SQLite store at ${path} is unavailable: ${cause.slice(0, 200)}`, {
    code: 'store_unavailable',
    originalError: error
  })
}
