import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { AccountRegistry } from './accounts.js'
import { ApiKeyRing } from './api-keys.js'
import { ClearanceGate } from './cloudflare.js'
import type { BackendContext } from './context.js'
import { ConversationStore } from './conversation-store.js'
import { FaultQueue } from './faults.js'
import { STREAM_SHAPES, isStreamShape, resolveOptions } from './options.js'
import { Protocol2026State } from './protocol-2026-state.js'
import { ReplySlots } from './reply-slots.js'
import { RequestLog } from './request-log.js'
import { createRequestListener } from './router.js'
import type {
  Fault,
  StreamShape,
  TestAccount,
  TestBackend,
  TestBackendOptions,
  TestConversations
} from './types.js'

/**
 * Starts a local ChatGPT web backend: `/api/auth/session`, a streaming
 * `/backend-api/conversation` in any of the three event shapes, real conversation trees, the
 * rest of `/backend-api`, Cloudflare's challenge, and injectable faults. Point a client's
 * `apiBaseUrl` / `backendApiBaseUrl` at it, with `sessionToken`, `clearanceToken` and
 * `userAgent` from the returned handle.
 *
 * The same server also plays the official OpenAI API under `/v1` (`v1BaseUrl`, with `apiKey`):
 * `POST /v1/chat/completions`, streamed or not, with the API's checks and error JSON, and
 * `GET /v1/models`. Faults reach it with `endpoint: 'completions'`.
 *
 * With `protocol: '2026'` it enforces today's send sequence instead (PROTOCOL-2026.md §14): a
 * bootstrap page at `GET /`, sentinel chat requirements with a proof of work it checks by hash,
 * a conduit token, and `POST /backend-api/f/conversation`, all tied to one `oai-device-id`; see
 * {@link TestBackendOptions.protocol}.
 *
 * @param options - See {@link TestBackendOptions}; every field is optional.
 * @returns The running backend, listening once the promise resolves.
 * @throws TypeError or RangeError for an invalid option; the listen error when the port is taken.
 *
 * @example
 * ```ts
 * import { ChatGPTAPI } from 'chatgpt-kit'
 * import { createTestBackend } from 'chatgpt-kit/testing'
 * import OpenAI from 'openai'
 *
 * const backend = await createTestBackend({ shape: '2023', eventDelayMs: 10 })
 * const api = new ChatGPTAPI({
 *   sessionToken: backend.sessionToken,
 *   clearanceToken: backend.clearanceToken,
 *   userAgent: backend.userAgent,
 *   apiBaseUrl: backend.apiBaseUrl,
 *   backendApiBaseUrl: backend.backendApiBaseUrl
 * })
 * backend.fault({ type: 'status', status: 429, headers: { 'retry-after': '1' } })
 * // … exercise the client …
 *
 * // The official API on the same backend, e.g. with OpenAI's own SDK:
 * const openai = new OpenAI({ apiKey: backend.apiKey, baseURL: backend.v1BaseUrl })
 * const completion = await openai.chat.completions.create({
 *   model: 'gpt-4o-mini',
 *   messages: [{ role: 'user', content: 'hello' }]
 * })
 * completion.choices[0]?.message.content // 'You said: **hello**…'
 * await backend.close()
 * ```
 */
export async function createTestBackend(options?: TestBackendOptions): Promise<TestBackend> {
  const resolved = resolveOptions(options)
  const ctx: BackendContext = {
    options: resolved,
    shape: resolved.shape,
    rotateSessionTokens: false,
    accounts: new AccountRegistry(resolved.accessTokenTTLSeconds),
    apiKeys: new ApiKeyRing(),
    clearance: new ClearanceGate(resolved.userAgent),
    store: new ConversationStore(),
    faults: new FaultQueue(),
    replies: new ReplySlots(),
    protocol2026: new Protocol2026State()
  }
  const defaultAccount = ctx.accounts.create()
  const defaultApiKey = ctx.apiKeys.add()
  const log = new RequestLog({
    maxRequests: resolved.maxRecordedRequests,
    maxBodyBytes: resolved.maxRecordedBodyBytes
  })
  const server = createServer(createRequestListener(ctx, log))
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const url = await listen(server, resolved.port, resolved.host)

  let closing: Promise<void> | undefined
  return {
    url,
    apiBaseUrl: `${url}/api`,
    backendApiBaseUrl: `${url}/backend-api`,
    v1BaseUrl: `${url}/v1`,
    apiKey: defaultApiKey,
    sessionToken: defaultAccount.sessionToken,
    get clearanceToken() {
      return ctx.clearance.token
    },
    userAgent: resolved.userAgent,
    get shape() {
      return ctx.shape
    },
    set shape(shape: StreamShape) {
      if (!isStreamShape(shape)) throw new TypeError(`shape must be one of ${STREAM_SHAPES.join(', ')}`)
      ctx.shape = shape
    },
    get rotateSessionTokens() {
      return ctx.rotateSessionTokens
    },
    set rotateSessionTokens(on: boolean) {
      ctx.rotateSessionTokens = on
    },
    get inFlight() {
      return ctx.replies.size
    },
    requests: log.entries,
    replyStats: () => ctx.replies.stats(),
    // A narrow view, so the store's mutators stay out of reach.
    conversations: {
      get: (id: string) => ctx.store.get(id),
      list: () => ctx.store.list(),
      get size() {
        return ctx.store.size
      }
    } satisfies TestConversations,
    addAccount: (opts?: { name?: string; email?: string }): TestAccount => ctx.accounts.create(opts),
    expireSession: (token: string) => ctx.accounts.expireSession(token),
    revokeSession: (token: string) => ctx.accounts.revokeSession(token),
    issueAccessToken(opts: { sessionToken?: string; expiresInSeconds?: number } = {}): string {
      const found = ctx.accounts.lookupSession(opts.sessionToken ?? defaultAccount.sessionToken)
      if (found.kind === 'unknown') throw new TypeError('issueAccessToken: unknown or revoked session token')
      const ttl = opts.expiresInSeconds ?? resolved.accessTokenTTLSeconds
      if (typeof ttl !== 'number' || !Number.isFinite(ttl)) throw new TypeError('expiresInSeconds must be a finite number')
      return ctx.accounts.issueAccessToken(found.user, ttl).token
    },
    expireAccessTokens: () => ctx.accounts.expireAccessTokens(),
    rotateClearance: () => ctx.clearance.rotate(),
    addApiKey: () => ctx.apiKeys.add(),
    revokeApiKey: (key: string) => ctx.apiKeys.revoke(key),
    fault: (f: Fault) => ctx.faults.push(f),
    reset() {
      ctx.faults.clear()
      log.clear()
      ctx.store.clear()
      ctx.replies.clearStats()
      ctx.protocol2026.clear()
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        // server.close() only stops accepting; open streams (a stalled reply, a keep-alive
        // socket) would hold it open forever, so end them.
        for (const socket of sockets) socket.destroy()
        server.closeAllConnections()
      })
      return closing
    },
    protocol: resolved.protocol,
    build: ctx.protocol2026.build,
    get deviceIds() {
      return ctx.protocol2026.deviceIds
    },
    get bootstrapDeviceIds() {
      return ctx.protocol2026.issuedDeviceIds
    },
    sentinelTurns: () => ctx.protocol2026.sentinel.records(),
    conduitTokens: () => ctx.protocol2026.conduits.records()
  }
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address()
      const actualPort = typeof address === 'object' && address ? address.port : port
      const hostPart = host.includes(':') ? `[${host}]` : host
      resolve(`http://${hostPart}:${actualPort}`)
    })
  })
}
