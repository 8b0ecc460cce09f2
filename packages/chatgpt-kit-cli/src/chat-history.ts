/**
 * The `chatgpt chat` input history: one file in the state directory, one input per line. Prompts
 * can be private, so the file is the user's alone (mode 0600, also when an older version left it
 * readable by others), and it is never reached through a symbolic link: one planted in its place
 * could otherwise have the prompts appended to, or the history read from, any file the user can
 * write or read.
 */
import { constants } from 'node:fs'
import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'

import { writeFileAtomic } from './atomic-write.js'

const MODE = 0o600

// Windows has neither (nor symlinks a user can plant without privileges). O_NONBLOCK: a FIFO
// planted in the file's place must not hang the session in `open`.
const FLAGS = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/**
 * Thrown when the history file is a symbolic link or not a regular file: it is then neither read
 * nor written, and the session goes on without history.
 */
export class HistoryFileError extends Error {
  constructor(
    readonly path: string,
    what: string
  ) {
    super(`${path} ${what}, so the chat history is neither read nor written; remove it to keep a history`)
    this.name = 'HistoryFileError'
  }
}

/**
 * Earlier sessions' inputs, newest first (as readline wants them), at most `max`. The file is
 * trimmed now and then, so it stays small.
 * @returns `[]` when there is no history yet.
 * @throws HistoryFileError when the file is a symbolic link or not a regular file.
 */
export async function loadHistory(path: string, max: number): Promise<string[]> {
  const handle = await openHistory(path, constants.O_RDONLY)
  if (!handle) return []
  let text: string
  try {
    await checkFile(handle, path)
    text = await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
  const lines = text.split('\n').filter(Boolean)
  const kept = lines.slice(-max)
  if (lines.length > 2 * max) await writeFileAtomic(path, kept.join('\n') + '\n', MODE)
  return kept.map(unescapeLine).reverse()
}

/**
 * Adds an input at the end of the history, creating the file (mode 0600) and its directory
 * (0700) if needed.
 * @throws HistoryFileError when the file is a symbolic link or not a regular file.
 */
export async function appendHistory(path: string, input: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const handle = await openHistory(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT)
  if (!handle) return
  try {
    await checkFile(handle, path)
    await handle.appendFile(escapeLine(input) + '\n', 'utf8')
  } finally {
    await handle.close()
  }
}

/** Opens the file itself, never what a link in its place points at; `undefined` if absent. */
async function openHistory(path: string, flags: number): Promise<FileHandle | undefined> {
  try {
    return await open(path, flags | FLAGS, MODE)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    // ELOOP on Linux and macOS, EMLINK on FreeBSD, for a final component that is a link.
    if (code === 'ELOOP' || code === 'EMLINK') throw new HistoryFileError(path, 'is a symbolic link')
    throw error
  }
}

/**
 * Refuses anything but a regular file, and takes away what group and others may do with it (a
 * file made before 0600 was kept).
 */
async function checkFile(handle: FileHandle, path: string): Promise<void> {
  const stats = await handle.stat()
  if (!stats.isFile()) throw new HistoryFileError(path, 'is not a regular file')
  if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) await handle.chmod(stats.mode & 0o700)
}

/** One history entry per line: newlines inside an input are stored as `\n`. */
function escapeLine(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function unescapeLine(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'))
}
