/**
 * Replacing a file so that a reader sees either the old or the new content, never half of one:
 * write a temporary file next to it, flush it to disk, then rename it over the target (rename is
 * atomic within a directory on POSIX and NTFS).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Writes `content` to `path` atomically, creating the directory (mode 0700) if needed.
 *
 * @param mode - permission bits of the new file; `0o600` for anything holding a secret. The
 *   temporary file is created with them, so the content is never readable by others, not even
 *   for a moment.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(temporary, 'wx', mode)
  try {
    await handle.writeFile(content, 'utf8')
    // The rename is only as durable as the data it points at.
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(temporary, { force: true })
    throw error
  }
  await handle.close()
  try {
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
