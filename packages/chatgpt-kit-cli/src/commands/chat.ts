/**
 * `chatgpt chat`: an interactive session. Line editing and history come from `node:readline`
 * (the history is kept in the state directory); replies stream; Ctrl-C stops the current reply,
 * and at the prompt a second Ctrl-C (or Ctrl-D, or /exit) leaves. With stdin not a terminal the
 * session reads its lines from stdin, without prompts, spinner or colour, so it can be scripted;
 * it then exits 1 if any message (or slash command that asks the server) failed.
 */
import { createInterface, type Interface } from 'node:readline'

import type { ChatGPTAPI, ChatGPTConversation, ChatGPTReply } from 'chatgpt-kit'
import { titleNewConversation } from '../auto-title.js'
import { HistoryFileError, appendHistory, loadHistory } from '../chat-history.js'
import { EXIT, InterruptedError, UsageError, describeError } from '../cli-error.js'
import { checkName, createApi, loadSettings, parseTimeout, secretsOf, type GlobalOptions } from '../client.js'
import type { Context } from '../context.js'
import { debugLogger } from '../debug-line.js'
import { printMode } from '../output.js'
import { historyFile, stateFile } from '../paths.js'
import { rememberReply } from '../remember-reply.js'
import { ReplyPrinter } from '../reply-printer.js'
import { runReply, type AttemptOptions } from '../run-reply.js'
import { keepLine } from '../spinner.js'
import { StateStore, findByName, lastConversation } from '../state-store.js'
import { printMessages } from './conversations.js'

const HELP: [string, string][] = [
  ['/new', 'start a new conversation'],
  ['/regen', 'regenerate the last reply'],
  ['/continue', 'continue the last reply (after it stopped at the length limit)'],
  ['/rollback [n]', 'go back n exchanges (default 1); the next message replaces them'],
  ['/title [text]', "show the conversation's title, or set it"],
  ['/history', 'show the conversation so far'],
  ['/help', 'show these commands'],
  ['/exit', 'leave (also Ctrl-D, or Ctrl-C twice)']
]

const HISTORY_LINES = 1000

export async function chat(ctx: Context, options: GlobalOptions): Promise<number> {
  const name = checkName(options.name)
  if (options.continue && name !== undefined) {
    throw new UsageError('-c/--continue and -n/--name cannot be used together: -n NAME already continues that conversation')
  }
  if (options.json) throw new UsageError('--json is for one-shot messages, not for chat')
  const timeoutMs = parseTimeout(options.timeout)
  const settings = loadSettings(ctx, options)
  const api = createApi(ctx, settings, { debug: options.debug })
  const state = new StateStore(stateFile(ctx.env), settings.baseUrl, ctx.warn)

  // Only a continued conversation needs the state (a new one only fails to be remembered).
  const saved = name !== undefined || options.continue ? await state.read() : undefined
  const record = !saved ? undefined : name !== undefined ? findByName(saved, name) : lastConversation(saved)
  if (options.continue && !record) {
    ctx.warn('there is no conversation to continue yet on this backend; starting a new one')
  }
  const session = new ChatSession(ctx, api, state, {
    name,
    model: options.model,
    timeoutMs,
    mode: printMode(ctx, options),
    secrets: secretsOf(settings),
    debug: options.debug ? debugLogger(ctx) : undefined,
    conversation: api.getConversation({ conversationId: record?.conversationId, parentMessageId: record?.parentMessageId })
  })
  return session.run(settings.baseUrl, record !== undefined)
}

class ChatSession {
  private readonly interactive: boolean
  private rl!: Interface
  private lines: string[] = []
  private waiting: ((line: string | null) => void) | undefined
  private closed = false
  /** The reply being received, to stop on Ctrl-C. */
  private current: AbortController | undefined
  /** A Ctrl-C at an empty prompt arms the next one to leave. */
  private armed = false
  private exitCode: number = EXIT.ok
  /** The state could not be saved (said once per session). */
  private unsaved = false
  /** The text of the last reply, to show only what /continue adds. */
  private lastReplyText: string | undefined
  private promptStyle!: Context['out']
  /** Whether the prompt is on screen, waiting for a line. */
  private atPrompt = false
  /** Set when the session closes readline itself (not Ctrl-D). */
  private leaving = false
  /** The title being made for the conversation started in this session. */
  private titling: Promise<void> | undefined
  /** Set once the history file was found to be a link or not a file: it is left alone. */
  private historyRefused = false

  constructor(
    private readonly ctx: Context,
    private readonly api: ChatGPTAPI,
    private readonly state: StateStore,
    private readonly options: {
      name?: string
      model?: string
      timeoutMs?: number
      mode: 'raw' | 'render' | 'plain'
      secrets: (string | undefined)[]
      debug?: (line: string) => void
      conversation: ChatGPTConversation
    }
  ) {
    this.interactive = ctx.stdin.isTTY === true
  }

  private get conversation(): ChatGPTConversation {
    return this.options.conversation
  }

  async run(baseUrl: string, resumed: boolean): Promise<number> {
    const { ctx } = this
    // The prompt and the line being edited go to the terminal: stderr when stdout is redirected.
    const toStdout = ctx.stdout.isTTY === true
    this.promptStyle = toStdout ? ctx.out : ctx.err
    const terminal = toStdout ? ctx.stdout : ctx.stderr
    this.rl = createInterface({
      input: ctx.stdin,
      output: this.interactive ? terminal : undefined,
      terminal: this.interactive,
      history: this.interactive ? await this.loadHistory() : [],
      historySize: HISTORY_LINES,
      removeHistoryDuplicates: true
    })
    this.rl.on('line', (line) => this.push(line))
    this.rl.on('close', () => {
      // Ctrl-D at the prompt: end the prompt's line, or the shell's prompt would land on it.
      // (During a reply the session ends after it, which ends its line anyway.)
      if (this.interactive && !this.leaving && !this.current) terminal.write('\n')
      this.closed = true
      this.push(null)
    })
    this.rl.on('SIGINT', () => this.interrupt())
    const restore = ctx.interrupt.onInterrupt(() => this.interrupt())
    // Lines written on stderr while the prompt waits (`--debug` lines of a title being made) go
    // above it, and the prompt with what is typed so far is drawn again below them.
    const releasePrompt = this.interactive
      ? keepLine(ctx.stderr, { shown: () => this.atPrompt && !this.closed, redraw: () => this.rl.prompt(true) })
      : () => {}

    if (this.interactive) {
      const s = ctx.err
      const what = resumed ? `continuing ${this.options.name ? `'${this.options.name}'` : 'the last conversation'}` : 'new conversation'
      ctx.stderr.write(`${s.bold('ChatGPT')} ${s.dim(`on ${baseUrl} · ${what} · /help for commands, Ctrl-D to leave`)}\n`)
    }
    try {
      for (;;) {
        const input = await this.readInput()
        if (input === null) break
        this.armed = false
        const text = input.trim()
        if (text === '') continue
        if (this.interactive) void this.saveHistory(input)
        if (text.startsWith('/')) {
          if ((await this.command(text)) === 'exit') break
        } else {
          await this.guard(() => this.reply((o) => this.send(input, o)))
        }
      }
    } finally {
      restore()
      releasePrompt()
      this.leaving = true
      this.rl.close()
      await this.titling
    }
    return this.exitCode
  }

  /** One input: a line, or several joined by a `\` at the end of each but the last. */
  private async readInput(): Promise<string | null> {
    let text = ''
    for (let first = true; ; first = false) {
      if (this.interactive && !this.closed) {
        const s = this.promptStyle
        this.rl.setPrompt(first ? s.bold(s.green('> ')) : s.dim('… '))
        this.rl.prompt()
      }
      this.atPrompt = true
      const line = await this.nextLine().finally(() => (this.atPrompt = false))
      if (line === null) return first ? null : text
      if (!line.endsWith('\\')) return text + line
      text += line.slice(0, -1) + '\n'
    }
  }

  private push(line: string | null): void {
    if (this.waiting) {
      const resolve = this.waiting
      this.waiting = undefined
      resolve(line)
    } else if (line !== null) {
      this.lines.push(line)
    }
  }

  private nextLine(): Promise<string | null> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!)
    if (this.closed) return Promise.resolve(null)
    return new Promise((resolve) => (this.waiting = resolve))
  }

  /** Ctrl-C: stops the reply; at the prompt clears the line, and a second one leaves. */
  private interrupt(): void {
    if (this.current) {
      this.current.abort(new InterruptedError())
      return
    }
    const line = (this.rl as unknown as { line?: string }).line ?? ''
    if (this.interactive && line !== '') {
      this.rl.write(null, { ctrl: true, name: 'u' })
      return
    }
    if (this.armed) {
      this.exitCode = EXIT.interrupted
      if (this.interactive) this.ctx.stderr.write('\n')
      this.leaving = true
      this.rl.close()
      return
    }
    this.armed = true
    this.ctx.stderr.write(`\n${this.ctx.err.dim('(Ctrl-C again, Ctrl-D or /exit to leave)')}\n`)
    if (this.interactive) this.rl.prompt()
  }

  /** Runs a step, printing its failure as one line; the session goes on. */
  private async guard(step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (error) {
      if (error instanceof InterruptedError) {
        this.ctx.stderr.write(`${this.ctx.err.dim('(stopped)')}\n\n`)
        return
      }
      const { line } = describeError(error, this.options.secrets)
      this.ctx.stderr.write(`${this.ctx.err.red('error:')} ${line}\n`)
      // A script reads the exit code: one failed message (or request) fails the run. A person
      // at the terminal saw the error, and leaving the session is not a failure.
      if (!this.interactive) this.exitCode = EXIT.failure
    }
  }

  /** Records where the conversation is now; a state that cannot be saved is a warning, once. */
  private async remember(): Promise<void> {
    const { conversationId, parentMessageId } = this.conversation
    if (!conversationId || !parentMessageId) return
    const warn = (line: string) => {
      if (!this.unsaved) this.ctx.warn(line)
      this.unsaved = true
    }
    await rememberReply(warn, this.state, { conversationId, messageId: parentMessageId, name: this.options.name })
  }

  /**
   * Streams one reply, then remembers where the conversation is.
   * @param skip - text the reply starts with that is already on screen (for /continue)
   */
  private async reply(start: (options: AttemptOptions) => Promise<ChatGPTReply>, skip = ''): Promise<void> {
    const { ctx } = this
    const printer = new ReplyPrinter((text) => ctx.stdout.write(text), this.options.mode, {
      color: ctx.color.stdout,
      width: ctx.stdout.columns,
      skip
    })
    this.current = new AbortController()
    const isNew = this.conversation.conversationId === undefined
    try {
      const reply = await runReply(ctx, start, {
        printer,
        signal: this.current.signal,
        timeoutMs: this.options.timeoutMs
      })
      // A blank line between one reply and what follows.
      ctx.stdout.write('\n')
      this.lastReplyText = reply.text
      const { conversationId, parentMessageId } = this.conversation
      if (isNew && conversationId && parentMessageId) {
        // Titled as in the web app, while the session goes on.
        this.titling = titleNewConversation(this.api, { conversationId, messageId: parentMessageId }, {
          model: this.options.model,
          debug: this.options.debug
        })
      }
      await this.remember()
    } finally {
      this.current = undefined
    }
  }

  private send(message: string, attempt: AttemptOptions): Promise<ChatGPTReply> {
    return this.conversation.sendMessageDetailed(message, { ...attempt, model: this.options.model })
  }

  private async command(input: string): Promise<'exit' | void> {
    const [command, ...rest] = input.split(/\s+/)
    const argument = input.slice(command.length).trim()
    const { ctx } = this
    const say = (line: string) => ctx.stdout.write(`${line}\n`)
    switch (command) {
      case '/exit':
      case '/quit':
        return 'exit'
      case '/help':
        for (const [usage, what] of HELP) say(`${usage.padEnd(16)}${ctx.out.dim(what)}`)
        say(ctx.out.dim('End a line with \\ to write several lines.'))
        return
      case '/new':
        this.conversation.conversationId = undefined
        this.conversation.parentMessageId = undefined
        this.lastReplyText = undefined
        say('Started a new conversation.')
        return
      case '/regen':
        if (!this.requireReply()) return
        return this.guard(() =>
          this.reply((o) => this.conversation.regenerate({ ...o, model: this.options.model }))
        )
      case '/continue':
        if (!this.requireReply()) return
        return this.guard(async () => {
          const previous = this.lastReplyText ?? (await this.currentReplyText())
          await this.reply((o) => this.conversation.continue({ ...o, model: this.options.model }), previous)
        })
      case '/rollback': {
        if (!this.requireReply()) return
        const n = rest.length === 0 ? 1 : Number(rest[0])
        if (!Number.isInteger(n) || n < 1) {
          ctx.stderr.write(`${ctx.err.red('error:')} /rollback takes a whole number of exchanges, like /rollback 2\n`)
          return
        }
        return this.guard(async () => {
          await this.conversation.rollback(n, { timeoutMs: this.options.timeoutMs })
          this.lastReplyText = undefined
          await this.remember()
          say(`Went back ${n} exchange${n === 1 ? '' : 's'}; the next message continues from there.`)
        })
      }
      case '/title':
        if (!this.requireConversation()) return
        return this.guard(() => this.title(argument))
      case '/history':
        if (!this.requireConversation()) return
        return this.guard(async () => {
          const history = await this.conversation.history({ timeoutMs: this.options.timeoutMs })
          if (history.messages.length === 0) say('(no messages yet)')
          printMessages(ctx, history.messages, { plain: this.options.mode === 'plain' })
        })
      default:
        ctx.stderr.write(`${ctx.err.red('error:')} unknown command ${command}; /help lists them\n`)
    }
  }

  private async title(text: string): Promise<void> {
    const id = this.conversation.conversationId!
    const call = { timeoutMs: this.options.timeoutMs }
    // A title still being made would overwrite the one set here, or be missed by the one read.
    await this.titling
    if (text) {
      await this.api.renameConversation(id, text, call)
      this.ctx.stdout.write(`Title: ${text}\n`)
      return
    }
    const history = await this.api.getConversationHistory(id, call)
    let title = history.title
    if (!title || title === 'New chat') {
      const firstReply = history.messages.find((m) => m.role === 'assistant')
      if (firstReply) title = await this.api.generateTitle(id, firstReply.id, { ...call, model: this.options.model })
    }
    this.ctx.stdout.write(`Title: ${title || '(untitled)'}\n`)
  }

  private async currentReplyText(): Promise<string> {
    const history = await this.conversation.history({ timeoutMs: this.options.timeoutMs })
    const last = history.messages.at(-1)
    return last?.role === 'assistant' ? last.text : ''
  }

  private requireConversation(): boolean {
    if (this.conversation.conversationId) return true
    this.ctx.stderr.write(`${this.ctx.err.red('error:')} no conversation yet: send a message first\n`)
    return false
  }

  private requireReply(): boolean {
    if (!this.requireConversation()) return false
    if (this.conversation.parentMessageId) return true
    this.ctx.stderr.write(`${this.ctx.err.red('error:')} there is no reply yet\n`)
    return false
  }

  /** Earlier sessions' inputs, newest first (as readline wants them). */
  private async loadHistory(): Promise<string[]> {
    try {
      return await loadHistory(historyFile(this.ctx.env), HISTORY_LINES)
    } catch (error) {
      this.historyFailed(error)
      return []
    }
  }

  private async saveHistory(input: string): Promise<void> {
    if (this.historyRefused) return
    try {
      await appendHistory(historyFile(this.ctx.env), input)
    } catch (error) {
      // History is a convenience: a read-only state directory must not stop the session.
      this.historyFailed(error)
    }
  }

  private historyFailed(error: unknown): void {
    if (!(error instanceof HistoryFileError) || this.historyRefused) return
    this.historyRefused = true
    this.ctx.warn(error.message)
  }
}
