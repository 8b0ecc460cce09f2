/**
 * Every way an error can reach a log, and a check that no secret (nor, optionally, any 8-character
 * piece of one) shows in any of them.
 */
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'

/** A random token that cannot appear anywhere by chance. */
export const secretToken = (label: string) => `${label}${randomBytes(20).toString('hex')}`

/**
 * The views of an error a logger or a developer may print: `String(err)`, message, stack,
 * statusText, JSON, deep inspection of it and of what it wraps, and of its `response` (status
 * text, inspection, every header value).
 */
export function errorViews(error: any): Record<string, string> {
  const views: Record<string, string> = {
    'String(err)': safe(() => String(error)),
    'err.message': safe(() => String(error?.message)),
    'err.stack': safe(() => String(error?.stack)),
    'err.statusText': safe(() => String(error?.statusText)),
    'JSON.stringify(err)': safe(() => String(JSON.stringify(error))),
    'inspect(err)': safe(() => inspect(error, { depth: Infinity })),
    'inspect(err.originalError)': safe(() => inspect(error?.originalError, { depth: Infinity }))
  }
  const response = error?.response
  if (response) {
    views['err.response.statusText'] = safe(() => String(response.statusText))
    views['inspect(err.response)'] = safe(() => inspect(response))
    try {
      for (const [name, value] of response.headers) views[`err.response.headers ${name}`] = String(value)
      for (const value of response.headers.getSetCookie?.() ?? []) views['err.response.headers set-cookie'] = String(value)
    } catch (e) {
      views['err.response.headers'] = `could not read: ${String(e)}`
    }
  }
  return views
}

function safe(render: () => string): string {
  try {
    return render()
  } catch (e) {
    return `<render threw: ${String(e)}>`
  }
}

/** Every piece of `secret` of `length` characters. */
export function piecesOf(secret: string, length = 8): string[] {
  const pieces: string[] = []
  for (let i = 0; i + length <= secret.length; i++) pieces.push(secret.slice(i, i + length))
  return pieces
}

/**
 * Where each named secret (or, with `pieces`, any 8-character piece of it) shows in the error's
 * views, as `"<secret name> in <view>"`: `[]` when none does. Compare with `toEqual([])` so that
 * the failure says exactly which secret leaked where, without printing it.
 */
export function leaksIn(error: unknown, secrets: Record<string, string>, opts: { pieces?: boolean } = {}): string[] {
  const leaks: string[] = []
  for (const [view, text] of Object.entries(errorViews(error))) {
    for (const [name, secret] of Object.entries(secrets)) {
      const needles = opts.pieces ? piecesOf(secret) : [secret]
      if (needles.some((needle) => text.includes(needle))) leaks.push(`${name} in ${view}`)
    }
  }
  return leaks
}

/** Where each named secret shows in any of `lines`. */
export function leaksInLines(lines: string[], secrets: Record<string, string>): string[] {
  const leaks: string[] = []
  lines.forEach((line, index) => {
    for (const [name, secret] of Object.entries(secrets)) {
      if (line.includes(secret)) leaks.push(`${name} in debug line ${index}`)
    }
  })
  return leaks
}
