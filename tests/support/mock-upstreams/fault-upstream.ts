import { once } from 'node:events'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import type { ServerResponse } from 'node:http'
import { startMockServer, type MockServerControls, type RecordedRequest } from './mock-server.js'
import { sendJson } from './openai-upstream.js'
import {
  DONE,
  MOCK_REPLY,
  chatCompletionBody,
  chatStreamEvents,
  openAIError,
  sse,
} from './openai-wire.js'

/**
 * A scripted OpenAI upstream for the broken-upstream hardening suite (issue 11). Every request
 * says which fault it suffers by its model name, so concurrent requests can each break their
 * own way: `model: "stall-body"`. `ok` (or any unknown name) behaves like OpenAI.
 *
 * Connection refused cannot be a per-request choice of a listening server: `refusedBaseUrl` is
 * a port that was bound and closed, for an account that points at nothing.
 */
export const FAULT_KINDS = [
  /** Behave: a real chat completion (JSON or SSE, with usage). */
  'ok',
  /** The socket is destroyed halfway through the body (JSON), or after two events (SSE). */
  'reset-mid-body',
  /** The request is read and never answered: no status line, no headers. */
  'no-headers',
  /** Headers and part of the body, then silence with the connection open. */
  'stall-body',
  /** SSE: three events, then half of the fourth, then a clean end (no `[DONE]`); JSON: cut. */
  'truncated',
  /** A 200 whose JSON is invalid (JSON), or a `data:` event that is not JSON after two events. */
  'invalid-json',
  /** The normal answer, written one byte per write (splits inside UTF-8 and SSE frames). */
  'byte-split',
  /** A 10 MB reply: one huge message (JSON) or 10 MB of content chunks (SSE). */
  'huge',
  /** A 200 with `text/html` and an HTML page, whatever was asked. */
  'wrong-content-type',
  /** Always 429 with `retry-after: 1` (a storm when sent concurrently). */
  'rate-limited',
  /** 500, 502, 503 and 529 in turn (a storm when sent concurrently). */
  'server-error',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** Size of the `huge` reply's content. */
export const HUGE_REPLY_BYTES = 10 * 1024 * 1024
/** Content pieces the `huge` stream is cut into (each ~10 KiB). */
export const HUGE_STREAM_PIECES = 1_024

export interface FaultUpstream extends MockServerControls {
  /** `<origin>/v1`: an `openai` provider account's baseUrl. */
  baseUrl: string
  /** A closed port's `/v1` URL: connecting is refused. */
  refusedBaseUrl: string
  /** Responses started and not yet ended or cut (a stalled one stays until Ferry hangs up). */
  responsesInProgress(): number
  /** Requests received per fault kind (by the `model` they asked for). */
  received(kind: FaultKind): number
  /**
   * Resolves when a request for `model` has arrived (counting from now). Any unknown model name
   * behaves as `ok`, so a test can mark one request (`model: "crash-target"`) and watch it.
   */
  nextRequest(model: string): Promise<RecordedRequest>
  /** Resolves when the response to a request for `model` was written to its end (from now). */
  nextResponseEnd(model: string): Promise<void>
  /** Release every stalled response (end it cleanly) so a test can finish. */
  releaseStalled(): void
}

export function faultKindOf(model: unknown): FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(model as string) ? (model as FaultKind) : 'ok'
}

export async function startFaultUpstream(): Promise<FaultUpstream> {
  const inProgress = new Set<ServerResponse>()
  const received = new Map<FaultKind, number>()
  const requestWaiters: Array<{ model: string; resolve: (r: RecordedRequest) => void }> = []
  const endWaiters: Array<{ model: string; resolve: () => void }> = []
  const stalled = new Set<ServerResponse>()
  let serverErrorTurn = 0

  const controls = await startMockServer(async (_req, res, recorded) => {
    const body = recorded.body ?? {}
    const kind = faultKindOf(body.model)
    const model = typeof body.model === 'string' ? body.model : 'ok'
    received.set(kind, (received.get(kind) ?? 0) + 1)
    for (const waiter of requestWaiters.splice(0)) {
      if (waiter.model === model) waiter.resolve(recorded)
      else requestWaiters.push(waiter)
    }
    inProgress.add(res)
    res.on('close', () => {
      inProgress.delete(res)
      stalled.delete(res)
    })
    res.on('finish', () => {
      for (const waiter of endWaiters.splice(0)) {
        if (waiter.model === model) waiter.resolve()
        else endWaiters.push(waiter)
      }
    })
    const stream = body.stream === true
    await answer({ kind, stream, model, res })
  })

  async function answer(call: {
    kind: FaultKind
    stream: boolean
    model: string
    res: ServerResponse
  }): Promise<void> {
    const { kind, stream, model, res } = call
    res.setHeader('x-request-id', `req_fault_${kind}`)
    const stall = () => {
      stalled.add(res)
    }
    switch (kind) {
      case 'ok':
        return stream ? writeEvents(res, okEvents(model)) : sendJson(res, 200, okBody(model))
      case 'reset-mid-body': {
        if (stream) {
          const events = okEvents(model)
          writeSseHead(res)
          res.write(events[0]! + events[1]!)
          return void setTimeout(() => res.socket?.destroy(), 20)
        }
        const text = JSON.stringify(okBody(model))
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
        })
        res.write(text.slice(0, text.length >> 1))
        return void setTimeout(() => res.socket?.destroy(), 20)
      }
      case 'no-headers':
        return stall()
      case 'stall-body': {
        if (stream) {
          const events = okEvents(model)
          writeSseHead(res)
          res.write(events[0]! + events[1]!)
          return stall()
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write(JSON.stringify(okBody(model)).slice(0, 40))
        return stall()
      }
      case 'truncated': {
        if (stream) {
          const events = okEvents(model)
          writeSseHead(res)
          const fourth = events[3]!
          res.end(events.slice(0, 3).join('') + fourth.slice(0, fourth.length >> 1))
          return
        }
        const text = JSON.stringify(okBody(model))
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(text.slice(0, text.length >> 1))
        return
      }
      case 'invalid-json':
        if (stream) {
          const events = okEvents(model)
          return writeEvents(res, [
            ...events.slice(0, 2),
            'data: {"id": "chatcmpl-broken", "choices": [{"delta": \n\n',
            ...events.slice(2),
          ])
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{,}]}')
        return
      case 'byte-split':
        return writeBytewise(res, stream, model)
      case 'huge':
        return stream ? writeEvents(res, hugeEvents(model)) : sendJson(res, 200, hugeBody(model))
      case 'wrong-content-type':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>')
        return
      case 'rate-limited':
        res.setHeader('retry-after', '1')
        return sendJson(
          res,
          429,
          openAIError({
            message: 'Rate limit reached for requests. Please try again in 1s.',
            type: 'requests',
            code: 'rate_limit_exceeded',
          }),
        )
      case 'server-error': {
        const status = SERVER_ERROR_STATUSES[serverErrorTurn++ % SERVER_ERROR_STATUSES.length]!
        return sendJson(
          res,
          status,
          openAIError({
            message: 'The server had an error while processing your request.',
            type: 'server_error',
            code: null,
          }),
        )
      }
    }
  }

  const refusedBaseUrl = `http://127.0.0.1:${await closedPort()}/v1`
  return {
    ...controls,
    baseUrl: `${controls.origin}/v1`,
    refusedBaseUrl,
    responsesInProgress: () => inProgress.size,
    received: (kind) => received.get(kind) ?? 0,
    nextRequest: (model) => new Promise((resolve) => requestWaiters.push({ model, resolve })),
    nextResponseEnd: (model) => new Promise((resolve) => endWaiters.push({ model, resolve })),
    releaseStalled: () => {
      for (const res of stalled) res.socket?.destroy()
      stalled.clear()
    },
    close: async () => {
      for (const res of inProgress) res.socket?.destroy()
      await controls.close()
    },
  }
}

/** The statuses a `server-error` storm cycles through (529: Anthropic-style overloaded). */
export const SERVER_ERROR_STATUSES = [500, 502, 503, 529] as const

/** The healthy reply's stream events, with usage (Ferry always asks for it upstream). */
export function okEvents(model: string): string[] {
  return chatStreamEvents({ model, text: MOCK_REPLY, includeUsage: true })
}

export function okBody(model: string) {
  return chatCompletionBody({ model, text: MOCK_REPLY, usage: true })
}

/** The `huge` reply's content: HUGE_REPLY_BYTES of ASCII, deterministic. */
export function hugeContent(): string {
  const unit = 'ferry carries ten megabytes. '
  return unit.repeat(Math.ceil(HUGE_REPLY_BYTES / unit.length)).slice(0, HUGE_REPLY_BYTES)
}

function hugeBody(model: string) {
  const body = okBody(model)
  body.choices[0]!.message.content = hugeContent()
  body.usage = { ...body.usage!, completion_tokens: HUGE_STREAM_PIECES }
  body.usage.total_tokens = body.usage.prompt_tokens + HUGE_STREAM_PIECES
  return body
}

function hugeEvents(model: string): string[] {
  const content = hugeContent()
  const size = Math.ceil(content.length / HUGE_STREAM_PIECES)
  const pieces = Array.from({ length: HUGE_STREAM_PIECES }, (_, i) =>
    content.slice(i * size, (i + 1) * size),
  )
  const template = okEvents(model)
  const chunkOf = (piece: string) => {
    const parsed = JSON.parse(template[1]!.slice('data: '.length)) as {
      choices: [{ delta: { content: string } }]
    }
    parsed.choices[0].delta.content = piece
    return sse(parsed)
  }
  const usageEvent = JSON.parse(template.at(-2)!.slice('data: '.length)) as {
    usage: { completion_tokens: number; total_tokens: number; prompt_tokens: number }
  }
  usageEvent.usage.completion_tokens = HUGE_STREAM_PIECES
  usageEvent.usage.total_tokens = usageEvent.usage.prompt_tokens + HUGE_STREAM_PIECES
  return [
    template[0]!,
    ...pieces.map(chunkOf),
    template.at(-3)!, // finish_reason: stop
    sse(usageEvent),
    DONE,
  ]
}

function writeSseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.flushHeaders()
}

async function writeEvents(res: ServerResponse, events: string[]): Promise<void> {
  writeSseHead(res)
  for (const event of events) {
    if (res.destroyed) return
    // Respect back-pressure: the 10 MB stream must not pile up in memory.
    if (!res.write(event)) await drained(res)
  }
  res.end()
}

/** Resolves when `res` drains or closes, leaving no listener behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

async function writeBytewise(res: ServerResponse, stream: boolean, model: string): Promise<void> {
  const bytes = Buffer.from(stream ? okEvents(model).join('') : JSON.stringify(okBody(model)))
  if (stream) writeSseHead(res)
  else res.writeHead(200, { 'content-type': 'application/json' })
  for (let i = 0; i < bytes.length; i++) {
    if (res.destroyed) return
    res.write(bytes.subarray(i, i + 1))
    // Yield so each byte leaves as its own write (and, mostly, its own TCP segment).
    await new Promise((resolve) => setImmediate(resolve))
  }
  res.end()
}

/** A port nothing listens on: bound on 127.0.0.1, then closed. */
async function closedPort(): Promise<number> {
  const server = createNetServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}
