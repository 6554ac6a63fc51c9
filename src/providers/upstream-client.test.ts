import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_UPSTREAM_TIMEOUTS } from './upstream-context.js'
import { createUndiciTransport, type UpstreamHttpResponse } from './upstream-client.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

const servers: Server[] = []
const transport = createUndiciTransport()

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      const closed = new Promise((done) => server.close(done))
      server.closeAllConnections()
      return closed
    }),
  )
})

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function send(url: string, options: { signal?: AbortSignal; bodyIdleMs?: number } = {}) {
  return transport.send(
    { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{"a":1}' },
    {
      signal: options.signal ?? new AbortController().signal,
      timeouts: { ...DEFAULT_UPSTREAM_TIMEOUTS, bodyIdleMs: options.bodyIdleMs ?? 5_000 },
    },
  )
}

async function text(response: UpstreamHttpResponse): Promise<string> {
  const parts: Uint8Array[] = []
  for await (const chunk of response.body) parts.push(chunk)
  return Buffer.concat(parts).toString('utf8')
}

describe('createUndiciTransport', () => {
  it('sends the request and hands over status, headers and the whole body', async () => {
    const url = await serve((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        res.writeHead(201, { 'x-request-id': 'up_1', 'content-type': 'text/plain' })
        res.end(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`)
      })
    })
    const response = await send(`${url}/v1/chat?x=1`)
    expect(response.status).toBe(201)
    expect(response.headers['x-request-id']).toBe('up_1')
    expect(await text(response)).toBe('POST /v1/chat?x=1 application/json {"a":1}')
  })

  it('ignores interim 1xx answers and resolves with the final status', async () => {
    const url = await serve((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' })
      res.writeHead(200)
      res.end('done')
    })
    const response = await send(url)
    expect(response.status).toBe(200)
    expect(await text(response)).toBe('done')
  })

  it('delivers a body far larger than its pause mark intact to a slow reader', async () => {
    const chunk = 'x'.repeat(16 * 1024)
    const url = await serve((_req, res) => {
      res.writeHead(200)
      for (let i = 0; i < 64; i += 1) res.write(chunk)
      res.end()
    })
    const response = await send(url)
    let size = 0
    for await (const part of response.body) {
      size += part.byteLength
      await new Promise((r) => setTimeout(r, 1))
    }
    expect(size).toBe(64 * chunk.length)
  })

  it('rejects the body read with the transport error when the connection dies mid-body', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('partial')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const response = await send(url)
    await expect(text(response)).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' })
  })

  it('rejects the body read with a body timeout when the upstream goes silent', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200)
      res.write('first')
    })
    const response = await send(url, { bodyIdleMs: 100 })
    await expect(text(response)).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' })
  })

  it('rejects at once when aborted before the headers, with the abort reason', async () => {
    const url = await serve(() => {
      // Never answers.
    })
    const abort = new AbortController()
    const sent = send(url, { signal: abort.signal })
    setTimeout(() => abort.abort(new Error('client went away')), 20)
    await expect(sent).rejects.toThrow('client went away')
  })

  it('drops a call aborted while queued for a connection: it never reaches the upstream', async () => {
    const seen: string[] = []
    const release: (() => void)[] = []
    const url = await serve((req, res) => {
      seen.push(req.url ?? '')
      release.push(() => res.end('ok'))
    })
    const single = createUndiciTransport({ connectionsPerOrigin: 1 })
    const call = (path: string, signal: AbortSignal) =>
      single.send(
        { method: 'GET', url: `${url}${path}`, headers: {} },
        { signal, timeouts: DEFAULT_UPSTREAM_TIMEOUTS },
      )
    try {
      const first = call('/first', new AbortController().signal)
      await expect.poll(() => seen.length).toBe(1)
      const abort = new AbortController()
      const queued = call('/queued', abort.signal)
      abort.abort(new Error('client went away'))
      await expect(queued).rejects.toThrow('client went away')
      release.shift()?.()
      expect(await text(await first)).toBe('ok')
      const third = call('/third', new AbortController().signal)
      await expect.poll(() => seen.length).toBe(2)
      release.shift()?.()
      expect(await text(await third)).toBe('ok')
      expect(seen).toEqual(['/first', '/third'])
    } finally {
      await single.close()
    }
  })

  it('refuses to start when the signal is already aborted', async () => {
    const abort = new AbortController()
    abort.abort(new Error('gone already'))
    await expect(send('http://127.0.0.1:9', { signal: abort.signal })).rejects.toThrow(
      'gone already',
    )
  })

  it('stops a body mid-read on abort and on destroy, closing the upstream connection', async () => {
    const closed: Promise<void>[] = []
    const url = await serve((req, res) => {
      closed.push(new Promise((done) => req.socket.once('close', () => done())))
      res.writeHead(200)
      res.write('first')
    })
    const abort = new AbortController()
    const aborted = await send(url, { signal: abort.signal })
    const reading = text(aborted)
    setTimeout(() => abort.abort(new Error('client went away')), 20)
    await expect(reading).rejects.toThrow('client went away')

    const destroyed = await send(url)
    for await (const first of destroyed.body) {
      expect(Buffer.from(first).toString()).toBe('first')
      break
    }
    destroyed.destroy()
    await Promise.all(closed)
    expect(closed).toHaveLength(2)
  })
})
