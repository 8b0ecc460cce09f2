/**
 * Runs ES module source in a Node process of its own and returns what it printed last, as JSON:
 * for tests where several processes share a store or Redis. It must exit 0 (its stderr is the
 * failure's message otherwise).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'

import { expect } from 'vitest'

export async function runNodeModule(source: string): Promise<unknown> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const [code] = await once(child, 'exit')
  expect(code, stderr).toBe(0)
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}
