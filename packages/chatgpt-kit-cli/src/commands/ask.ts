/**
 * `chatgpt [prompt…]`: one message, its reply streamed to stdout.
 */
import { randomUUID } from 'node:crypto'

import { ChatGPTError } from 'chatgpt-kit'
import { titleNewConversation } from '../auto-title.js'
import { CliError, UsageError } from '../cli-error.js'
import { checkName, createApi, loadSettings, parseTimeout, type GlobalOptions } from '../client.js'
import type { Context } from '../context.js'
import { debugLogger } from '../debug-line.js'
import { stateFile } from '../paths.js'
import { finalText, printMode } from '../output.js'
import { ReplyPrinter } from '../reply-printer.js'
import { rememberReply } from '../remember-reply.js'
import { runReply } from '../run-reply.js'
import { StateDirectoryError, StateStore, findByName, lastConversation } from '../state-store.js'

export async function ask(ctx: Context, words: string[], options: GlobalOptions): Promise<void> {
  const name = checkName(options.name)
  if (options.continue && name !== undefined) {
    throw new UsageError('-c/--continue and -n/--name cannot be used together: -n NAME already continues that conversation')
  }
  const timeoutMs = parseTimeout(options.timeout)
  const prompt = await readPrompt(ctx, words)
  const settings = loadSettings(ctx, options)
  const api = createApi(ctx, settings, { debug: options.debug })
  const state = new StateStore(stateFile(ctx.env), settings.baseUrl, ctx.warn)
  const signal = ctx.interrupt.signal

  // Continuing: wait for any other command continuing the same conversation, then answer the
  // reply it got, so that concurrent commands make one thread.
  const continuing = options.continue || name !== undefined
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs
  const releaseTurn = continuing ? await takeTurn(ctx, state, name, timeoutMs) : undefined
  try {
    // Only a continued conversation needs the state: a new message goes out even when the state
    // directory is unusable (it is then only not remembered; see below).
    const current = continuing ? await state.read() : undefined
    const record = !current ? undefined : name !== undefined ? findByName(current, name) : lastConversation(current)
    if (options.continue && !record) {
      throw new CliError('there is no conversation to continue yet on this backend: send a message without -c first')
    }

    const messageId = randomUUID()
    const streaming = options.stream !== false && !options.json
    const mode = printMode(ctx, options)
    const printer = streaming
      ? new ReplyPrinter((text) => ctx.stdout.write(text), mode, { color: ctx.color.stdout, width: ctx.stdout.columns })
      : undefined
    const reply = await runReply(
      ctx,
      (attempt) =>
        api.sendMessageDetailed(prompt, {
          ...attempt,
          conversationId: record?.conversationId,
          parentMessageId: record?.parentMessageId,
          // The same user message id on every attempt: a retry resends the same message.
          messageId: messageId,
          model: options.model
        }),
      { printer, signal, timeoutMs: deadline === undefined ? undefined : Math.max(1, deadline - Date.now()) }
    ).catch(async (error: unknown) => {
      if (record && error instanceof ChatGPTError && error.code === 'conversation_not_found') {
        await state.forget([record.conversationId])
        throw new CliError(
          name !== undefined
            ? `the conversation '${name}' no longer exists on the server (deleted?), so it is forgotten; send again to start it anew`
            : 'the last conversation no longer exists on the server (deleted?), so it is forgotten; send without -c to start a new one'
        )
      }
      throw error
    })
    // A conversation started here gets a title, as in the web app, while the rest goes on.
    const titled =
      !record && reply.conversationId && reply.messageId
        ? titleNewConversation(api, { conversationId: reply.conversationId, messageId: reply.messageId }, {
            model: options.model,
            signal,
            debug: options.debug ? debugLogger(ctx) : undefined
          })
        : undefined
    if (options.json) {
      const text = mode === 'plain' ? finalText('plain', reply.text, ctx) : reply.text
      ctx.stdout.write(
        JSON.stringify(
          {
            text,
            conversationId: reply.conversationId,
            messageId: reply.messageId,
            parentMessageId: reply.parentMessageId,
            model: reply.model ?? null,
            finishReason: reply.finishReason ?? null,
            // What today's stream adds, when it carried it.
            ...(reply.title !== undefined && { title: reply.title }),
            ...(reply.reasoning !== undefined && { reasoning: reply.reasoning }),
            ...(name !== undefined && { name })
          },
          null,
          2
        ) + '\n'
      )
    } else if (!streaming) {
      const text = finalText(mode, reply.text, ctx)
      ctx.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`)
    }
    // After the reply is out: the message was sent, whatever happens to the state now.
    if (reply.conversationId && reply.messageId) {
      await rememberReply(ctx.warn, state, { conversationId: reply.conversationId, messageId: reply.messageId, name })
    }
    await titled
    signal.throwIfAborted()
  } finally {
    await releaseTurn?.()
  }
}

/** Waits for the conversation's turn (within `-t`, if given); Ctrl-C stops the wait. */
async function takeTurn(ctx: Context, state: StateStore, name: string | undefined, timeoutMs: number | undefined) {
  const signals = [ctx.interrupt.signal]
  if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs))
  try {
    return await state.takeTurn(
      { name },
      {
        signal: AbortSignal.any(signals),
        onWait: () => {
          if (ctx.stderr.isTTY) ctx.stderr.write(ctx.err.dim('waiting for another chatgpt command continuing this conversation…\n'))
        }
      }
    )
  } catch (error) {
    if ((error as Error)?.name === 'TimeoutError') {
      throw new CliError('timed out waiting for another chatgpt command continuing this conversation; give it longer with -t SECONDS')
    }
    if (error instanceof StateDirectoryError) {
      // Nothing was sent: a conversation that cannot be looked up or recorded cannot be continued.
      throw new CliError(`-c and -n need the state directory, but ${error.message}`)
    }
    throw error
  }
}

/**
 * The prompt: the words given (quote them), or stdin when there are none; a `-` among the words
 * stands for stdin, so `git diff | chatgpt "Review this:" -` sends both.
 */
async function readPrompt(ctx: Context, words: string[]): Promise<string> {
  const wantsStdin = words.length === 0 || words.includes('-')
  if (wantsStdin && ctx.stdin.isTTY) {
    if (words.length === 0) {
      throw new UsageError('no prompt given: chatgpt "your question", or pipe it in (echo hi | chatgpt), or start a session with chatgpt chat')
    }
    throw new UsageError("'-' reads the prompt from stdin, but stdin is a terminal: pipe something in")
  }
  const piped = wantsStdin ? await readAll(ctx.stdin) : ''
  const text = words.filter((word) => word !== '-').join(' ')
  const prompt = [text, piped.replace(/\s+$/, '')].filter((part) => part.trim() !== '').join('\n\n')
  if (prompt.trim() === '') throw new UsageError('the prompt is empty')
  return prompt
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  stream.setEncoding('utf8')
  let text = ''
  for await (const chunk of stream) text += chunk
  return text
}
