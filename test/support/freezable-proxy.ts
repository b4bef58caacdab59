// A TCP proxy on 127.0.0.1 that can "freeze": it keeps the sockets open but stops moving bytes,
// like a host that died or a network that drops packets.
import { connect, createServer, type Socket } from 'node:net'

export interface FreezableProxy {
  port: number
  freeze(): void
  /** Closes the open connections (a dropped link, an sshd restart) and keeps accepting new ones. */
  cut(): void
  close(): Promise<void>
}

export function startFreezableProxy(targetPort: number): Promise<FreezableProxy> {
  const sockets: Socket[] = []
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort })
    client.pipe(upstream)
    upstream.pipe(client)
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy())
    sockets.push(client, upstream)
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: (server.address() as { port: number }).port,
      cut: () => {
        for (const socket of sockets.splice(0)) socket.destroy()
      },
      freeze: () => {
        for (const socket of sockets) {
          socket.unpipe()
          socket.pause()
        }
      },
      close: () => new Promise<void>((done) => {
        sockets.forEach((socket) => socket.destroy())
        server.close(() => done())
      }),
    }))
  })
}

/** A TCP server that accepts connections and never says a word (no SSH banner). */
export function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = []
  const server = createServer((socket) => { sockets.push(socket) })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: (server.address() as { port: number }).port,
      close: () => new Promise<void>((done) => {
        sockets.forEach((socket) => socket.destroy())
        server.close(() => done())
      }),
    }))
  })
}
