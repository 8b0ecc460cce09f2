#!/usr/bin/env node
/**
 * The `chatgpt` command. Exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted.
 */
import { EXIT, describeError } from './cli-error.js'
import { createContext } from './context.js'
import { CommanderError, buildProgram, commanderExitCode } from './program.js'
import { allKnownSecrets, knownBaseUrl } from './settings.js'
import { configFile } from './paths.js'

async function main(): Promise<number> {
  if (Number(process.versions.node.split('.')[0]) < 20) {
    process.stderr.write(`chatgpt: the command needs Node.js 20 or newer (this is ${process.version})\n`)
    return EXIT.failure
  }
  const ctx = createContext()
  // A closed pipe (`chatgpt … | head -1`) is the reader saying it has enough.
  for (const stream of [ctx.stdout, ctx.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.ok)
      throw error
    })
  }
  const result = { exitCode: EXIT.ok as number }
  try {
    await buildProgram(ctx, result).parseAsync(process.argv)
    return result.exitCode
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error)
    const { line, exitCode } = describeError(error, knownSecrets(ctx), { baseUrl: baseUrlOf(ctx) })
    if (exitCode === EXIT.interrupted) {
      // Ctrl-C: the shell shows ^C; say no more than that.
      return exitCode
    }
    ctx.stderr.write(`${ctx.err.red('chatgpt:')} ${line}\n`)
    return exitCode
  }
}

/** The backend of this run, for an error line to name. */
function baseUrlOf(ctx: ReturnType<typeof createContext>): string | undefined {
  try {
    return knownBaseUrl({ env: ctx.env, cwd: ctx.cwd, argv: process.argv })
  } catch {
    return undefined
  }
}

/** Every token this run could know, so that no error line shows one. */
function knownSecrets(ctx: ReturnType<typeof createContext>): (string | undefined)[] {
  try {
    return allKnownSecrets({ env: ctx.env, cwd: ctx.cwd, configPath: configFile(ctx.env), argv: process.argv })
  } catch {
    return []
  }
}

void main().then((code) => {
  // Let what is written reach the pipe or terminal, then leave even if a socket lingers.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
})
