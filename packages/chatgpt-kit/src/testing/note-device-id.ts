import type { IncomingMessage } from 'node:http'
import type { BackendContext } from './context.js'
import { deviceIdOf } from './sentinel-answers.js'

/**
 * In 2026 mode, notes the `oai-device-id` of a request to `/backend-api`, whatever its answer,
 * for {@link TestBackend.deviceIds}: a client must keep one device id per account (§2.4), and a
 * test sees here whether it did.
 */
export function noteDeviceId(ctx: BackendContext, req: IncomingMessage, path: string): void {
  if (ctx.options.protocol !== '2026' || !path.startsWith('/backend-api/')) return
  const deviceId = deviceIdOf(req)
  if (deviceId !== undefined) ctx.protocol2026.sawDeviceId(deviceId)
}
