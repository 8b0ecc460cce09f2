/**
 * The gateway on a Node HTTP server (`@hono/node-server`, which aborts a request's signal when its
 * client goes away), with a close that lets replies in flight finish first.
 */
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { createAdaptorServer } from '@hono/node-server'
import { ChatGPTError } from 'chatgpt-kit'

import type { Gateway } from './create-gateway.js'

export type GatewayServerOptions = {
  /** @defaultValue '127.0.0.1' */
  host?: string
  /** `0` picks a free port. @defaultValue 8787 */
  port?: number
}

export type GatewayServer = {
  /** `http://HOST:PORT`, with the real port. */
  readonly url: string
  readonly host: string
  readonly port: number
  /**
   * Stops accepting connections, lets requests in flight finish for up to `graceMs`, aborts the
   * rest (freeing their accounts), and closes every connection. The pool is its owner's to close.
   */
  close(opts?: { graceMs?: number }): Promise<void>
}

export const GATEWAY_SERVER_DEFAULTS = { host: '127.0.0.1', port: 8787 } as const

/**
 * Serves a gateway over HTTP on Node.
 *
 * @throws ChatGPTError `invalid_argument` for a bad port; the listen error (`EADDRINUSE`, …) when
 *   the address cannot be had.
 * @example
 * ```ts
 * const server = await serveGateway(createGateway({ pool }), { port: 0 })
 * console.log(`listening ${server.url}`)
 * process.on('SIGTERM', () => server.close().then(() => pool.close()))
 * ```
 */
export async function serveGateway(gateway: Gateway, opts: GatewayServerOptions = {}): Promise<GatewayServer> {
  const host = opts.host ?? GATEWAY_SERVER_DEFAULTS.host
  const port = opts.port ?? GATEWAY_SERVER_DEFAULTS.port
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ChatGPTError('port must be a whole number from 0 to 65535', { code: 'invalid_argument' })
  }
  // The library's own fetch must keep Node's Request and Response: no global override.
  const server = createAdaptorServer({ fetch: gateway.fetch, overrideGlobalObjects: false }) as Server
  server.listen(port, host)
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error
    })
  ])
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    url: `http://${shownHost}:${address.port}`,
    host: address.address,
    port: address.port,
    close({ graceMs } = {}) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await gateway.shutdown({ graceMs })
        server.closeAllConnections()
        await closed
      })()
      return closing
    }
  }
}
