/**
 * A lock file shared by processes: created with `O_EXCL` (`'wx'`), so exactly one process holds
 * it; it names its holder (pid, host, time), and a lock whose holder died is taken over.
 *
 * A holder refreshes the file's mtime while it works (`heartbeatMs`), so a lock is judged stale
 * when its pid no longer runs on this host, or when its mtime is older than `staleMs` (a holder on
 * another host, or one that hangs). Before removing a stale lock we check that the file is still
 * the one we judged (same inode and mtime), so two waiters cannot both take over the same lock
 * and then remove each other's fresh one, except in a window of microseconds.
 */
import { hostname } from 'node:os'
import { mkdir, open, readFile, stat, unlink, utimes } from 'node:fs/promises'
import { dirname } from 'node:path'

import { sleep } from 'chatgpt-kit/internal'

export type LockOptions = {
  /** A lock not refreshed for this long is stale. */
  staleMs: number
  /** How often the holder refreshes the lock; `0` for locks held only briefly. */
  heartbeatMs?: number
  /** Give up after waiting this long (`Infinity`: wait until `signal` aborts). */
  waitMs: number
  /** Stops waiting (the wait then rejects with the signal's reason). */
  signal?: AbortSignal
  /** Called once if the lock is busy, before waiting for it. */
  onWait?: () => void
}

/** Thrown when the lock stayed busy for `waitMs`. */
export class LockTimeoutError extends Error {
  constructor(readonly path: string) {
    super(`${path} is locked by another chatgpt command`)
    this.name = 'LockTimeoutError'
  }
}

/** Releases a lock; safe to call more than once. */
export type Release = () => Promise<void>

const HOST = hostname()

/** Takes the lock at `path`, waiting for it if another process holds it. */
export async function acquireLock(path: string, options: LockOptions): Promise<Release> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const deadline = Date.now() + options.waitMs
  let waited = false
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted()
    try {
      const handle = await open(path, 'wx', 0o600)
      try {
        await handle.writeFile(`${process.pid}\n${HOST}\n${new Date().toISOString()}\n`)
      } catch (error) {
        await handle.close()
        await unlink(path).catch(() => {})
        throw error
      }
      await handle.close()
      return holding(path, options.heartbeatMs ?? 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    if (await removeIfStale(path, options.staleMs)) continue
    if (Date.now() >= deadline) throw new LockTimeoutError(path)
    if (!waited) {
      waited = true
      options.onWait?.()
    }
    // Short at first (state updates take milliseconds), then up to 250 ms, with jitter so that
    // waiters do not retry in lockstep.
    const delay = Math.min(250, 5 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2)
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), options.signal)
  }
}

function holding(path: string, heartbeatMs: number): Release {
  const timer =
    heartbeatMs > 0
      ? setInterval(() => {
          const now = new Date()
          utimes(path, now, now).catch(() => {})
        }, heartbeatMs)
      : undefined
  timer?.unref()
  let released = false
  return async () => {
    if (released) return
    released = true
    if (timer) clearInterval(timer)
    // Only our own lock: after a long stop (Ctrl-Z) another process may have taken it over.
    const holder = await readFile(path, 'utf8').catch(() => '')
    if (holder.startsWith(`${process.pid}\n${HOST}\n`)) await unlink(path).catch(() => {})
  }
}

/** Removes the lock if its holder is gone; `true` if it did (or the lock vanished meanwhile). */
async function removeIfStale(path: string, staleMs: number): Promise<boolean> {
  let before
  let content
  try {
    before = await stat(path)
    content = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw error
  }
  const [pidText, host] = content.split('\n')
  const pid = Number(pidText)
  const age = Date.now() - before.mtimeMs
  // A file without a pid yet is being written by its creator right now: young means busy.
  const holderGone = Number.isInteger(pid) && pid > 0 && host === HOST && !isRunning(pid)
  if (!holderGone && age < staleMs) return false
  try {
    const now = await stat(path)
    if (now.ino !== before.ino || now.mtimeMs !== before.mtimeMs) return false
    await unlink(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return true
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
