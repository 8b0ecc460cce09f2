/**
 * Checks on what the smaller endpoints answer: a 200 that is not the promised shape is an
 * `invalid_response`, not a crash somewhere in the caller's code.
 */
import { ChatGPTError } from '../errors.js'

function invalidAnswer(what: string): ChatGPTError {
  return new ChatGPTError(`ChatGPT sent an unexpected answer: ${what}`, { code: 'invalid_response' })
}

function recordOf(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** `{models: [...]}` → the list. */
export function modelsOf<T>(answer: unknown): T[] {
  const models = recordOf(answer)?.models
  if (!Array.isArray(models)) throw invalidAnswer('no model list')
  return models.filter((model) => recordOf(model) && typeof model.slug === 'string') as T[]
}

/** `{title}` → the title. */
export function titleOf(answer: unknown): string {
  const title = recordOf(answer)?.title
  if (typeof title !== 'string') throw invalidAnswer('no title')
  return title
}

/** `{success: true}`; anything else means the change was not made. */
export function assertSuccess(answer: unknown, what: string): void {
  if (recordOf(answer)?.success !== true) throw invalidAnswer(`${what} was not confirmed`)
}

/** An object with the fields a caller relies on. */
export function assertFields(answer: unknown, fields: Record<string, 'string' | 'boolean'>, what: string): void {
  const record = recordOf(answer)
  if (!record || !Object.entries(fields).every(([key, type]) => typeof record[key] === type)) {
    throw invalidAnswer(`not a ${what}`)
  }
}
