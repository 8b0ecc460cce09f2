import { execFileSync } from 'node:child_process'

/**
 * The environment for an npm started by a test: this one, less what `npm test` put in it for the
 * workspace (npm_config_local_prefix and friends would point the child npm back at this
 * repository). The cache and the config files stay, so installs can be served from the cache.
 */
export function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig'])
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'INIT_CWD' || (name.toLowerCase().startsWith('npm_') && !keep.has(name.toLowerCase()))) continue
    env[name] = value
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }
}

/** Runs npm in `cwd` and returns its stdout. */
export function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** One entry of `npm pack --json`. */
export type PackResult = {
  name: string
  version: string
  filename: string
  size: number
  unpackedSize: number
  files: { path: string; size: number }[]
}

/**
 * `npm pack --json` in a package folder, without its lifecycle scripts: `npm test` has built
 * already, and a `prepare` (tsup, which cleans build/ first) would pull the build out from under
 * the test files that run it at the same time.
 */
export function pack(packageDir: string, extraArgs: string[] = []): PackResult {
  const [result] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', ...extraArgs], packageDir)) as PackResult[]
  if (!result) throw new Error(`npm pack in ${packageDir} reported nothing`)
  return result
}
