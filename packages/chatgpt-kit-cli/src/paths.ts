/**
 * Where the command keeps its files: credentials in the user's config directory, conversation
 * state in the user's state directory, following each platform's convention. Tests point both at
 * temporary folders through `XDG_CONFIG_HOME` / `XDG_STATE_HOME` (honoured on every platform).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

const APP = 'chatgpt'

type Env = NodeJS.ProcessEnv

/**
 * The config directory: `$XDG_CONFIG_HOME/chatgpt`, else `~/Library/Preferences/chatgpt` on
 * macOS, `%APPDATA%\chatgpt` on Windows, `~/.config/chatgpt` elsewhere.
 */
export function configDir(env: Env = process.env, platform = process.platform): string {
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, APP)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Preferences', APP)
  if (platform === 'win32') return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), APP)
  return join(homedir(), '.config', APP)
}

/**
 * The state directory: `$XDG_STATE_HOME/chatgpt`, else `~/Library/Application Support/chatgpt`
 * on macOS, `%LOCALAPPDATA%\chatgpt` on Windows, `~/.local/state/chatgpt` elsewhere.
 */
export function stateDir(env: Env = process.env, platform = process.platform): string {
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, APP)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP)
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), APP)
  return join(homedir(), '.local', 'state', APP)
}

/** The credentials file (mode 0600). */
export const configFile = (env: Env = process.env): string => join(configDir(env), 'config.json')

/** The conversation state file. */
export const stateFile = (env: Env = process.env): string => join(stateDir(env), 'state.json')

/** The `chatgpt chat` input history (mode 0600: prompts can be private). */
export const historyFile = (env: Env = process.env): string => join(stateDir(env), 'chat-history')
