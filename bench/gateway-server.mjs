// The gateway of the gateway bench, in a process of its own so that its CPU is its own: a pool
// over the bench backend's accounts behind createGateway (one API key, the JSON request log
// written to /dev/null), served by serveGateway on 127.0.0.1:0 — or, with
// `overrideGlobalObjects: true`, by @hono/node-server directly with its global Request/Response
// override on (serveGateway turns it off; this measures what that costs). Prints one JSON line
// `{url}`, then answers `cpu` on stdin with `{cpuMs}` (this process's CPU so far).
import { openSync } from 'node:fs'
import { createInterface } from 'node:readline'

import { createAdaptorServer } from '@hono/node-server'
import { createGateway, createJsonLogger, serveGateway } from 'chatgpt-kit-server'

import { benchPool, cpuMs } from './gateway-pool.mjs'

const { backend, apiKey, overrideGlobalObjects = false } = JSON.parse(process.argv[2])

const { pool, store } = benchPool(backend)
const logger = createJsonLogger({ fd: openSync('/dev/null', 'w') })
const gateway = createGateway({ pool, store, apiKeys: [apiKey], logger })

let url
if (overrideGlobalObjects) {
  const server = createAdaptorServer({ fetch: gateway.fetch, overrideGlobalObjects: true })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${server.address().port}`
} else {
  url = (await serveGateway(gateway, { port: 0 })).url
}
process.stdout.write(JSON.stringify({ url }) + '\n')

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') process.stdout.write(JSON.stringify({ cpuMs: cpuMs() }) + '\n')
})
// The bench kills it; nothing in flight by then needs a graceful end.
process.on('SIGTERM', () => process.exit(0))
