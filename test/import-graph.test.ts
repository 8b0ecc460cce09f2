import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

// What loading the BUILT library pulls in, recorded by a bare `node` with a preload that notes
// every resolution, from `import` (a module.register resolve hook) and from `require`
// (Module._resolveFilename). The library promises one dependency, eventsource-parser; undici is
// an optional peer loaded only when a proxy is used, so it must not appear at load time either.
// `npm test` builds first.

const root = fileURLToPath(new URL('..', import.meta.url))
const recorder = fileURLToPath(new URL('./helpers/record-loads.mjs', import.meta.url))
const libraryBuild = join(root, 'packages', 'chatgpt-kit', 'build') + sep

type Load = { via: 'import' | 'require'; specifier: string; parent: string | null; resolved: string }

/** Runs `code` in a fresh node (ESM or CommonJS) from the repository root; returns what it resolved. */
function loadsOf(code: string, kind: 'esm' | 'cjs'): Load[] {
  const dir = mkdtempSync(join(tmpdir(), 'chatgpt-kit-loads-'))
  const file = join(dir, 'loads.jsonl')
  try {
    const args = ['--import', recorder, ...(kind === 'esm' ? ['--input-type=module'] : []), '-e', code]
    execFileSync(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, RECORD_LOADS_FILE: file }, stdio: 'pipe' })
    return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Load)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Where a resolved module comes from: a built-in, the library's own build, or an installed package. */
function originOf(load: Load): string {
  if (load.resolved.startsWith('node:') || isBuiltin(load.resolved)) return 'built-in'
  const path = load.resolved.startsWith('file:') ? fileURLToPath(load.resolved) : load.resolved
  if (path.startsWith(libraryBuild)) return 'chatgpt-kit'
  const marker = `${sep}node_modules${sep}`
  const at = path.lastIndexOf(marker)
  if (at === -1) return `elsewhere: ${path}`
  const [scopeOrName = '', name = ''] = path.slice(at + marker.length).split(sep)
  return scopeOrName.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName
}

/** The packages (other than built-ins and the library itself) that the loads reached. */
function packagesOf(loads: Load[]): string[] {
  return [...new Set(loads.map(originOf))].filter((origin) => origin !== 'built-in' && origin !== 'chatgpt-kit').sort()
}

const builtIns = (loads: Load[]) => [...new Set(loads.filter((load) => originOf(load) === 'built-in').map((load) => load.specifier))].sort()

describe('loading the built library', () => {
  it('from ESM reaches eventsource-parser and nothing else outside Node', () => {
    const loads = loadsOf(`import 'chatgpt-kit'`, 'esm')
    expect(loads.some((load) => load.specifier === 'chatgpt-kit' && originOf(load) === 'chatgpt-kit')).toBe(true)
    expect(packagesOf(loads)).toEqual(['eventsource-parser'])
  })

  it('from CommonJS reaches eventsource-parser and nothing else outside Node', () => {
    const loads = loadsOf(`require('chatgpt-kit')`, 'cjs')
    expect(loads.some((load) => load.resolved === join(libraryBuild, 'index.cjs'))).toBe(true)
    expect(packagesOf(loads)).toEqual(['eventsource-parser'])
  })

  it('chatgpt-kit/testing reaches no package at all, from ESM or CommonJS', () => {
    for (const [code, kind] of [[`import 'chatgpt-kit/testing'`, 'esm'], [`require('chatgpt-kit/testing')`, 'cjs']] as const) {
      const loads = loadsOf(code, kind)
      expect(loads.some((load) => originOf(load) === 'chatgpt-kit'), code).toBe(true)
      expect(packagesOf(loads), code).toEqual([])
    }
  })

  // The design keeps Node-only parts behind their own entry points: the main entry may use the one
  // built-in every fetch runtime with Node compatibility has (node:crypto, for randomUUID), asked
  // for by its `node:` name, which is the only form Deno and edge runtimes resolve.
  it('the main entry asks only for node:crypto among the built-ins, by its node: name', () => {
    expect(builtIns(loadsOf(`import 'chatgpt-kit'`, 'esm'))).toEqual(['node:crypto'])
    expect(builtIns(loadsOf(`require('chatgpt-kit')`, 'cjs'))).toEqual(['node:crypto'])
  })

  // The recorder itself must see a stray dependency, or the tests above would pass vacuously.
  it('would notice one more package (commander, which only the CLI depends on)', () => {
    expect(packagesOf(loadsOf(`import 'chatgpt-kit'; import 'commander'`, 'esm'))).toEqual(['commander', 'eventsource-parser'])
    expect(packagesOf(loadsOf(`require('chatgpt-kit'); require('commander')`, 'cjs'))).toEqual(['commander', 'eventsource-parser'])
  })
})
