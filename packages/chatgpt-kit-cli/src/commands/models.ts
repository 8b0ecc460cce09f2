/**
 * `chatgpt models`: the models the account may use (pass a slug to `-m`).
 */
import { createApi, loadSettings, parseTimeout, type GlobalOptions } from '../client.js'
import type { Context } from '../context.js'

export async function models(ctx: Context, options: GlobalOptions): Promise<void> {
  const settings = loadSettings(ctx, options)
  const api = createApi(ctx, settings, { debug: options.debug })
  const list = await api.getModels({ timeoutMs: parseTimeout(options.timeout), abortSignal: ctx.interrupt.signal })
  if (options.json) {
    ctx.stdout.write(JSON.stringify(list, null, 2) + '\n')
    return
  }
  const width = Math.max(0, ...list.map((m) => m.slug.length)) + 2
  for (const model of list) {
    const details = [model.title, model.max_tokens ? `${model.max_tokens} tokens` : ''].filter(Boolean).join(', ')
    ctx.stdout.write(`${model.slug.padEnd(width)}${ctx.out.dim(details)}\n`)
  }
}
