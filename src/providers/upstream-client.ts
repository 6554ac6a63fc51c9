import { lookup as dnsLookup } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Pool, buildConnector } from 'undici'
import type { HeaderBag } from './classify-failure.js'
import {
  ADDRESS_FORBIDDEN_CODE,
  DEFAULT_UPSTREAM_ADDRESS_POLICY,
  resolvedAddressRefusal,
  type AddressRefusal,
  type UpstreamAddressPolicy,
} from './upstream-address-policy.js'
import type { UpstreamTimeouts } from './upstream-context.js'
import { UndiciResponse } from './undici-response.js'

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
  /** Which upstream addresses may be connected to (the SSRF guard). @default private allowed */
  addressPolicy?: UpstreamAddressPolicy
  /** DNS lookup, as `net.connect` takes it (tests resolve names their own way). @default dns.lookup */
  lookup?: LookupFunction
}

/** A connection to an address the policy forbids: never opened. Names the class, not the address. */
export class UpstreamAddressForbiddenError extends Error {
  readonly code = ADDRESS_FORBIDDEN_CODE
  readonly addressClass: AddressRefusal['addressClass']

  constructor(host: string, refusal: AddressRefusal) {
    super(`upstream host ${host} ${refusal.message}`)
    this.addressClass = refusal.addressClass
  }
}

/**
 * A connector that checks every address a connection would use, after DNS: the name an admin
 * saved may resolve to a metadata address later (DNS rebinding), so a check at save time alone
 * is not enough. IP literals are checked before connecting (they are never looked up).
 */
function guardedConnector(options: {
  connectMs: number
  policy: UpstreamAddressPolicy
  lookup: LookupFunction
}): buildConnector.connector {
  const { policy, lookup } = options
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    lookup(hostname, lookupOptions, (err, address, family) => {
      if (err) return callback(err, address, family)
      const entries = Array.isArray(address) ? address : [{ address, family: family ?? 0 }]
      for (const entry of entries) {
        const refusal = resolvedAddressRefusal({ host: hostname, address: entry.address }, policy)
        if (refusal !== null) {
          callback(new UpstreamAddressForbiddenError(hostname, refusal), '', 0)
          return
        }
      }
      callback(null, address, family)
    })
  }
  const connect = buildConnector({ timeout: options.connectMs, lookup: guardedLookup })
  return (connectOptions, callback) => {
    const { hostname } = connectOptions
    if (isIP(hostname) !== 0) {
      const refusal = resolvedAddressRefusal({ host: hostname, address: hostname }, policy)
      if (refusal !== null) {
        callback(new UpstreamAddressForbiddenError(hostname, refusal), null)
        return
      }
    }
    connect(connectOptions, callback)
  }
}

/** Upstream URLs seen, split once: a deployment calls a handful (base URL × endpoint). */
const TARGETS_KEPT = 256
const targets = new Map<string, { origin: string; path: string }>()

/** The origin (the pool's key) and the path of an upstream URL; parsing one showed in profiles. */
function targetOf(href: string): { origin: string; path: string } {
  let target = targets.get(href)
  if (target === undefined) {
    const url = new URL(href)
    target = { origin: url.origin, path: `${url.pathname}${url.search}` }
    // Bounded whatever the URLs (a query string that varies): forget them all and start over.
    if (targets.size >= TARGETS_KEPT) targets.clear()
    targets.set(href, target)
  }
  return target
}

/**
 * An undici Pool per upstream origin (and connect timeout, which undici fixes per pool), with
 * keep-alive, whose connector refuses addresses the address policy forbids. Header and body
 * timeouts are per request. Each call is dispatched with its own handler (`UndiciResponse`), not
 * through `request()`. Aborting the signal destroys the request's socket: undici cannot reuse a
 * connection whose response was not read to the end.
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): UpstreamTransport {
  const pools = new Map<string, Pool>()
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 30_000
  const policy = options.addressPolicy ?? DEFAULT_UPSTREAM_ADDRESS_POLICY
  const lookup = options.lookup ?? dnsLookup

  function poolFor(origin: string, connectMs: number): Pool {
    const key = `${origin}|${connectMs}`
    let pool = pools.get(key)
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: options.connectionsPerOrigin ?? null,
        keepAliveTimeout,
        keepAliveMaxTimeout: Math.max(keepAliveTimeout, 600_000),
        connect: guardedConnector({ connectMs, policy, lookup }),
      })
      pools.set(key, pool)
    }
    return pool
  }

  return {
    async send(request, { signal, timeouts }) {
      signal.throwIfAborted()
      const target = targetOf(request.url)
      const response = new UndiciResponse(signal)
      poolFor(target.origin, timeouts.connectMs).dispatch(
        {
          path: target.path,
          method: request.method,
          headers: request.headers,
          body: request.body ?? null,
          headersTimeout: timeouts.headersMs,
          bodyTimeout: timeouts.bodyIdleMs,
        },
        response,
      )
      return await response.headers
    },
    async close() {
      const all = [...pools.values()]
      pools.clear()
      await Promise.all(all.map((pool) => pool.close()))
    },
  }
}
