/**
 * The config file `chatgpt login` writes: the credentials of each backend, in the user's config
 * directory, mode 0600 (the directory 0700), replaced atomically.
 */
import { readFileSync, statSync } from 'node:fs'

import { writeFileAtomic } from './atomic-write.js'
import { acquireLock } from './file-lock.js'

/** The credentials stored for one backend. */
export type StoredCredentials = {
  sessionToken?: string
  clearanceToken?: string
  userAgent?: string
}

export type ConfigFile = {
  version: 1
  /** By backend root URL (`https://chat.openai.com`), so tokens only go where they belong. */
  backends: Record<string, StoredCredentials>
}

const empty = (): ConfigFile => ({ version: 1, backends: {} })

/**
 * Reads the config file (an absent or unreadable one reads as empty).
 * @returns the content, and whether other users may read the file.
 */
export function readConfig(path: string): { file: ConfigFile; tooOpen: boolean } {
  let text: string
  let tooOpen = false
  try {
    text = readFileSync(path, 'utf8')
    tooOpen = process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0
  } catch {
    return { file: empty(), tooOpen }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // An unreadable config holds nothing we can use; `login` replaces it.
  }
  const backends = isObject(parsed) && parsed.version === 1 && isObject(parsed.backends) ? parsed.backends : {}
  // Only what has the right shape is used: a token that is not a string is no token.
  const usable = Object.entries(backends).flatMap(([url, stored]) => {
    if (!isObject(stored)) return []
    const credentials: StoredCredentials = {}
    for (const key of ['sessionToken', 'clearanceToken', 'userAgent'] as const) {
      if (typeof stored[key] === 'string') credentials[key] = stored[key]
    }
    return [[url, credentials] as const]
  })
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return { file: { version: 1, backends: Object.fromEntries(usable) }, tooOpen }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Stores (or, with `undefined`, removes) the credentials of one backend. */
export async function storeCredentials(
  path: string,
  baseUrl: string,
  credentials: StoredCredentials | undefined
): Promise<void> {
  const release = await acquireLock(`${path}.lock`, { staleMs: 10_000, waitMs: 15_000 })
  try {
    const { file } = readConfig(path)
    if (credentials) file.backends[baseUrl] = dropEmpty(credentials)
    else delete file.backends[baseUrl]
    await writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n', 0o600)
  } finally {
    await release()
  }
}

function dropEmpty(credentials: StoredCredentials): StoredCredentials {
  return Object.fromEntries(
    Object.entries(credentials).filter(([, value]) => value !== undefined && value !== '')
  ) as StoredCredentials
}
