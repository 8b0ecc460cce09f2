// The ESM half of record-loads.mjs: a resolve hook that notes each specifier and what it became.
import { appendFileSync } from 'node:fs'

let file

export function initialize(data) {
  file = data.file
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context)
  appendFileSync(file, JSON.stringify({ via: 'import', specifier, parent: context.parentURL ?? null, resolved: result.url }) + '\n')
  return result
}
