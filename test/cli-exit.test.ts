/**
 * What the `chatgpt` command exits with and does for words that are not a prompt: a scripted
 * `chat` in which a message failed exits 1, and `chatgpt help [command…]` prints help instead
 * of sending "help" to ChatGPT. Spawns the built command against a test backend of its own
 * (faults are queued backend-wide, so these tests run one at a time).
 */
import { describe, expect, it, vi } from 'vitest'

import { defaultReply } from '../packages/chatgpt-kit/src/testing/index.js'
import { cliTestBackend } from './helpers/cli.js'

// Tests spawn the command several times in a row (each start takes a second or more on a busy
// machine): the bound is there to catch a hang, not to time anything.
vi.setConfig({ testTimeout: 60_000 })

const cli = cliTestBackend()

const user = () => cli.user()

/** The prompts the backend was sent, in order. */
function promptsSent(): string[] {
  return cli.backend.requests
    .filter((r) => r.method === 'POST' && r.path === '/backend-api/conversation')
    .map((r) => ((r.body as any)?.messages?.[0]?.content?.parts ?? []).join(''))
}

describe('scripted chat', () => {
  it('exits 1 when a message failed, though the others were answered', async () => {
    const { run } = await user()
    cli.backend.fault({ endpoint: 'conversation', type: 'status', status: 400, body: { detail: 'refused for the test' } })
    const result = await run(['chat'], 'first message\nsecond message\n')
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/^error: .*refused for the test/m)
    // The session went on after the failure.
    expect(result.stdout).toContain(defaultReply('second message'))
    expect(result.stdout).not.toContain(defaultReply('first message'))
  })

  it('exits 1 when a /command asking the server failed', async () => {
    const { run } = await user()
    expect((await run(['hello'])).code).toBe(0)
    cli.backend.fault({ endpoint: 'conversation', type: 'status', status: 400 })
    const failed = await run(['chat', '-c'], '/regen\n')
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^error: /m)
  })

  it('exits 0 when every message was answered, and local slips (an unknown /command) do not count', async () => {
    const { run } = await user()
    const result = await run(['chat'], 'one\n/nonsense\ntwo\n')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('unknown command /nonsense')
    expect(result.stdout).toContain(defaultReply('two'))
  })

  it('says so in `chatgpt chat --help`', async () => {
    const { run } = await user()
    const help = await run(['chat', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/exit code is then 1 if any message failed/)
  })
})

describe('chatgpt help', () => {
  it('`help` alone prints the program help and sends nothing', async () => {
    const { run } = await user()
    const before = promptsSent().length
    const result = await run(['help'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).toMatch(/^Usage: chatgpt \[options\] \[command\] \[prompt\.\.\.\]/)
    expect(result.stdout).toContain('Examples:')
    expect(promptsSent().length).toBe(before)
  })

  it('`help <command>` prints that command’s help, aliases and subcommands too, and sends nothing', async () => {
    const { run } = await user()
    const before = promptsSent().length
    for (const [args, usage] of [
      [['help', 'chat'], 'Usage: chatgpt chat '],
      [['help', 'auth'], 'Usage: chatgpt auth '],
      [['help', 'conversations'], 'Usage: chatgpt conversations|convs '],
      [['help', 'convs', 'ls'], 'Usage: chatgpt conversations ls|list '],
      [['--json', 'help', 'models'], 'Usage: chatgpt models ']
    ] as const) {
      const result = await run([...args])
      expect(result.code, args.join(' ')).toBe(0)
      expect(result.stdout.startsWith(usage), `${args.join(' ')}: ${result.stdout.slice(0, 80)}`).toBe(true)
    }
    expect(promptsSent().length).toBe(before)
  })

  it('`help` followed by anything but command names is a prompt', async () => {
    const { run } = await user()
    for (const words of [['help', 'me', 'write', 'a', 'poem'], ['help', 'chat', 'please']]) {
      const result = await run(words)
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toBe(defaultReply(words.join(' ')) + '\n')
      expect(promptsSent()).toContain(words.join(' '))
    }
  })
})
