/**
 * A `fetch` that goes through an HTTP(S) proxy when asked to: the `proxy` option, or the usual
 * `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` variables. undici is loaded only then, so the core
 * stays fetch-only on runtimes without it.
 */
import { ChatGPTError } from '../errors.js'

type Env = Record<string, string | undefined>

function envValue(env: Env, name: string): string | undefined {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || undefined
}

/**
 * True when `NO_PROXY` exempts the URL: `*`, an exact host, a domain suffix (`.example.com` or
 * `example.com` both match `api.example.com`), each optionally with `:port`.
 */
export function isExempt(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true
      const match = /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase())!
      const [, rawHost = '', entryPort] = match
      if (entryPort && entryPort !== port) return false
      const suffix = rawHost.replace(/^\*?\./, '')
      return host === suffix || host.endsWith(`.${suffix}`)
    })
}

/** The proxy for a request, or `undefined` to connect directly. */
export function proxyFor(url: URL, explicitProxy: string | undefined, env: Env): string | undefined {
  if (explicitProxy) return explicitProxy
  const proxy =
    url.protocol === 'https:'
      ? envValue(env, 'https_proxy') ?? envValue(env, 'all_proxy')
      : envValue(env, 'http_proxy') ?? envValue(env, 'all_proxy')
  if (!proxy || isExempt(url, envValue(env, 'no_proxy'))) return undefined
  return proxy
}

type Undici = typeof import('undici')

/**
 * undici is an optional peer dependency: only proxy users need it (2 MB, Node ≥20.18.1). Its
 * absence is a setup mistake, so it says what to install rather than looking like a network fault.
 */
async function loadUndici(): Promise<Undici> {
  try {
    return await import('undici')
  } catch (error) {
    const code = (error as { code?: unknown })?.code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error
    throw new ChatGPTError(
      'A proxy is configured (the proxy option or HTTPS_PROXY / HTTP_PROXY / ALL_PROXY), and proxies need the optional dependency undici: npm install undici@7',
      { code: 'invalid_argument', originalError: error }
    )
  }
}

/**
 * The fetch the client uses. `baseFetch` serves direct requests; proxied ones go through
 * undici's own fetch with a `ProxyAgent` (one per proxy URL, kept for its connection pool).
 */
export function createProxyAwareFetch(
  explicitProxy: string | undefined,
  env: Env = (globalThis as { process?: { env: Env } }).process?.env ?? {},
  baseFetch: typeof fetch = (...args) => globalThis.fetch(...args)
): typeof fetch {
  let undici: Promise<Undici> | undefined
  const agents = new Map<string, InstanceType<Undici['ProxyAgent']>>()

  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const proxy = proxyFor(url, explicitProxy, env)
    if (!proxy) return baseFetch(input, init)

    undici ??= loadUndici()
    const { ProxyAgent, fetch: undiciFetch } = await undici
    let agent = agents.get(proxy)
    if (!agent) {
      agent = new ProxyAgent(proxy)
      agents.set(proxy, agent)
    }
    // undici's Response is the same class family as the global one in Node; the cast bridges
    // its separately declared types.
    return (await undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as unknown as Response
  }
}
