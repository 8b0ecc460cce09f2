/**
 * The gateway's log: one JSON line per request (pino), on a file descriptor (stderr by default,
 * so that stdout keeps only what scripts read). Written synchronously: a line is never lost when
 * the process exits right after, and a gateway writes one line per request, not per token.
 */
import { pino } from 'pino'

import type { GatewayLogger } from './gateway-options.js'

export function createJsonLogger(opts: { fd?: number; level?: 'debug' | 'info' } = {}): GatewayLogger & { debug(fields: Record<string, unknown>, message?: string): void } {
  return pino(
    { level: opts.level ?? 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: opts.fd ?? 2, sync: true })
  )
}
