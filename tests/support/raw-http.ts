import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'

/** What came back on a raw connection by the time the server closed it. */
export interface RawOutcome {
  /** Everything the server wrote (an HTTP answer, or nothing when it just closed). */
  received: string
  /** The status of the answer, if there was one. */
  status: number | null
  /** The body after the blank line (JSON when Ferry answered). */
  body: string
  /** True when the server closed the connection (we never end it ourselves). */
  closedByServer: boolean
}

/** A raw TCP connection to the server, for bytes no HTTP client would send. */
export interface RawConnection {
  socket: Socket
  /**
   * Resolves when the connection closes: by the server, or after `failAfterMs` by us (a hang,
   * reported as `closedByServer: false` so the suite counts it before asserting).
   */
  closed: Promise<RawOutcome>
  /** Write bytes now, if the connection is still open. */
  write(bytes: string | Buffer): void
  /** Write `bytes` one at a time, `everyMs` apart, until done or the server closes. */
  trickle(bytes: string, everyMs: number): void
  destroy(): void
}

/**
 * Open a raw connection. `failAfterMs` bounds how long a test waits for the server to cut the
 * connection: it is a hang detector, not a timing assertion (the server's timeouts are far
 * shorter), and a connection still open then counts as not cut.
 */
export function openRawConnection(port: number, options: { failAfterMs: number }): RawConnection {
  const socket = connect({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  let timer: NodeJS.Timeout | undefined
  let trickling: NodeJS.Timeout | undefined
  let destroyedByUs = false
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => undefined) // a reset is one way of being cut
  const closed = new Promise<RawOutcome>((resolve) => {
    timer = setTimeout(() => {
      destroyedByUs = true
      socket.destroy()
    }, options.failAfterMs)
    socket.on('close', () => {
      clearTimeout(timer)
      clearInterval(trickling)
      const received = Buffer.concat(chunks).toString('utf8')
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1]
      const split = received.indexOf('\r\n\r\n')
      resolve({
        received,
        status: status === undefined ? null : Number(status),
        body: split === -1 ? '' : received.slice(split + 4),
        closedByServer: !destroyedByUs,
      })
    })
  })
  const write = (bytes: string | Buffer) => {
    if (!socket.destroyed && socket.writable) socket.write(bytes)
  }
  return {
    socket,
    closed,
    write,
    trickle(bytes, everyMs) {
      let i = 0
      trickling = setInterval(() => {
        if (i >= bytes.length || socket.destroyed) return clearInterval(trickling)
        write(bytes[i]!)
        i += 1
      }, everyMs)
    },
    destroy() {
      destroyedByUs = true
      clearTimeout(timer)
      clearInterval(trickling)
      socket.destroy()
    },
  }
}

/** Resolves once the connection is established (the server accepted it, or closed it at once). */
export function connected(connection: RawConnection): Promise<void> {
  return new Promise((resolve) => {
    if (!connection.socket.connecting) return resolve()
    connection.socket.once('connect', () => resolve())
    connection.socket.once('close', () => resolve())
  })
}

/** One ordinary request on a fresh connection (no agent, no keep-alive reuse). */
export function freshRequest(options: {
  port: number
  path: string
  headers?: Record<string, string>
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path,
        agent: false,
        headers: { connection: 'close', ...options.headers },
      },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
        )
      },
    )
    req.on('error', reject)
    req.end()
  })
}
