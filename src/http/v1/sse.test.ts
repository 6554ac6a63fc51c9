import Fastify, { type FastifyInstance } from 'fastify'
import { get, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DONE_FRAME, dataFrame, relaySse, type RelayEnd } from './sse.js'

/** A batch per text item; `batch` items are handed over together. */
type Item = { text: string } | { batch: string[] } | { fail: string } | { wait: Promise<void> }

async function* batchesOf(items: readonly Item[]): AsyncGenerator<string[]> {
  for (const item of items) {
    if ('fail' in item) throw new Error(item.fail)
    if ('wait' in item) await item.wait
    else yield 'batch' in item ? item.batch : [item.text]
  }
}

/** A one-route app relaying `items`; resolves `ended` with the relay's outcome. */
async function relayServer(items: readonly Item[], options: { failOnEnd?: boolean } = {}) {
  const abort = new AbortController()
  let resolveEnd: (end: RelayEnd) => void = () => undefined
  const ended = new Promise<RelayEnd>((resolve) => (resolveEnd = resolve))
  const abortLines: string[] = []
  const app: FastifyInstance = Fastify()
  app.decorateReply('logClientAbort', function () {
    abortLines.push('499')
  })
  app.get('/', async (_request, reply) => {
    await relaySse({
      reply,
      batches: batchesOf(items),
      abort,
      encode: (text) => (text === 'skip' ? null : dataFrame(JSON.stringify({ text }))),
      headersAtStart: () => ({ 'x-started': 'yes' }),
      encodeError: (error) => dataFrame(JSON.stringify({ error })) + DONE_FRAME,
      trailer: DONE_FRAME,
      onEnd: (end) => {
        resolveEnd(end)
        return options.failOnEnd === true
          ? Promise.reject(new Error('ledger unavailable'))
          : undefined
      },
      toError: (err) => ({
        message: (err as Error).message,
        type: 'server_error',
        param: null,
        code: null,
      }),
    })
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`
  return { app, url, abort, ended, abortLines }
}

let open: FastifyInstance | undefined
afterEach(async () => {
  await open?.close()
  open = undefined
})

describe('relaySse', () => {
  it('writes the headers with the first frame, drops null frames, and ends with the trailer', async () => {
    const server = await relayServer([{ text: 'a' }, { text: 'skip' }, { text: 'b' }])
    open = server.app
    const response = await fetch(server.url)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('x-started')).toBe('yes')
    expect(await response.text()).toBe(
      `${dataFrame('{"text":"a"}')}${dataFrame('{"text":"b"}')}${DONE_FRAME}`,
    )
    expect(await server.ended).toBe('completed')
  })

  it('writes a batch as its frames in order, and waits past a batch whose frames are all dropped', async () => {
    const server = await relayServer([
      { batch: ['skip', 'skip'] },
      { batch: ['a', 'skip', 'b'] },
      { batch: ['c'] },
    ])
    open = server.app
    const response = await fetch(server.url)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe(
      `${dataFrame('{"text":"a"}')}${dataFrame('{"text":"b"}')}${dataFrame('{"text":"c"}')}${DONE_FRAME}`,
    )
    expect(await server.ended).toBe('completed')
  })

  it('waits for onEnd before the last frame, and ends with an error event when it fails', async () => {
    const server = await relayServer([{ text: 'a' }], { failOnEnd: true })
    open = server.app
    const body = await (await fetch(server.url)).text()
    expect(body.startsWith(dataFrame('{"text":"a"}'))).toBe(true)
    expect(body).toContain('"message":"ledger unavailable"')
    expect(body.endsWith(DONE_FRAME)).toBe(true)
    expect(body.split(DONE_FRAME)).toHaveLength(2)
  })

  it('lets a failure before the first frame reach the error handler as a real status', async () => {
    const server = await relayServer([{ text: 'skip' }, { fail: 'upstream refused' }])
    open = server.app
    const response = await fetch(server.url)
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toContain('application/json')
  })

  it('ends a stream that fails after the first frame with an error event, never silently', async () => {
    const server = await relayServer([{ text: 'a' }, { fail: 'upstream broke' }])
    open = server.app
    const response = await fetch(server.url)
    expect(response.status).toBe(200)
    const body = await response.text()
    expect(body.startsWith(dataFrame('{"text":"a"}'))).toBe(true)
    expect(body).toContain('"message":"upstream broke"')
    expect(body.endsWith(DONE_FRAME)).toBe(true)
    expect(await server.ended).toBe('failed')
  })

  it('aborts the upstream and writes the abandoned-response line when the client leaves', async () => {
    let release: () => void = () => undefined
    const stalled = new Promise<void>((resolve) => (release = resolve))
    const server = await relayServer([{ text: 'a' }, { wait: stalled }, { text: 'b' }])
    open = server.app
    // node:http, so that leaving really closes the socket (fetch may keep it for reuse).
    const request = get(server.url)
    const response = await new Promise<IncomingMessage>((resolve) =>
      request.once('response', resolve),
    )
    await new Promise((resolve) => response.once('data', resolve))
    request.destroy()
    await expect.poll(() => server.abort.signal.aborted).toBe(true)
    release()
    expect(await server.ended).toBe('client_aborted')
    await expect.poll(() => server.abortLines).toEqual(['499'])
  })
})
