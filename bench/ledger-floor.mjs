#!/usr/bin/env node
// The floor for issue 7's benchmark condition: the least a Node.js gateway can do and still keep
// money the way the issue asks. Beside the harness's bare proxy (examples/minimal-proxy.mjs) it
// adds only what every priced request must pay for, each in its cheapest form:
//
// - the key: a SHA-256 digest of the presented secret looked up in a map (Ferry's cache hit);
// - the body parsed as JSON, the prompt counted with o200k_base (counts of texts remembered);
// - a hold of the maximum cost on an in-memory balance (bigint micros), refused with a 429;
// - the upstream call with undici (a Pool), the JSON answer parsed for its usage, every stream
//   event parsed (what counts delivered text on an abort);
// - the settlement (a ledger entry with the balance after it) and a usage row, group-committed
//   by a worker thread on SQLite at synchronous = FULL, durable before the last byte;
// - one JSON access line per request, written once per event-loop turn.
//
// No validation beyond that, no routing, budgets, metrics, tracing, fallbacks or admin API. It is
// a measurement, not a gateway: docs/performance.md ("Round 10") compares it with Ferry and the
// bare proxy in one harness run, to tell how much of the gap is Ferry's and how much is the work.
//
//   node bench/ledger-floor.mjs   # env: FLOOR_PORT (18792), FLOOR_KEY (sk-floor), MOCK_BASE_URL
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { Pool } from 'undici'

const require = createRequire(import.meta.url)
const { countTokens } = require('gpt-tokenizer/encoding/o200k_base')

const PORT = Number(process.env.FLOOR_PORT || 18792)
const KEY = process.env.FLOOR_KEY || 'sk-floor'
const UP = new URL(process.env.MOCK_BASE_URL || 'http://127.0.0.1:18080/v1')
const UP_PATH = UP.pathname.replace(/\/$/, '')
const digest = (secret) => createHash('sha256').update(secret).digest('base64')
const keys = new Map([[digest(KEY), { organizationId: 'org_floor' }]])
const upstream = isMainThread ? new Pool(UP.origin, { connections: 256, pipelining: 1 }) : null

// gpt-4o-mini's list prices, micros per million tokens; one rounding rule: up to the micro.
const PRICE_IN = 150_000n
const PRICE_OUT = 600_000n
const cost = (inTokens, outTokens) =>
  (BigInt(inTokens) * PRICE_IN + BigInt(outTokens) * PRICE_OUT + 999_999n) / 1_000_000n
let balance = 900_000_000n
let held = 0n

const counted = new Map()
function countText(text) {
  let n = counted.get(text)
  if (n === undefined) {
    n = countTokens(text)
    if (counted.size < 1024 && text.length <= 4096) counted.set(text, n)
  }
  return n
}
const promptTokens = (messages) =>
  messages.reduce(
    (sum, m) => sum + 4 + (typeof m.content === 'string' ? countText(m.content) : 0),
    3,
  )

// Group commit: one batch in flight on the worker; settlements arriving meanwhile wait for the next.
const dataDir = isMainThread ? mkdtempSync(join(tmpdir(), 'ledger-floor-')) : null
const worker = isMainThread
  ? new Worker(new URL(import.meta.url), { workerData: { file: join(dataDir, 'floor.db') } })
  : null
let pending = []
let inFlight = null
function commit(record) {
  return new Promise((resolve, reject) => {
    pending.push({ record, resolve, reject })
    if (inFlight === null) setImmediate(flush)
  })
}
function flush() {
  if (inFlight !== null || pending.length === 0) return
  inFlight = pending
  pending = []
  worker.postMessage(inFlight.map((p) => p.record))
}
worker?.on('message', (error) => {
  const done = inFlight
  inFlight = null
  for (const p of done) {
    if (error) p.reject(new Error(error))
    else p.resolve()
  }
  flush()
})

// Access lines: one write per event-loop turn.
let lines = ''
function log(fields) {
  if (lines === '') setImmediate(writeLines)
  lines += JSON.stringify(fields) + '\n'
}
function writeLines() {
  const out = lines
  lines = ''
  process.stdout.write(out)
}

let sequence = 0
const newRequestId = () => `req_${Date.now().toString(16)}${(sequence++).toString(16)}`

function refuse(res, status, [message, type]) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ error: { message, type, param: null, code: type } }))
}

async function handle(req, res) {
  const auth = req.headers.authorization
  const caller = auth?.startsWith('Bearer ') ? keys.get(digest(auth.slice(7))) : undefined
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  if (!caller) return refuse(res, 401, ['invalid api key', 'invalid_api_key'])
  const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
  let body
  try {
    body = JSON.parse(raw.toString())
  } catch {
    return refuse(res, 400, ['invalid JSON', 'invalid_request_error'])
  }
  const path = req.url.startsWith('/v1/') ? UP_PATH + req.url.slice(3) : req.url
  const isChat = path.endsWith('/chat/completions') && Array.isArray(body.messages)
  const inTokens = isChat ? promptTokens(body.messages) : 0
  const hold = cost(inTokens, body.max_tokens ?? 4096)
  if (balance - held < hold) return refuse(res, 429, ['insufficient quota', 'insufficient_quota'])
  held += hold
  const open = { hold }
  const requestId = newRequestId()
  let usage = null
  let status = 502
  try {
    const up = await upstream.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer upstream-key' },
      body: raw,
    })
    status = up.statusCode
    if (body.stream === true) {
      res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      let carry = ''
      let done = false
      for await (const chunk of up.body) {
        const text = carry + chunk.toString()
        const end = text.lastIndexOf('\n\n')
        carry = end === -1 ? text : text.slice(end + 2)
        if (end === -1) continue
        const events = text.slice(0, end + 2)
        for (const event of events.split('\n\n')) {
          if (!event.startsWith('data: ')) continue
          const data = event.slice(6)
          if (data === '[DONE]') done = true
          else usage = JSON.parse(data).usage ?? usage
        }
        // Hold back [DONE] until the settlement is durable.
        res.write(done ? events.slice(0, events.lastIndexOf('data: [DONE]')) : events)
      }
      await settle({ requestId, caller, open, usage, status })
      res.end('data: [DONE]\n\n')
    } else {
      const text = await up.body.text()
      if (status === 200) usage = JSON.parse(text).usage ?? null
      await settle({ requestId, caller, open, usage, status })
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      })
      res.end(text)
    }
  } catch (err) {
    held -= open.hold
    open.hold = 0n
    if (!res.headersSent) refuse(res, 502, [`upstream error: ${err.message}`, 'upstream_error'])
    else res.destroy()
  }
  log({ requestId, organizationId: caller.organizationId, status, heldMicros: String(hold) })
}

async function settle({ requestId, caller, open, usage, status }) {
  // Release the hold and charge in one synchronous step (nothing else runs in between).
  held -= open.hold
  open.hold = 0n
  const charged = usage ? cost(usage.prompt_tokens ?? 0, usage.completion_tokens ?? 0) : 0n
  balance -= charged
  await commit({
    requestId,
    organizationId: caller.organizationId,
    status,
    costMicros: charged,
    balanceAfterMicros: balance,
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    createdAt: new Date().toISOString(),
  })
}

if (isMainThread) {
  const server = http.createServer((req, res) => void handle(req, res))
  server.keepAliveTimeout = 65_000
  server.listen(PORT, '127.0.0.1', () =>
    console.error(`ledger-floor on http://127.0.0.1:${PORT}/v1 -> ${UP.href}`),
  )
  // A fresh database per run, removed on the way out.
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.on(sig, () => {
      rmSync(dataDir, { recursive: true, force: true })
      process.exit(0)
    })
} else {
  const Database = require('better-sqlite3')
  const db = new Database(workerData.file)
  db.pragma('journal_mode = WAL')
  // FLOOR_SYNC=NORMAL (measurement only: commits then are not durable at once) shows what the
  // disk flush costs.
  db.pragma(`synchronous = ${process.env.FLOOR_SYNC === 'NORMAL' ? 'NORMAL' : 'FULL'}`)
  db.exec(`create table ledger_entries (entry_id text primary key, account_id text not null,
      account_version integer not null, amount_micros integer not null,
      balance_after_micros integer not null, request_id text, idempotency_key text not null,
      created_at text not null);
    create unique index le_idem on ledger_entries (account_id, idempotency_key);
    create index le_version on ledger_entries (account_id, account_version);
    create index le_request on ledger_entries (request_id);
    create table usage_events (request_id text primary key, organization_id text not null,
      status integer, prompt_tokens integer, completion_tokens integer, cost_micros integer,
      created_at text not null);
    create index ue_org_time on usage_events (organization_id, created_at);`)
  let version = 0
  const entry = db.prepare('insert into ledger_entries values (?, ?, ?, ?, ?, ?, ?, ?)')
  const usageRow = db.prepare('insert into usage_events values (?, ?, ?, ?, ?, ?, ?)')
  const write = db.transaction((records) => {
    for (const r of records) {
      version += 1
      entry.run(
        `le_${randomBytes(10).toString('hex')}`,
        r.organizationId,
        version,
        -r.costMicros,
        r.balanceAfterMicros,
        r.requestId,
        `settle:${r.requestId}`,
        r.createdAt,
      )
      usageRow.run(
        r.requestId,
        r.organizationId,
        r.status,
        r.promptTokens,
        r.completionTokens,
        r.costMicros,
        r.createdAt,
      )
    }
  })
  db.defaultSafeIntegers(true)
  parentPort.on('message', (records) => {
    try {
      write(records)
      parentPort.postMessage(null)
    } catch (err) {
      parentPort.postMessage(String(err))
    }
  })
}
