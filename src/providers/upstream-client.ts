import { Pool } from 'undici'
import type { HeaderBag } from './classify-failure.js'
import type { UpstreamTimeouts } from './upstream-context.js'

/** One HTTP call to an upstream, already addressed and authenticated by an adapter. */
export interface UpstreamHttpRequest {
  method: 'GET' | 'POST'
  /** Absolute URL. */
  url: string
  headers: Readonly<Record<string, string>>
  /** Serialised JSON. */
  body?: string
}

/** The upstream's answer once its headers arrived. The body must be read to its end or destroyed. */
export interface UpstreamHttpResponse {
  status: number
  headers: HeaderBag
  body: AsyncIterable<Uint8Array>
  /** Stop reading and close the connection (a half-read HTTP/1.1 response cannot be reused). */
  destroy(): void
}

/** Per-call options of `UpstreamTransport.send`. */
export interface SendOptions {
  /** Aborting stops the call at any point and destroys its connection. */
  signal: AbortSignal
  timeouts: UpstreamTimeouts
}

/**
 * The wire under every adapter. Production uses undici pools; tests can replay recorded bytes
 * through the same adapters. Errors are raw (undici/Node codes); `call-upstream.ts` classifies.
 */
export interface UpstreamTransport {
  send(request: UpstreamHttpRequest, options: SendOptions): Promise<UpstreamHttpResponse>
  /** Close every pooled connection. */
  close(): Promise<void>
}

/** Pool tuning for `createUndiciTransport`. */
export interface UndiciTransportOptions {
  /** Idle keep-alive per connection when the server gives no hint. @default 30000 */
  keepAliveTimeoutMs?: number
  /** Most connections per origin; further calls queue. @default null (no limit) */
  connectionsPerOrigin?: number | null
}

function ignore(): void {}

/**
 * An undici Pool per upstream origin (and connect timeout, which undici fixes per pool), with
 * keep-alive. Header and body timeouts are per request. Aborting the signal destroys the
 * request's socket: undici cannot reuse a connection whose response was not read to the end.
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): UpstreamTransport {
  const pools = new Map<string, Pool>()
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 30_000

  function poolFor(origin: string, connectMs: number): Pool {
    const key = `${origin}|${connectMs}`
    let pool = pools.get(key)
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: options.connectionsPerOrigin ?? null,
        keepAliveTimeout,
        keepAliveMaxTimeout: Math.max(keepAliveTimeout, 600_000),
        connect: { timeout: connectMs },
      })
      pools.set(key, pool)
    }
    return pool
  }

  return {
    async send(request, { signal, timeouts }) {
      const url = new URL(request.url)
      const response = await poolFor(url.origin, timeouts.connectMs).request({
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        signal,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyIdleMs,
      })
      const { body } = response
      return {
        status: response.statusCode,
        headers: response.headers,
        body,
        destroy: () => {
          // undici reports the early close as an 'error' event; nobody is listening any more.
          if (!body.destroyed) body.on('error', ignore).destroy()
        },
      }
    },
    async close() {
      const all = [...pools.values()]
      pools.clear()
      await Promise.all(all.map((pool) => pool.close()))
    },
  }
}
