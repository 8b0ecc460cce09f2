/**
 * A TCP proxy on 127.0.0.1 that can be cut like a network partition: after `cut()` no byte moves
 * either way, and every connection stays open (nothing tells either end, as when packets are
 * dropped). Closed after each test.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { afterEach } from 'vitest'

export type TcpProxy = {
  /** `host:port` to connect to instead of the target. */
  readonly port: number
  /** Stops every byte, of open connections and new ones alike. */
  cut(): void
  close(): Promise<void>
}

const open: TcpProxy[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((proxy) => proxy.close()))
})

/** A proxy to `targetPort` on 127.0.0.1. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let isCut = false
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    if (isCut) socket.pause()
  }
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const [from, to] of [
      [client, upstream],
      [upstream, client]
    ] as const) {
      track(from)
      // Not pipe(): a pipe resumes its source on 'drain', which would undo cut().
      from.on('data', (chunk) => to.write(chunk))
      from.on('error', () => to.destroy())
      from.on('close', () => to.destroy())
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxy: TcpProxy = {
    port: (server.address() as AddressInfo).port,
    cut() {
      isCut = true
      for (const socket of sockets) socket.pause()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
  open.push(proxy)
  return proxy
}
