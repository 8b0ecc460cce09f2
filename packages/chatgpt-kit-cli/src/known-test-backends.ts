/**
 * The test backends `chatgpt test-backend` started, so that what the command remembers about
 * them in the state file (the last conversation, the `-n` names) is forgotten once they are gone.
 * A test backend keeps its conversations in memory, and each run on a new port is a new backend
 * URL: without this, every run would leave an entry that can never be used again.
 *
 * Only URLs listed here are ever pruned, so a real account's entry never is (and credentials,
 * which live in the config file, are never touched). Kept in the state directory as
 * `test-backends.json`: `{"version": 1, "urls": [...]}`.
 */
import { readFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'

import { writeFileAtomic } from './atomic-write.js'
import { acquireLock } from './file-lock.js'
import { stateDir, stateFile } from './paths.js'
import { StateStore } from './state-store.js'

/** Most test backends remembered (the most recent); older ones are no longer pruned. */
const MAX_KNOWN = 50

/** How long a probe waits for a connection; a backend that does not answer is kept. */
const PROBE_TIMEOUT_MS = 500

/**
 * Records a test backend that just started at `url`, and forgets the state of earlier ones that
 * are gone: nothing listens on their port any more, or this one has taken it over (a restart
 * with the same `--port`, whose conversations died with the old backend).
 *
 * @returns the URLs whose state was forgotten.
 */
export async function noteTestBackend(env: NodeJS.ProcessEnv, url: string): Promise<string[]> {
  const path = join(stateDir(env), 'test-backends.json')
  const release = await acquireLock(`${path}.lock`, { staleMs: 10_000, waitMs: 15_000 })
  try {
    const known = await readKnown(path)
    const others = known.filter((other) => other !== url)
    const listening = await Promise.all(others.map((other) => isListening(other)))
    const alive = others.filter((_, i) => listening[i])
    const gone = [...others.filter((_, i) => !listening[i]), ...(known.includes(url) ? [url] : [])]
    for (const dead of gone) await new StateStore(stateFile(env), dead).forget()
    const urls = [...alive, url].slice(-MAX_KNOWN)
    await writeFileAtomic(path, JSON.stringify({ version: 1, urls }, null, 2) + '\n')
    return gone
  } finally {
    await release()
  }
}

async function readKnown(path: string): Promise<string[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch {
    // Absent or damaged: nothing known, so nothing pruned.
    return []
  }
  const urls = (parsed as { urls?: unknown })?.urls
  if (!Array.isArray(urls)) return []
  return urls.filter((u): u is string => typeof u === 'string' && /^http:\/\/[^/]+$/.test(u)).slice(-MAX_KNOWN)
}

/**
 * Whether something accepts connections at the URL's host and port. Only a refused connection
 * counts as gone; a timeout or any other error keeps the entry, to be safe.
 */
function isListening(url: string): Promise<boolean> {
  let host: string
  let port: number
  try {
    const parsed = new URL(url)
    host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
    port = Number(parsed.port || 80)
  } catch {
    return Promise.resolve(true)
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (listening: boolean) => {
      socket.destroy()
      resolve(listening)
    }
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(true))
    socket.once('connect', () => done(true))
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code !== 'ECONNREFUSED'))
  })
}
