import { toIsoTimestamp } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import { maskJson, maskSecrets } from './mask-secrets.js'
import type { RequestCapture } from './request-log.js'
import { findCapturingOrganizations, insertRequestLogs } from './request-logs.repository.js'
import type { RequestLogsTable } from './request-logs.table.js'

export interface RequestLogWriterOptions {
  db: Db
  /** How long a capture waits for its batch. @default 1000 */
  flushIntervalMs?: number
  /** Captures written per statement batch. @default 200 */
  maxBatch?: number
  /** Captures held in memory at most; beyond it new ones are dropped (and counted). @default 5000 */
  maxPending?: number
  /** Characters of masked JSON kept per request or response; the rest is cut. @default 262144 */
  maxContentChars?: number
  /** Hears a failed batch (its captures are lost; the customer request never knew). */
  onError?: (err: unknown) => void
}

/** Counters for `/metrics` and tests. */
export interface RequestLogWriterStats {
  /** Handed to `capture` and queued. */
  queued: number
  /** Written to the database. */
  written: number
  /** Dropped at the door because the queue was full. */
  dropped: number
  /** Dropped at flush because the organization does not capture (any more). */
  skipped: number
  /** Lost in a batch that failed to write. */
  failed: number
}

export interface RequestLogWriter {
  /**
   * Queue one request's content for capture and return at once: no I/O, no masking, no
   * serialisation here. The batch, off the request path, re-checks that the organization
   * captures, masks every secret, and writes. Never throws.
   */
  capture(input: RequestCapture): void
  /** Write everything queued now (tests; shutdown). */
  flush(): Promise<void>
  /** Stop the timer and write what is queued (before the database closes). */
  stop(): Promise<void>
  stats(): RequestLogWriterStats
}

/** Yield to the event loop every this many masked captures, so a batch never stalls requests. */
const YIELD_EVERY = 16

/**
 * The batched, asynchronous writer of captured request content. Content waits in memory for at
 * most `flushIntervalMs` (or until `maxBatch` are queued): a crash loses what is queued, which
 * is accepted — capture is evidence, not accounting, and must never slow or fail a request.
 * @example
 * if (key.requestLogCapture) requestLog.capture({ organizationId, requestId, endpoint, request, response, createdAtMs })
 */
export function createRequestLogWriter(options: RequestLogWriterOptions): RequestLogWriter {
  const { db } = options
  const flushIntervalMs = options.flushIntervalMs ?? 1000
  const maxBatch = options.maxBatch ?? 200
  const maxPending = options.maxPending ?? 5000
  const maxChars = options.maxContentChars ?? 256 * 1024
  const onError = options.onError ?? (() => {})
  const stats: RequestLogWriterStats = { queued: 0, written: 0, dropped: 0, skipped: 0, failed: 0 }
  let pending: RequestCapture[] = []
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false

  const schedule = (delayMs: number): void => {
    if (timer !== undefined || stopped) return
    timer = setTimeout(() => {
      timer = undefined
      void flush()
    }, delayMs)
    timer.unref()
  }

  async function writeBatch(batch: RequestCapture[]): Promise<void> {
    const capturing = await findCapturingOrganizations(db, [
      ...new Set(batch.map((c) => c.organizationId)),
    ])
    const rows: RequestLogsTable[] = []
    for (const [i, capture] of batch.entries()) {
      if (!capturing.has(capture.organizationId)) {
        stats.skipped++
        continue
      }
      const row = toRow(capture, maxChars)
      if (row) rows.push(row)
      else stats.failed++
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r))
    }
    await insertRequestLogs(db, rows)
    stats.written += rows.length
  }

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch)
      pending = pending.slice(maxBatch)
      try {
        await writeBatch(batch)
      } catch (err) {
        stats.failed += batch.length
        onError(err)
      }
    }
  }

  function flush(): Promise<void> {
    // One drain at a time; a flush asked for during one waits for it and drains what is left.
    const next: Promise<void> = (running ?? Promise.resolve()).then(drain).finally(() => {
      if (running === next) running = undefined
    })
    running = next
    return next
  }

  return {
    capture: (input) => {
      if (stopped || pending.length >= maxPending) {
        stats.dropped++
        return
      }
      pending.push(input)
      stats.queued++
      schedule(pending.length >= maxBatch ? 0 : flushIntervalMs)
    },
    flush,
    stop: async () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      await flush()
    },
    stats: () => ({ ...stats }),
  }
}

/** Mask and serialise one capture; undefined when its content cannot be serialised. */
function toRow(capture: RequestCapture, maxChars: number): RequestLogsTable | undefined {
  try {
    const request = maskJson(capture.request)
    const response =
      capture.response === null || capture.response === undefined
        ? null
        : typeof capture.response === 'string'
          ? maskSecrets(capture.response)
          : maskJson(capture.response)
    const requestJson = bounded(JSON.stringify(request.value) ?? 'null', maxChars)
    const responseJson = response ? bounded(JSON.stringify(response.value), maxChars) : null
    return {
      request_id: capture.requestId,
      organization_id: capture.organizationId,
      endpoint: capture.endpoint,
      created_at: toIsoTimestamp(capture.createdAtMs),
      request_json: requestJson.json,
      response_json: responseJson?.json ?? null,
      masked_count: request.masked + (response?.masked ?? 0),
      truncated: requestJson.truncated || responseJson?.truncated ? 1 : 0,
    }
  } catch {
    return undefined
  }
}

/** JSON within `maxChars`: as is, or its first characters as a JSON string (still valid JSON). */
function bounded(json: string, maxChars: number): { json: string; truncated: boolean } {
  if (json.length <= maxChars) return { json, truncated: false }
  return { json: JSON.stringify(json.slice(0, maxChars)), truncated: true }
}
