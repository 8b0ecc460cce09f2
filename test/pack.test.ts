import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { beforeAll, describe, expect, it } from 'vitest'

import { pack, type PackResult } from './helpers/npm.js'

// What `npm pack` would publish, per package (`npm test` builds first). Size ceilings are the
// packed (gzipped) size measured on 2026-11-30 plus modest headroom, so that something large
// slipping in (a bundled dependency, source maps, sources) fails here rather than on users' disks;
// raise one deliberately when the package really grows.
const packages = [
  // Measured: 318,400 bytes packed (1.2 MB unpacked) with the account pool, the Completions
  // client, the test backend's /v1 API and its 2026 mode, and the 2026 stream reader. Ceiling
  // about 10% above.
  { dir: 'packages/chatgpt-kit', name: 'chatgpt-kit', maxPackedBytes: 350_000 },
  // Measured: 33,658 bytes packed (114,081 unpacked, 4 files). Ceiling about 12% above.
  { dir: 'packages/chatgpt-kit-cli', name: 'chatgpt-kit-cli', maxPackedBytes: 38_000 },
  // Measured: 26,000 bytes packed (92,000 unpacked) with the gateway's first step. Ceiling: room
  // for its docs and the rest of the gateway, not for a bundled dependency (hono alone is ~80 kB).
  { dir: 'packages/chatgpt-kit-server', name: 'chatgpt-kit-server', maxPackedBytes: 36_000 }
]

const root = fileURLToPath(new URL('..', import.meta.url))
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

// package.json, the README and the license, and built JavaScript and declarations: no source maps,
// no sources, no tests, no configuration.
const ALLOWED = /^(package\.json|README\.md|LICENSE|build\/.+\.(js|cjs|d\.ts|d\.cts))$/

/** Every file path a package.json points at: main, module, types, bin and the exports' targets. */
function pointedAt(pkg: Record<string, any>): string[] {
  const targets: string[] = []
  const collect = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value)
    else if (value && typeof value === 'object') Object.values(value).forEach(collect)
  }
  collect([pkg.main, pkg.module, pkg.types, pkg.bin, pkg.exports])
  return [...new Set(targets.map((target) => target.replace(/^\.\//, '')))]
}

/**
 * The lowest Node version a simple engines range admits (`>=20`, `>=20.3.0`, `^20.19.0 || >=22`, `20.x || 22.x`),
 * as [major, minor, patch]; anything else throws, so an unusual range is looked at, not guessed.
 */
function lowestNode(range: string): [number, number, number] {
  const bounds = range.split('||').map((part) => {
    // `>=20.3.0`, `^20.19.0`, and `20.x` (better-sqlite3 lists majors so).
    const match = /^(?:>=|\^)?\s*v?(\d+)(?:\.(\d+|x))?(?:\.(\d+|x))?$/.exec(part.trim())
    if (!match) throw new Error(`cannot read the engines range ${JSON.stringify(range)}`)
    const number = (part: string | undefined) => (part === undefined || part === 'x' ? 0 : Number(part))
    return [Number(match[1]), number(match[2]), number(match[3])] as [number, number, number]
  })
  return bounds.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])[0]!
}

const atLeast = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!

describe.each(packages)('npm pack of $name', ({ dir, name, maxPackedBytes }) => {
  const packageDir = join(root, dir)
  const pkg = readJson(join(packageDir, 'package.json'))
  let packed: PackResult
  let paths: string[]

  beforeAll(() => {
    packed = pack(packageDir, ['--dry-run'])
    paths = packed.files.map((file) => file.path)
  }, 60_000)

  it('is this package', () => {
    expect([packed.name, packed.version]).toEqual([name, pkg.version])
  })

  it('holds only package.json, README.md, LICENSE and built .js/.cjs/.d.ts/.d.cts files', () => {
    expect(paths.filter((path) => !ALLOWED.test(path))).toEqual([])
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']))
  })

  it('holds every file its package.json points at', () => {
    const targets = pointedAt(pkg).filter((target) => target !== 'package.json')
    expect(targets.length).toBeGreaterThan(0)
    expect(targets.filter((target) => !paths.includes(target))).toEqual([])
  })

  it(`packs to at most ${maxPackedBytes} bytes`, () => {
    expect(packed.size).toBeLessThanOrEqual(maxPackedBytes)
  })

  it('carries the repository LICENSE (MIT) word for word', () => {
    const license = readFileSync(join(root, 'LICENSE'), 'utf8')
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the chatgpt-kit authors\n/)
    expect(readFileSync(join(packageDir, 'LICENSE'), 'utf8')).toBe(license)
    expect(pkg.license).toBe('MIT')
  })

  it('asks in engines for at least the Node version each of its dependencies needs', () => {
    const ours = lowestNode(pkg.engines.node)
    const dependencies = Object.keys(pkg.dependencies ?? {})
    expect(dependencies.length).toBeGreaterThan(0)
    for (const dependency of dependencies) {
      // Installed copies: node_modules/chatgpt-kit is the workspace's own library.
      const theirs = readJson(join(root, 'node_modules', dependency, 'package.json'))
      if (!theirs.engines?.node) continue
      expect(atLeast(ours, lowestNode(theirs.engines.node)), `${name} engines ${pkg.engines.node} vs ${dependency} ${theirs.engines.node}`).toBeGreaterThanOrEqual(0)
    }
  })

  it('pins each dependency to an exact version', () => {
    for (const [dependency, spec] of Object.entries(pkg.dependencies ?? {})) {
      expect(spec, dependency).toMatch(/^\d+\.\d+\.\d+$/)
    }
  })
})

describe('the packages together', () => {
  it('the CLI depends on the library version in this repository', () => {
    const library = readJson(join(root, 'packages/chatgpt-kit/package.json'))
    const cli = readJson(join(root, 'packages/chatgpt-kit-cli/package.json'))
    expect(cli.dependencies['chatgpt-kit']).toBe(library.version)
  })

  // The CLI cannot ask for less than the library it runs on; it asks for 20.3 because it uses
  // AbortSignal.any (and commander 14 needs 20).
  it('the CLI asks for at least the Node version the library asks for', () => {
    const library = readJson(join(root, 'packages/chatgpt-kit/package.json'))
    const cli = readJson(join(root, 'packages/chatgpt-kit-cli/package.json'))
    expect(atLeast(lowestNode(cli.engines.node), lowestNode(library.engines.node))).toBeGreaterThanOrEqual(0)
  })

  it('reads engines ranges as their lowest version, and refuses ones it cannot read', () => {
    expect(lowestNode('>=20')).toEqual([20, 0, 0])
    expect(lowestNode('>=20.3.0')).toEqual([20, 3, 0])
    expect(lowestNode('^22.12.0 || ^20.19.0 || >=24.0.0')).toEqual([20, 19, 0])
    expect(() => lowestNode('>=18 <19')).toThrow(/cannot read/)
  })
})
