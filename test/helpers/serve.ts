/**
 * `chatgpt serve` as a child process for the tests that drive it: a test backend with accounts in
 * an accounts file, a sandbox, and the started command once it printed its `listening` line; all
 * stopped and removed after each test (so is whatever a test hands to {@link afterTest}).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { afterEach } from 'vitest'

import { createTestBackend, type TestBackend, type TestBackendOptions } from '../../packages/chatgpt-kit/src/testing/index.js'
import { until } from './backend.js'
import { sandbox, spawnCli, type Sandbox } from './cli.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Runs `cleanup` after the current test, before what was registered earlier. */
export function afterTest(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup)
}

/** A test backend replying `echo PROMPT`, `accountCount` accounts of it in a 0600 accounts file, and a sandbox. */
export async function serveSetup(accountCount: number, backendOptions: TestBackendOptions = {}) {
  const backend: TestBackend = await createTestBackend({ reply: (prompt) => `echo ${prompt}`, ...backendOptions })
  afterTest(() => backend.close())
  const box: Sandbox = await sandbox()
  afterTest(() => box.cleanup())
  const accounts = Array.from({ length: accountCount }, (_, i) => ({
    id: `acct-${i}`,
    sessionToken: backend.addAccount({ name: `Account ${i}` }).sessionToken,
    clearanceToken: backend.clearanceToken
  }))
  const accountsFile = join(box.dir, 'accounts.json')
  await writeFile(accountsFile, JSON.stringify(accounts), { mode: 0o600 })
  const env = { ...box.env, CHATGPT_BASE_URL: backend.url }
  return { backend, box, accounts, accountsFile, env }
}

/** Starts `chatgpt serve --port 0 …args` and waits for its one `listening` line (killed after the test). */
export async function startServe(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child = spawnCli(['serve', '--port', '0', ...args], { env, cwd })
  afterTest(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await child.done
  })
  await until(() => child.output().stdout.includes('\n') || child.exitCode !== null, 'the listening line', 1500)
  const { stdout, stderr } = child.output()
  const match = /^listening (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(stdout)
  if (!match) throw new Error(`no listening line: ${JSON.stringify({ stdout, stderr: stderr.slice(0, 500) })}`)
  return { child, url: match[1]! }
}
