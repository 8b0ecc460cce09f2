// Preload (`node --import <this file>`): records every module that the rest of the process
// resolves, from ESM (a resolve hook, on the loader thread) and from CommonJS (require's
// loader), one JSON line each in the file named by RECORD_LOADS_FILE. Plain JavaScript: it runs
// in a bare `node`, outside vitest.
import { appendFileSync } from 'node:fs'
import Module, { isBuiltin, register } from 'node:module'

const file = process.env.RECORD_LOADS_FILE
if (!file) throw new Error('RECORD_LOADS_FILE is not set')

register(new URL('./record-loads-hooks.mjs', import.meta.url), { data: { file } })

// Every require() goes through Module._load; `node:` built-ins are served there without reaching
// the resolver, so this is the one place that sees them all.
const load = Module._load
Module._load = function (request, parent, isMain) {
  const resolved = isBuiltin(request) ? request : Module._resolveFilename(request, parent, isMain)
  appendFileSync(file, JSON.stringify({ via: 'require', specifier: request, parent: parent?.filename ?? null, resolved }) + '\n')
  return load.call(this, request, parent, isMain)
}
