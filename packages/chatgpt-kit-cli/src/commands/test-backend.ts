/**
 * `chatgpt test-backend`: runs the bundled local ChatGPT backend until Ctrl-C, and prints the
 * settings that point the command (or any client, an OpenAI SDK too) at it. Its tokens are throwaway, made up for
 * this run, so printing them is the point.
 *
 * Ctrl-C stops it and exits 130, as it does every command, however it was started; SIGTERM
 * stops it cleanly (exit 0).
 */
import { CliError, InterruptedError, UsageError } from '../cli-error.js'
import type { Context } from '../context.js'
import { listenError, untilStopped } from '../until-stopped.js'
import { noteTestBackend } from '../known-test-backends.js'

export async function testBackend(
  ctx: Context,
  options: { port?: string; host?: string; shape?: string; delay?: string }
): Promise<void> {
  const port = Number(options.port ?? 0)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a port number (0-65535)')
  const delay = Number(options.delay ?? 15)
  if (!(delay >= 0)) throw new UsageError('--delay takes milliseconds (0 or more)')
  const shape = options.shape ?? 'v1'
  if (shape !== '2022' && shape !== '2023' && shape !== 'v1' && shape !== '2026') {
    throw new UsageError("--shape takes '2022', '2023', 'v1' or '2026'")
  }

  // Loaded only here: the other commands never need it.
  const { createTestBackend } = await import('chatgpt-kit/testing')
  const backend = await createTestBackend({ port, host: options.host, shape, eventDelayMs: delay }).catch((error: unknown) => {
    throw listenError(error, port, options.host ?? '127.0.0.1', 'or leave --port out for a free one')
  })
  try {
    await forgetGoneBackends(ctx, backend.url)
    const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`
    // SIGTERM is taken before the lines are printed: a script may send it the instant it reads them.
    const stopped = untilStopped(ctx.interrupt.signal)
    ctx.stdout.write(
      [
        `export CHATGPT_BASE_URL=${backend.url}`,
        `export SESSION_TOKEN=${backend.sessionToken}`,
        `export CLEARANCE_TOKEN=${backend.clearanceToken}`,
        // The official SDKs read these two: any OpenAI client in that shell talks to this backend.
        `export OPENAI_BASE_URL=${backend.v1BaseUrl}`,
        `export OPENAI_API_KEY=${backend.apiKey}`,
        `export USER_AGENT=${quote(backend.userAgent)}`,
        ''
      ].join('\n')
    )
    ctx.stderr.write(
      `${ctx.err.green('Test backend listening on')} ${backend.url}\n` +
        ctx.err.dim('Paste the lines above into another shell, then: chatgpt "Hello" (or "showcase") — Ctrl-C stops the backend.\n')
    )
    await stopped
  } finally {
    await backend.close()
  }
  if (ctx.interrupt.signal.aborted) {
    // The terminal echoed ^C; the shell's prompt goes on the next line, not after it.
    if (ctx.stderr.isTTY) ctx.stderr.write('\n')
    throw new InterruptedError()
  }
}


/** Forgets what is remembered about earlier test backends that are gone; a failure is a warning. */
async function forgetGoneBackends(ctx: Context, url: string): Promise<void> {
  try {
    await noteTestBackend(ctx.env, url)
  } catch (error) {
    ctx.warn(`could not forget the conversations of earlier test backends: ${(error as Error).message}`)
  }
}

