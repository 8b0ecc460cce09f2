/**
 * What the long-running commands (`test-backend`, `serve`) share: waiting for Ctrl-C or SIGTERM,
 * and saying in one line why a port could not be had.
 */
import { CliError } from './cli-error.js'

/**
 * Resolves on Ctrl-C (which aborts the command's signal; a second one exits at once) or SIGTERM.
 * Already resolved when Ctrl-C came while the server was starting.
 */
export function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      signal.removeEventListener('abort', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    if (signal.aborted) return resolve()
    signal.addEventListener('abort', stop)
    process.once('SIGTERM', stop)
  })
}

/** A listen error as the line to print, naming the flag that fixes it; other errors as they are. */
export function listenError(error: unknown, port: number, host: string, freePortHint: string): unknown {
  const code = (error as NodeJS.ErrnoException)?.code
  if (code === 'EADDRINUSE') return new CliError(`port ${port} is in use on ${host}: pick another with --port, ${freePortHint}`)
  if (code === 'EACCES') return new CliError(`not allowed to listen on port ${port}: pick one above 1023 with --port`)
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new CliError(`cannot listen on ${host}: give --host an address of this machine`)
  return error
}
