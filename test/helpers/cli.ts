import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll } from 'vitest'

import { createTestBackend, type TestBackend } from '../../packages/chatgpt-kit/src/testing/index.js'

/** The built command: `npm test` builds first; run `npm run build` before `npx vitest run`. */
export const CLI = fileURLToPath(new URL('../../packages/chatgpt-kit-cli/build/index.js', import.meta.url))

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
}

export type CliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** A home for one test: its own cwd, config and state directories, removed by `cleanup`. */
export type Sandbox = {
  dir: string
  cwd: string
  configHome: string
  stateHome: string
  /** Environment with the sandbox's XDG dirs and nothing of the real user's (no tokens). */
  env: NodeJS.ProcessEnv
  cleanup(): Promise<void>
}

export async function sandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'chatgpt-cli-'))
  const cwd = join(dir, 'cwd')
  const { mkdir } = await import('node:fs/promises')
  await mkdir(cwd)
  const configHome = join(dir, 'config')
  const stateHome = join(dir, 'state')
  return {
    dir,
    cwd,
    configHome,
    stateHome,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      XDG_CONFIG_HOME: configHome,
      XDG_STATE_HOME: stateHome
    },
    cleanup: () => rm(dir, { recursive: true, force: true })
  }
}

/** Environment that signs in to `backend` (as `sessionToken`, by default its default account). */
export function backendEnv(backend: TestBackend, sessionToken = backend.sessionToken): NodeJS.ProcessEnv {
  return {
    CHATGPT_BASE_URL: backend.url,
    SESSION_TOKEN: sessionToken,
    CLEARANCE_TOKEN: backend.clearanceToken
  }
}

/** Starts the command; stdin stays open until the caller ends it. */
export function spawnCli(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): ChildProcessWithoutNullStreams & { output(): CliResult; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: options.env, cwd: options.cwd })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  return Object.assign(child, { output: () => ({ code: child.exitCode, signal: child.signalCode, stdout, stderr }), done })
}

/** Runs the command to its end, with `input` on stdin (stdin is closed either way). */
export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; input?: string }): Promise<CliResult> {
  const child = spawnCli(args, options)
  child.stdin.end(options.input ?? '')
  return child.done
}

/** A sandbox signed in to a test backend, and the command run in it. */
export type CliUser = {
  box: Sandbox
  env: NodeJS.ProcessEnv
  run: (args: string[], input?: string) => Promise<CliResult>
}

/**
 * One test backend for a file's command tests, started before them and closed after them, with
 * sandboxes (removed after the file) and users: sandboxes signed in with an account of their own.
 */
export function cliTestBackend(): { readonly backend: TestBackend; sandbox(): Promise<Sandbox>; user(): Promise<CliUser> } {
  let backend: TestBackend | undefined
  const boxes: Sandbox[] = []
  beforeAll(async () => {
    assertBuilt()
    backend = await createTestBackend()
  })
  afterAll(async () => {
    await backend?.close()
    await Promise.all(boxes.map((box) => box.cleanup()))
  })
  const fixture = {
    get backend(): TestBackend {
      if (!backend) throw new Error('the test backend starts in beforeAll')
      return backend
    },
    async sandbox() {
      const box = await sandbox()
      boxes.push(box)
      return box
    },
    async user(): Promise<CliUser> {
      const box = await fixture.sandbox()
      const env = { ...box.env, ...backendEnv(fixture.backend, fixture.backend.addAccount().sessionToken) }
      return { box, env, run: (args, input) => runCli(args, { env, cwd: box.cwd, input }) }
    }
  }
  return fixture
}
