/**
 * `chatgpt conversations ls|show|rename|rm|clear`: the account's conversations on the server,
 * with the names and the last conversation this command remembers.
 */
import type { ChatGPTAPI, ConversationSummary } from 'chatgpt-kit'
import { CliError, UsageError } from '../cli-error.js'
import { createApi, loadSettings, parseTimeout, type GlobalOptions } from '../client.js'
import { confirm } from '../confirm.js'
import type { Context } from '../context.js'
import { finalText, printMode } from '../output.js'
import { stateFile } from '../paths.js'
import { StateStore, findByName, type BackendState } from '../state-store.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type Session = { api: ChatGPTAPI; state: StateStore; call: { timeoutMs?: number; abortSignal: AbortSignal } }

function open(ctx: Context, options: GlobalOptions): Session {
  const settings = loadSettings(ctx, options)
  return {
    api: createApi(ctx, settings, { debug: options.debug }),
    state: new StateStore(stateFile(ctx.env), settings.baseUrl, ctx.warn),
    call: { timeoutMs: parseTimeout(options.timeout), abortSignal: ctx.interrupt.signal }
  }
}

/** A conversation id from a `-n` name, `last`, or an id. */
function resolve(state: BackendState, ref: string): string {
  const named = findByName(state, ref)
  if (named) return named.conversationId
  if (ref === 'last' && state.last) return state.last
  if (UUID.test(ref)) return ref.toLowerCase()
  throw new CliError(`no conversation named '${ref}' on this backend; give a conversation id (see \`chatgpt conversations ls\`)`)
}

export async function list(ctx: Context, options: GlobalOptions & { limit?: string; all?: boolean }): Promise<void> {
  const { api, state, call } = open(ctx, options)
  const limit = options.all ? Infinity : Number(options.limit ?? 20)
  if (!(limit > 0) || (limit !== Infinity && !Number.isInteger(limit))) throw new UsageError('--limit takes a positive whole number')
  // One more than shown is asked for, to know whether there are more even when the server
  // does not say how many it has.
  const fetched: ConversationSummary[] = []
  let total = 0
  if (limit < 100) {
    const page = await api.listConversations({ ...call, limit: limit + 1 })
    fetched.push(...page.items)
    total = page.total
  } else {
    for await (const item of api.iterateConversations({ ...call })) {
      fetched.push(item)
      if (fetched.length > limit) break
    }
  }
  const items = fetched.slice(0, limit)
  const more = total > fetched.length ? `${total - items.length} more` : fetched.length > items.length ? 'more' : ''
  const local = await state.read()
  const nameOf = (id: string) => local.conversations[id]?.name
  if (options.json) {
    const rows = items.map((c) => ({
      id: c.id,
      title: c.title,
      createTime: c.createTime?.toISOString() ?? null,
      updateTime: c.updateTime?.toISOString() ?? null,
      name: nameOf(c.id) ?? null,
      last: local.last === c.id
    }))
    ctx.stdout.write(JSON.stringify(rows, null, 2) + '\n')
    return
  }
  if (items.length === 0) {
    ctx.stderr.write('No conversations.\n')
    return
  }
  const s = ctx.out
  for (const c of items) {
    const name = nameOf(c.id)
    const marks = [name ? s.cyan(`[${name}]`) : '', local.last === c.id ? s.dim('(last)') : ''].filter(Boolean).join(' ')
    ctx.stdout.write(`${s.dim(c.id)}  ${formatDate(c.updateTime)}  ${c.title || s.dim('(untitled)')}${marks ? `  ${marks}` : ''}\n`)
  }
  // On stderr, so that what is piped on is the list alone.
  if (more) ctx.stderr.write(`${ctx.err.dim(`${more} (--all, or --limit N)`)}\n`)
}

export async function show(ctx: Context, ref: string, options: GlobalOptions): Promise<void> {
  const { api, state, call } = open(ctx, options)
  const id = resolve(await state.read(), ref)
  const history = await api.getConversationHistory(id, call)
  if (options.json) {
    ctx.stdout.write(
      JSON.stringify(
        {
          conversationId: history.conversationId,
          title: history.title,
          currentNode: history.currentNode,
          createTime: history.createTime?.toISOString() ?? null,
          updateTime: history.updateTime?.toISOString() ?? null,
          messages: history.messages.map((m) => ({ ...m, createTime: m.createTime?.toISOString() ?? null }))
        },
        null,
        2
      ) + '\n'
    )
    return
  }
  const s = ctx.out
  ctx.stdout.write(`${s.bold(history.title || '(untitled)')}  ${s.dim(history.conversationId)}\n`)
  printMessages(ctx, history.messages, options)
}

/** Prints a thread: who wrote each message, then its text (rendered on a terminal). */
export function printMessages(
  ctx: Context,
  messages: { role: string; text: string }[],
  options: Pick<GlobalOptions, 'plain'>
): void {
  const s = ctx.out
  const mode = printMode(ctx, options)
  for (const message of messages) {
    const who = message.role === 'user' ? s.bold(s.green('You')) : s.bold(s.blue('ChatGPT'))
    const text = finalText(mode, message.text, ctx)
    ctx.stdout.write(`\n${who}\n${text}${text.endsWith('\n') ? '' : '\n'}`)
  }
}

export async function rename(ctx: Context, ref: string, words: string[], options: GlobalOptions): Promise<void> {
  const title = words.join(' ').trim()
  if (title === '') throw new UsageError('rename needs a title: chatgpt conversations rename ID|NAME "New title"')
  const { api, state, call } = open(ctx, options)
  const id = resolve(await state.read(), ref)
  await api.renameConversation(id, title, call)
  ctx.stdout.write(`Renamed ${id} to "${title}".\n`)
}

export async function remove(ctx: Context, refs: string[], options: GlobalOptions): Promise<void> {
  const { api, state, call } = open(ctx, options)
  const local = await state.read()
  const ids = refs.map((ref) => resolve(local, ref))
  for (const id of ids) {
    await api.deleteConversation(id, call)
    await state.forget([id])
    ctx.stdout.write(`Deleted ${id}.\n`)
  }
}

export async function clear(ctx: Context, options: GlobalOptions & { yes?: boolean }): Promise<void> {
  const { api, state, call } = open(ctx, options)
  if (!options.yes) {
    if (!ctx.stdin.isTTY) throw new UsageError('clear deletes every conversation of the account: add --yes to confirm')
    if (!(await confirm(ctx, `Delete every conversation of the account on ${state.backend}? [y/N] `))) {
      ctx.stderr.write('Nothing deleted.\n')
      return
    }
  }
  await api.clearConversations(call)
  await state.forget()
  ctx.stdout.write('Deleted every conversation.\n')
}

function formatDate(date: Date | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return ' '.repeat(16)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`
}
