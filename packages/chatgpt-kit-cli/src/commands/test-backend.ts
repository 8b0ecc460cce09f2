/**
 * `chatgpt test-backend`: runs the bundled local ChatGPT backend until Ctrl-C, and prints the
 * settings that point the command (or any client) at it. Its tokens are throwaway, made up for
 * this run, so printing them is the point.
 */
import { UsageError } from '../cli-error.js'
import type { Context } from '../context.js'

export async function testBackend(
  ctx: Context,
  options: { port?: string; host?: string; shape?: string; delay?: string }
): Promise<void> {
  const port = Number(options.port ?? 0)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a port number (0-65535)')
  const delay = Number(options.delay ?? 15)
  if (!(delay >= 0)) throw new UsageError('--delay takes milliseconds (0 or more)')
  const shape = options.shape ?? 'v1'
  if (shape !== '2022' && shape !== '2023' && shape !== 'v1') throw new UsageError("--shape takes '2022', '2023' or 'v1'")

  // Loaded only here: the other commands never need it.
  const { createTestBackend } = await import('chatgpt-kit/testing')
  const backend = await createTestBackend({ port, host: options.host, shape, eventDelayMs: delay })
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`
  ctx.stdout.write(
    [
      `export CHATGPT_BASE_URL=${backend.url}`,
      `export SESSION_TOKEN=${backend.sessionToken}`,
      `export CLEARANCE_TOKEN=${backend.clearanceToken}`,
      `export USER_AGENT=${quote(backend.userAgent)}`,
      ''
    ].join('\n')
  )
  ctx.stderr.write(
    `${ctx.err.green('Test backend listening on')} ${backend.url}\n` +
      ctx.err.dim('Paste the lines above into another shell, then: chatgpt "Hello" — Ctrl-C stops the backend.\n')
  )
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    ctx.interrupt.onInterrupt(stop)
    process.once('SIGTERM', stop)
  })
  await backend.close()
}
