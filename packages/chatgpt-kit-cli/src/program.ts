/**
 * The command line: commands, flags and help (commander), each command handing over to its module.
 */
import { Command, CommanderError, Option } from 'commander'

import { version } from '../package.json'
import { EXIT } from './cli-error.js'
import type { GlobalOptions } from './client.js'
import { ask } from './commands/ask.js'
import { auth } from './commands/auth.js'
import { chat } from './commands/chat.js'
import { clear, list, remove, rename, show } from './commands/conversations.js'
import { login, logout } from './commands/login.js'
import { models } from './commands/models.js'
import { serve } from './commands/serve.js'
import { testBackend } from './commands/test-backend.js'
import type { Context } from './context.js'

const EXAMPLES = `
Examples:
  $ chatgpt "Write a haiku about TypeScript"
  $ git diff | chatgpt "Write a commit message for this diff:" -
  $ chatgpt -c "Make it shorter"             continue the last conversation
  $ chatgpt -n work "Summarise our plan"      a named conversation
  $ chatgpt --json "Name a colour" | jq .text
  $ chatgpt chat                              an interactive session
  $ chatgpt help chat                         help on a command

Credentials come from flags, SESSION_TOKEN / CLEARANCE_TOKEN / USER_AGENT / ACCESS_TOKEN,
a .env file in the current directory (its CHATGPT_BASE_URL goes with its own tokens only), or
\`chatgpt login\`. Try it offline with \`chatgpt test-backend\`. \`help\` followed by words
other than command names is a prompt. Exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted.`

const CHAT_SCRIPTED = `
With stdin not a terminal (chatgpt chat < script.txt), each line is sent as a message (or run
as a /command), without prompts; the exit code is then 1 if any message failed (or a /command
asking the server, like /regen), else 0.`

/**
 * Builds the program. Its actions set `result.exitCode` (0 unless they say otherwise); errors
 * propagate to the caller, which prints them.
 */
export function buildProgram(ctx: Context, result: { exitCode: number }): Command {
  const program = new Command('chatgpt')
  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>()

  program
    .description('Talk to ChatGPT from the terminal: one-shot messages, interactive chat, conversations.')
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .argument('[prompt...]', 'the message (quote it); without one, it is read from stdin; - stands for stdin')
    .option('-c, --continue', 'continue the last conversation')
    .option('-n, --name <name>', 'continue the conversation of that name, or start it')
    .option('-m, --model <slug>', 'the model to answer with (see `chatgpt models`)')
    .option('-t, --timeout <seconds>', 'give up after this long (30, 30s, 2m, 500ms)')
    .option('--no-stream', 'print only the final text, not as it arrives')
    .option('--json', 'print the result as JSON, with its ids')
    .option('--plain', 'plain text instead of markdown')
    .option('--base-url <url>', 'the backend (default https://chat.openai.com; env CHATGPT_BASE_URL)')
    .addOption(new Option('--session-token <token>', 'session token (better: SESSION_TOKEN or `chatgpt login`)'))
    .addOption(new Option('--clearance-token <token>', 'Cloudflare clearance token (env CLEARANCE_TOKEN)'))
    .addOption(new Option('--user-agent <ua>', "the User-Agent of the browser the tokens come from (env USER_AGENT)"))
    .addOption(new Option('--access-token <token>', 'an access token to use as is (env ACCESS_TOKEN)'))
    .option('--debug', 'log each request, retry and re-authentication on stderr (no secrets)')
    .addHelpText('after', EXAMPLES)
    .configureHelp({ sortSubcommands: false })
    .action(async (words: string[], _options, command: Command) => {
      const wanted = helpTarget(program, words)
      if (wanted) return wanted.outputHelp()
      await ask(ctx, words, globals(command))
    })

  program
    .command('chat')
    .description('an interactive session (replies stream; /help inside for commands)')
    .addHelpText('after', CHAT_SCRIPTED)
    .action(async (_options, command: Command) => {
      result.exitCode = await chat(ctx, globals(command))
    })

  program
    .command('login')
    .description('check the tokens, then store them in the config file (mode 0600)')
    .action(async (_options, command: Command) => {
      await login(ctx, globals(command))
    })

  program
    .command('logout')
    .description('forget the tokens stored for the backend')
    .action(async (_options, command: Command) => {
      await logout(ctx, globals(command))
    })

  program
    .command('auth')
    .description('who is signed in, where the tokens come from, and whether they still work')
    .action(async (_options, command: Command) => {
      result.exitCode = await auth(ctx, globals(command))
    })

  const conversations = program
    .command('conversations')
    .alias('convs')
    .description("the account's conversations (NAME is a -n name, or `last`)")
  conversations
    .command('ls', { isDefault: true })
    .alias('list')
    .description('list conversations, most recent first (the default)')
    .option('--limit <n>', 'how many', '20')
    .option('--all', 'all of them')
    .action(async (_options, command: Command) => {
      await list(ctx, globals(command))
    })
  conversations
    .command('show')
    .description('print a conversation')
    .argument('<id|name>')
    .action(async (ref: string, _options, command: Command) => {
      await show(ctx, ref, globals(command))
    })
  conversations
    .command('rename')
    .description('set the title of a conversation')
    .argument('<id|name>')
    .argument('<title...>')
    .action(async (ref: string, words: string[], _options, command: Command) => {
      await rename(ctx, ref, words, globals(command))
    })
  conversations
    .command('rm')
    .alias('delete')
    .description('delete conversations')
    .argument('<id|name...>')
    .action(async (refs: string[], _options, command: Command) => {
      await remove(ctx, refs, globals(command))
    })
  conversations
    .command('clear')
    .description('delete every conversation of the account')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (_options, command: Command) => {
      await clear(ctx, globals(command))
    })

  program
    .command('models')
    .description('the models the account may use')
    .action(async (_options, command: Command) => {
      await models(ctx, globals(command))
    })

  program
    .command('test-backend')
    .description('run the bundled local test backend until Ctrl-C, and print how to use it')
    .option('--port <n>', 'port to listen on; a fixed one keeps the address across restarts (default: a free one)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--shape <shape>', 'stream shape: 2022, 2023, v1 or 2026', 'v1')
    .option('--delay <ms>', 'pause between streamed tokens', '15')
    .action(async (options, _command: Command) => {
      await testBackend(ctx, options)
    })

  program
    .command('serve')
    .description('serve the OpenAI Chat Completions API over your accounts (prints `listening URL`)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on; 0 picks a free one', '8787')
    .option('--accounts <file>', 'JSON array of accounts: [{ "id", "sessionToken", … }] (env CHATGPT_ACCOUNTS_FILE); default: your own account')
    .option('--api-key <key>', 'a key clients must send as Authorization: Bearer KEY; repeatable (env GATEWAY_API_KEYS, comma-separated)', collect, [])
    .option('--metrics-key <key>', 'a key for GET /metrics (env GATEWAY_METRICS_KEY); default: open')
    .option('--redis <url>', 'share accounts, leases and conversations with other processes through Redis (env REDIS_URL)')
    .option('--redis-prefix <prefix>', 'prefix of the Redis keys', 'chatgpt-kit:')
    .option('--store <store>', 'memory, sqlite:PATH or redis (default: SQLite in the state directory, or redis with --redis)')
    .option('--queue-timeout <seconds>', 'how long a request waits for a busy account before a 503', '60')
    .option('--requests-per-minute <n>', 'limit per API key')
    .option('--concurrent-requests <n>', 'limit per API key')
    .action(async (options, command: Command) => {
      await serve(ctx, options, globals(command))
    })

  // A command's help lists its own options; the 14 shared ones are listed once, on the main help.
  for (const command of allCommands(program)) {
    command.addHelpText('after', '\nGlobal options (-m, -t, --json, --plain, --base-url, tokens, …): see `chatgpt --help`')
  }

  for (const command of [program, ...allCommands(program)]) {
    // A usage error is one line: what is wrong, and where the help is.
    const help = `${fullName(command)} --help`
    command
      .exitOverride()
      .configureOutput({
        writeOut: (text) => ctx.stdout.write(text),
        writeErr: (text) => ctx.stderr.write(text),
        outputError: (text, write) =>
          write(`${ctx.err.red('chatgpt:')} ${text.replace(/^error: /, '').trim()} (see \`${help}\`)\n`)
      })
  }
  return program
}

/**
 * The command whose help `chatgpt help [command…]` asks for: `help` alone is the program's, and
 * `help` followed only by command names (`help chat`, `help conversations ls`) is theirs. The
 * default command takes free text, so anything else (`help me write a poem`) is a prompt.
 */
function helpTarget(program: Command, words: string[]): Command | undefined {
  if (words[0] !== 'help') return undefined
  let target = program
  for (const word of words.slice(1)) {
    const next = target.commands.find((sub) => sub.name() === word || sub.aliases().includes(word))
    if (!next) return undefined
    target = next
  }
  return target
}

function fullName(command: Command): string {
  return command.parent ? `${fullName(command.parent)} ${command.name()}` : command.name()
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...allCommands(sub)])
}

/** The exit code of a commander exit: 0 for help and version, 2 for usage errors. */
export function commanderExitCode(error: CommanderError): number {
  // Help asked for, and the version, exit 0; everything else commander stops on is a usage
  // error (an unknown option, a missing argument, `chatgpt conversations` without a command).
  return error.exitCode === 0 ? EXIT.ok : EXIT.usage
}

export { CommanderError }

/** Commander's way to repeat an option: each occurrence adds to the list. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}
