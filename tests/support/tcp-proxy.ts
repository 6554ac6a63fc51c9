import net from 'node:net'
import { once } from 'node:events'

/**
 * A TCP proxy a test controls, to take a server away without stopping it (the shared test
 * PostgreSQL serves other suites). `refuse()`: connections are refused, open ones cut.
 * `blackhole()`: connections are accepted and never answered, open ones cut. `restore()`: forward
 * again, on the same port.
 */
export interface TcpProxy {
  readonly port: number
  refuse(): Promise<void>
  blackhole(): void
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  let mode: 'forward' | 'blackhole' = 'forward'
  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = net.createServer((client) => {
    track(client)
    if (mode === 'blackhole') return // accepted, never answered
    const upstream = net.connect(target)
    track(upstream)
    client.pipe(upstream).pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  const cutAll = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    port,
    refuse: async () => {
      cutAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    blackhole: () => {
      mode = 'blackhole'
      cutAll()
    },
    restore: async () => {
      mode = 'forward'
      if (!server.listening) {
        server.listen(port, '127.0.0.1')
        await once(server, 'listening')
      }
      cutAll() // blackholed connections go; clients reconnect
    },
    close: async () => {
      cutAll()
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
