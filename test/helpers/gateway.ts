/**
 * A gateway over a pool over the test backend, served on 127.0.0.1:0, and an `openai` client
 * pointed at it; all closed after the test.
 */
import OpenAI from 'openai'
import { afterEach } from 'vitest'

import type { ChatGPTAccountPoolOptions } from '../../packages/chatgpt-kit/src/index.js'
import type { TestBackendOptions } from '../../packages/chatgpt-kit/src/testing/index.js'
import {
  createGateway,
  serveGateway,
  type Gateway,
  type GatewayOptions,
  type GatewayServer
} from '../../packages/chatgpt-kit-server/src/index.js'
import { poolSetup, type PoolSetup } from './pool.js'

const servers: GatewayServer[] = []

afterEach(async () => {
  // Before the pool helper's own cleanup closes pools and backends.
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })))
})

export const GATEWAY_KEY = 'sk-test-gateway-key-1'

export type GatewaySetup = PoolSetup & {
  gateway: Gateway
  server: GatewayServer
  /** `http://127.0.0.1:PORT/v1` */
  baseURL: string
  /** An `openai` client with {@link GATEWAY_KEY}, no retries. */
  openai: OpenAI
  /** A raw request to the gateway, with the key unless `headers` say otherwise. */
  request(path: string, init?: RequestInit): Promise<Response>
}

export async function gatewaySetup(
  accountCount: number,
  options: { backend?: TestBackendOptions; pool?: Partial<ChatGPTAccountPoolOptions>; gateway?: Partial<GatewayOptions> } = {}
): Promise<GatewaySetup> {
  const setup = await poolSetup(accountCount, { reply: (prompt) => `echo ${prompt}`, ...options.backend }, options.pool)
  const gateway = createGateway({ pool: setup.pool, apiKeys: [GATEWAY_KEY], ...options.gateway })
  const server = await serveGateway(gateway, { port: 0 })
  servers.push(server)
  const baseURL = `${server.url}/v1`
  return {
    ...setup,
    gateway,
    server,
    baseURL,
    openai: new OpenAI({ apiKey: GATEWAY_KEY, baseURL, maxRetries: 0 }),
    request: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) }
      })
  }
}
