import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A request the mock upstream received, for assertions on what Ferry sent. */
export interface RecordedRequest {
  method: string
  /** Path and query, e.g. `/v1/chat/completions` or `/openai/deployments/d/…?api-version=…`. */
  url: string
  headers: IncomingMessage['headers']
  /** Parsed JSON body, or undefined when there was none. */
  body: Record<string, unknown> | undefined
}

/**
 * A fault the next requests suffer. `afterChunks` counts SSE events already written.
 * - `status`: answer with this status and body before any stream starts.
 * - `reset`: destroy the socket instead of answering.
 * - `stall`: accept the request and never answer.
 * - `malformed`: 200, then invalid JSON (the whole body, or one SSE event after k chunks).
 * - `stream-error`: an in-band error event after k chunks (`data: {"error":…}` / `event: error`).
 * - `stream-reset`: destroy the socket after k chunks.
 * - `stream-stall`: stop writing after k chunks, keeping the connection open.
 * - `no-usage`: never send usage, even when asked for it.
 */
export type Fault =
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: 'reset' }
  | { type: 'stall' }
  | { type: 'malformed'; afterChunks?: number }
  | { type: 'stream-error'; afterChunks: number }
  | { type: 'stream-reset'; afterChunks: number }
  | { type: 'stream-stall'; afterChunks: number }
  | { type: 'no-usage' }

export interface MockServerControls {
  /** Base URL, e.g. `http://127.0.0.1:51234`. */
  origin: string
  requests: RecordedRequest[]
  /** The fault for every following request (null: behave). */
  setFault(fault: Fault | null): void
  fault(): Fault | null
  /** Milliseconds between two SSE events. @default 0 */
  setChunkDelay(ms: number): void
  chunkDelayMs(): number
  /** Server-side sockets currently open. */
  openSockets(): number
  /** Connections accepted since the server started. */
  connectionCount(): number
  /** Resolves with the time (ms, performance.now) when the next server-side socket closes. */
  nextSocketClose(): Promise<number>
  close(): Promise<void>
}

export type MockHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedRequest,
) => void | Promise<void>

/**
 * A node:http server on 127.0.0.1, port 0, that records requests and watches its sockets so a
 * test can see the upstream connection close (the "client abort reaches the upstream" check).
 */
export async function startMockServer(handler: MockHandler): Promise<MockServerControls> {
  const sockets = new Set<Socket>()
  const closeWaiters: Array<(at: number) => void> = []
  const requests: RecordedRequest[] = []
  let currentFault: Fault | null = null
  let delay = 0
  let connections = 0

  const server: Server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
      }
      requests.push(recorded)
      const fault = currentFault
      if (fault?.type === 'reset') {
        req.socket.destroy()
        return
      }
      if (fault?.type === 'stall') return
      if (fault?.type === 'status') {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers })
        res.end(fault.body === undefined ? '' : JSON.stringify(fault.body))
        return
      }
      await handler(req, res, recorded)
    })
  })
  server.keepAliveTimeout = 30_000
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    connections++
    socket.on('close', () => {
      sockets.delete(socket)
      const at = performance.now()
      for (const resolve of closeWaiters.splice(0)) resolve(at)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    setFault: (fault) => {
      currentFault = fault
    },
    fault: () => currentFault,
    setChunkDelay: (ms) => {
      delay = ms
    },
    chunkDelayMs: () => delay,
    openSockets: () => sockets.size,
    connectionCount: () => connections,
    nextSocketClose: () => new Promise((resolve) => closeWaiters.push(resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const part of req) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

/** Write SSE events one by one with the server's delay, applying a mid-stream fault. */
export async function writeSse(
  res: ServerResponse,
  stream: {
    events: string[]
    controls: Pick<MockServerControls, 'fault' | 'chunkDelayMs'>
    errorEvent: string
  },
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.flushHeaders()
  const fault = stream.controls.fault()
  const faultAt = faultIndex(fault)
  for (const [index, event] of stream.events.entries()) {
    if (fault !== null && faultAt === index) {
      switch (fault.type) {
        case 'stream-error':
          res.end(stream.errorEvent)
          return
        case 'stream-reset':
          res.socket?.destroy()
          return
        case 'stream-stall':
          return
        case 'malformed':
          res.write('data: {"id": "broken", "choices": [\n\n')
          break
        default:
          break
      }
    }
    if (res.destroyed) return
    res.write(event)
    const delay = stream.controls.chunkDelayMs()
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
  }
  res.end()
}

function faultIndex(fault: Fault | null): number {
  if (fault === null) return -1
  if (fault.type === 'malformed') return fault.afterChunks ?? 0
  return 'afterChunks' in fault ? fault.afterChunks : -1
}
