import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETUP_AUDIT } from '../support/admin-harness.js'
import { dumpAllTables } from '../support/dump-tables.js'
import { isOpenAIErrorBody } from '../support/openai-shape.js'
import {
  connected,
  freshRequest,
  openRawConnection,
  type RawConnection,
  type RawOutcome,
} from '../support/raw-http.js'
import { recordReliability } from '../support/reliability-log.js'
import { buildTestApp } from '../support/test-app.js'
import { createTestDb, type TestDb } from '../support/test-db.js'

/**
 * Issue 11, slow clients and floods, against a real listening server: headers sent a byte at a
 * time, bodies that trickle, connections that never speak, keep-alive connections left idle, and
 * more connections than `server.maxConnections`. Each is cut by its timeout or limit, answered
 * (where HTTP allows) in OpenAI's shape, and while they are open ordinary clients are served.
 * Bytes no HTTP client sends (CR/LF inside a header value, smuggling) are refused the same way.
 *
 * SQLite only: connection handling is the same whatever the database is.
 */

/**
 * Short enough for a fast test, long enough that the ordinary requests (in parallel, ~10 ms
 * each) finish well before the hostile connections are cut, even on a loaded machine.
 */
const SERVER = {
  headersTimeoutMs: 2_000,
  requestTimeoutMs: 3_000,
  keepAliveTimeoutMs: 500,
  maxConnections: 48,
}
/** How long a test waits for a cut before calling it a hang (the timeouts are ≤ 3 s). */
const HANG_MS = 15_000

let app: FastifyInstance
let testDb: TestDb
let port: number
let secret: string
let ownerToken: string

beforeAll(async () => {
  testDb = await createTestDb('sqlite')
  const built = buildTestApp({ db: testDb.db, server: SERVER })
  const admin = built.services.admin
  const { organizationId } = await admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
  ;({ secret } = await admin.keys.create(SETUP_AUDIT, {
    organizationId,
    name: 'slow clients',
    environment: 'live',
  }))
  const owner = await admin.users.createAdmin(
    { audit: SETUP_AUDIT },
    { email: 'owner@slow.example', role: 'owner', password: 'correct horse battery slow' },
  )
  ;({ token: ownerToken } = await admin.tokens.createToken(SETUP_AUDIT, {
    adminId: owner.adminId,
    name: 'slow owner',
  }))
  app = built.app
  await app.listen({ host: '127.0.0.1', port: 0 })
  port = (app.server.address() as AddressInfo).port
})

afterAll(async () => {
  await app.close()
  await testDb.destroy()
})

/** Ordinary clients, each on a new connection, while the hostile ones are open. */
async function ordinaryRequests(count: number): Promise<number> {
  const answers = await Promise.all(
    Array.from({ length: count }, () =>
      freshRequest({ port, path: '/v1/models', headers: { authorization: `Bearer ${secret}` } }),
    ),
  )
  return answers.filter((res) => res.status === 200).length
}

/** Whether the server cut the connection with a 408 in OpenAI's shape (code request_timeout). */
function cutWithTimeout(outcome: RawOutcome): boolean {
  return (
    outcome.closedByServer &&
    outcome.status === 408 &&
    isOpenAIErrorBody(JSON.parse(outcome.body || 'null')) &&
    (JSON.parse(outcome.body) as { error: { code: string } }).error.code === 'request_timeout'
  )
}

async function outcomesOf(connections: RawConnection[]): Promise<RawOutcome[]> {
  return Promise.all(connections.map((c) => c.closed))
}

const CHAT_HEAD = (length: number) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: ferry\r\nAuthorization: Bearer ${secret}\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`

describe('slow clients and floods are cut without starving anyone', () => {
  it('cuts slowloris connections (headers a byte at a time) at headersTimeoutMs', async () => {
    const slow = Array.from({ length: 20 }, () => {
      const c = openRawConnection(port, { failAfterMs: HANG_MS })
      c.trickle(`GET /v1/models HTTP/1.1\r\nHost: ferry\r\nAuthorization: Bearer ${secret}\r\n`, 50)
      return c
    })
    await Promise.all(slow.map(connected))
    const served = await ordinaryRequests(10)
    const stillOpen = slow.filter((c) => !c.socket.destroyed).length
    const outcomes = await outcomesOf(slow)
    const cut = outcomes.filter(cutWithTimeout).length
    recordReliability({
      area: 'slow-clients',
      check: 'slowloris: 20 connections sending headers a byte every 50 ms',
      cases: slow.length + 10,
      failures: slow.length - cut + (10 - served),
      expectation: `each cut at headersTimeoutMs (${SERVER.headersTimeoutMs} ms) with 408 request_timeout in OpenAI's shape; 10 ordinary requests served meanwhile`,
      breakdown: { 'cut with 408': cut, 'ordinary requests served': served },
    })
    expect(served).toBe(10)
    expect(stillOpen, 'slow connections still open while the ordinary ones were served').toBe(20)
    expect(cut).toBe(slow.length)
  })

  it('cuts slow and stalled bodies at requestTimeoutMs, and they change nothing', async () => {
    const before = await dumpAllTables(testDb.db)
    const slow = Array.from({ length: 10 }, (_v, i) => {
      const c = openRawConnection(port, { failAfterMs: HANG_MS })
      const body = JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'hi' }] })
      c.write(CHAT_HEAD(body.length + 1000))
      // Half trickle a byte every 100 ms; half send a little and stall.
      if (i % 2 === 0) c.trickle(body, 100)
      else c.write(body.slice(0, 10))
      return c
    })
    await Promise.all(slow.map(connected))
    const served = await ordinaryRequests(10)
    const outcomes = await outcomesOf(slow)
    const cut = outcomes.filter(cutWithTimeout).length
    const after = await dumpAllTables(testDb.db)
    // The ordinary /v1/models reads record their usage events; nothing else may move.
    const { usage_events: _u1, ...restBefore } = before
    const { usage_events: _u2, ...restAfter } = after
    const unchanged = JSON.stringify(restBefore) === JSON.stringify(restAfter)
    recordReliability({
      area: 'slow-clients',
      check: 'slow bodies: 10 chat requests whose body trickles (1 byte / 100 ms) or stalls',
      cases: slow.length + 10,
      failures: slow.length - cut + (10 - served) + (unchanged ? 0 : 1),
      expectation: `each cut at requestTimeoutMs (${SERVER.requestTimeoutMs} ms) with 408 request_timeout, nothing held or charged; 10 ordinary requests served meanwhile`,
      breakdown: { 'cut with 408': cut, 'ordinary requests served': served },
    })
    expect(served).toBe(10)
    expect(cut).toBe(slow.length)
    expect(unchanged, 'tables other than usage_events unchanged').toBe(true)
  })

  it('closes connections that never send a byte, and keep-alive connections left idle', async () => {
    const silent = Array.from({ length: 30 }, () =>
      openRawConnection(port, { failAfterMs: HANG_MS }),
    )
    await Promise.all(silent.map(connected))
    const keepAlive = openRawConnection(port, { failAfterMs: HANG_MS })
    keepAlive.write('GET /healthz HTTP/1.1\r\nHost: ferry\r\nConnection: keep-alive\r\n\r\n')
    const served = await ordinaryRequests(10)
    const outcomes = await outcomesOf(silent)
    // A silent connection is closed at headersTimeoutMs (Node answers it 408 first).
    const cut = outcomes.filter((o) => o.closedByServer).length
    const idle = await keepAlive.closed
    const idleClosed = idle.closedByServer && idle.status === 200
    recordReliability({
      area: 'slow-clients',
      check: '30 silent connections and one idle keep-alive connection',
      cases: silent.length + 1 + 10,
      failures: silent.length - cut + (idleClosed ? 0 : 1) + (10 - served),
      expectation: `silent ones closed at headersTimeoutMs, the idle keep-alive one after its answer at keepAliveTimeoutMs (${SERVER.keepAliveTimeoutMs} ms); 10 ordinary requests served meanwhile`,
      breakdown: { 'silent closed': cut, 'ordinary requests served': served },
    })
    expect(served).toBe(10)
    expect(cut).toBe(silent.length)
    expect(idleClosed).toBe(true)
  })

  it('drops connections past maxConnections at once and serves again when the flood is cut', async () => {
    const flood = Array.from({ length: SERVER.maxConnections }, () =>
      openRawConnection(port, { failAfterMs: HANG_MS }),
    )
    await Promise.all(flood.map(connected))
    // Wait until the server has accepted all of them (it counts accepted connections).
    await new Promise<void>((resolve) => {
      const poll = () =>
        app.server.getConnections((_err, count) =>
          count >= SERVER.maxConnections ? resolve() : setTimeout(poll, 20),
        )
      poll()
    })
    const extra = Array.from({ length: 10 }, () =>
      openRawConnection(port, { failAfterMs: HANG_MS }),
    )
    const extraOutcomes = await outcomesOf(extra)
    // Past the limit Node closes the new socket without a byte: nothing is buffered for it.
    const dropped = extraOutcomes.filter((o) => o.closedByServer && o.received === '').length
    const floodOutcomes = await outcomesOf(flood)
    const floodCut = floodOutcomes.filter((o) => o.closedByServer).length
    const served = await ordinaryRequests(5)
    recordReliability({
      area: 'slow-clients',
      check: `connection flood: ${SERVER.maxConnections} idle connections (maxConnections) and 10 more`,
      cases: flood.length + extra.length + 5,
      failures: extra.length - dropped + (flood.length - floodCut) + (5 - served),
      expectation:
        'connections past maxConnections closed at once; the flood cut at headersTimeoutMs; then ordinary requests served',
      breakdown: { 'dropped past the limit': dropped, 'flood cut': floodCut, served },
    })
    expect(dropped).toBe(extra.length)
    expect(floodCut).toBe(flood.length)
    expect(served).toBe(5)
  })
})

/** Bytes no HTTP client sends; each must be refused with a 4xx in OpenAI's shape and closed. */
const MALFORMED_HTTP: Record<string, string> = {
  'CR inside a header value':
    'GET /v1/models HTTP/1.1\r\nHost: ferry\r\nX-Request-Id: a\rX-Evil: 1\r\n\r\n',
  'NUL inside a header value':
    'GET /v1/models HTTP/1.1\r\nHost: ferry\r\nX-Request-Id: a\u0000b\r\n\r\n',
  'header line without a colon': 'GET /v1/models HTTP/1.1\r\nHost: ferry\r\nX-Evil\r\n\r\n',
  'space before the colon': 'GET /v1/models HTTP/1.1\r\nHost: ferry\r\nX-Request-Id : a\r\n\r\n',
  'headers over 16 KiB': `GET /v1/models HTTP/1.1\r\nHost: ferry\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  'unknown HTTP version': 'GET /v1/models HTTP/9.9\r\nHost: ferry\r\n\r\n',
  'garbage request line': '\u0000\u0001\u0002 GET\r\n\r\n',
  'Content-Length and Transfer-Encoding (smuggling)':
    'POST /v1/chat/completions HTTP/1.1\r\nHost: ferry\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'two different Content-Lengths':
    'POST /v1/chat/completions HTTP/1.1\r\nHost: ferry\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  'broken chunk size':
    'POST /v1/chat/completions HTTP/1.1\r\nHost: ferry\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
  'negative Content-Length':
    'POST /v1/chat/completions HTTP/1.1\r\nHost: ferry\r\nContent-Length: -1\r\n\r\n',
}

/**
 * Path traversal as raw bytes (an HTTP client, and app.inject, would resolve the dot segments
 * before sending): the router must not resolve them into another route.
 */
const RAW_TRAVERSALS = [
  '/admin/v1/orgs/../admins',
  '/admin/v1/orgs/./../admins',
  '/admin/v1/orgs/..%2fadmins',
  '/admin/v1/orgs/%2e%2e/admins',
  '/admin/v1/orgs/%2e%2e%2f%2e%2e%2fadmin-tokens',
  '/v1/models/../../admin/v1/admins',
  '/v1/models/..%2f..%2fadmin%2fv1%2fadmins',
  '/v1/../admin/v1/admins',
  '/v1/models/%00',
  '/v1/models/mock%00',
  '/admin/v1/orgs/..\\admins',
]

describe('malformed HTTP and header injection on the wire', () => {
  it('never resolves dot segments of a raw path into another route', async () => {
    const failures: string[] = []
    for (const path of RAW_TRAVERSALS) {
      const c = openRawConnection(port, { failAfterMs: HANG_MS })
      // Both credentials: whatever route the path reached, authentication would pass.
      c.write(
        `GET ${path} HTTP/1.1\r\nHost: ferry\r\nAuthorization: Bearer ${path.startsWith('/v1/') ? secret : ownerToken}\r\nConnection: close\r\n\r\n`,
      )
      const outcome = await c.closed
      let body: unknown
      try {
        body = JSON.parse(outcome.body)
      } catch {
        body = undefined
      }
      const refused =
        outcome.status !== null &&
        outcome.status >= 400 &&
        outcome.status < 500 &&
        isOpenAIErrorBody(body)
      if (!refused) failures.push(`${path}: ${outcome.received.slice(0, 160)}`)
    }
    recordReliability({
      area: 'hostile-input',
      check:
        'path traversal as raw bytes (dot segments, encoded slashes, NUL) with valid credentials',
      cases: RAW_TRAVERSALS.length,
      failures: failures.length,
      expectation: "4xx in OpenAI's error shape; no other route reached",
    })
    expect(failures).toEqual([])
  })

  it("refuses each with a 4xx in OpenAI's shape and never reflects an injected header", async () => {
    const failures: string[] = []
    for (const [name, bytes] of Object.entries(MALFORMED_HTTP)) {
      const c = openRawConnection(port, { failAfterMs: HANG_MS })
      c.write(bytes)
      const outcome = await c.closed
      let body: unknown
      try {
        body = JSON.parse(outcome.body)
      } catch {
        body = undefined
      }
      const ok =
        outcome.status !== null &&
        outcome.status >= 400 &&
        outcome.status < 500 &&
        isOpenAIErrorBody(body) &&
        !/\r\nx-evil:/i.test(outcome.received)
      if (!ok) failures.push(`${name}: ${outcome.received.slice(0, 200)}`)
    }
    recordReliability({
      area: 'hostile-input',
      check:
        'malformed HTTP and header injection on a raw socket (CR/LF/NUL in headers, smuggling, oversized headers)',
      cases: Object.keys(MALFORMED_HTTP).length,
      failures: failures.length,
      expectation: "4xx in OpenAI's error shape, connection closed, no injected header reflected",
    })
    expect(failures).toEqual([])
  })
})
