/**
 * Reads one line from the terminal without echoing it (tokens must not end up on screen or in
 * the scrollback).
 */
import { InterruptedError } from './cli-error.js'
import type { Context } from './context.js'

/**
 * @param visible - echo what is typed (for values that are not secret)
 */
export function readSecret(ctx: Context, prompt: string, visible = false): Promise<string> {
  const { stdin, stderr } = ctx
  stderr.write(prompt)
  return new Promise((resolve, reject) => {
    let value = ''
    stdin.setRawMode(true)
    stdin.setEncoding('utf8')
    stdin.resume()
    const done = (error?: Error) => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      stderr.write('\n')
      if (error) reject(error)
      else resolve(value.trim())
    }
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done()
        if (char === '\x03') return done(new InterruptedError())
        if (char === '\x04') return done()
        if (char === '\x7f' || char === '\b') {
          if (value.length > 0 && visible) stderr.write('\b \b')
          value = value.slice(0, -1)
        } else if (char >= ' ') {
          value += char
          if (visible) stderr.write(char)
        }
      }
    }
    stdin.on('data', onData)
  })
}
