import { apiHeaders, sendProblem } from './api-errors.js'
import { requireApiKey } from './api-keys.js'
import { apiModelObject, unknownApiModel } from './api-models.js'
import type { BackendContext, Exchange } from './context.js'
import { sendJson } from './http-io.js'

/** `GET /v1/models`: `{object: 'list', data: [{id, object: 'model', created, owned_by}]}`. */
export function handleApiModels(ctx: BackendContext, ex: Exchange): void {
  if (!requireApiKey(ctx.apiKeys, ex.req, ex.res)) return
  sendJson(ex.res, 200, { object: 'list', data: ctx.options.apiModels.map(apiModelObject) }, apiHeaders())
}

/** `GET /v1/models/{id}`: the model, or 404 `model_not_found`. */
export function handleApiModel(ctx: BackendContext, ex: Exchange): void {
  if (!requireApiKey(ctx.apiKeys, ex.req, ex.res)) return
  const id = ex.params[0]!
  const refused = unknownApiModel(id, ctx.options.apiModels)
  if (refused) return sendProblem(ex.res, { ...refused, error: { ...refused.error, param: 'model' } })
  sendJson(ex.res, 200, apiModelObject(id), apiHeaders())
}
