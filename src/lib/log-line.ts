import pino from 'pino'
import type { Logger } from './logger.js'

/** A value of a line written by `createInfoLineWriter`: flat, already safe to log. */
export type LogLineValue = string | number | boolean | null

/** Writes one info line with the given fields (nothing when info is off). */
export type InfoLineWriter = (fields: Readonly<Record<string, LogLineValue>>) => void

/**
 * A writer of one kind of info line — a fixed message with flat fields that are safe by
 * construction (IDs, labels, counts; never a header or a body) — in the logger's own format
 * (`createLogger`: level label, ISO time, the logger's bindings, then the fields and `msg`),
 * straight to its destination.
 *
 * The access line is written once per request, and pino's general path (per-key serialisation
 * and escaping, the redaction pass, its hooks) was a twentieth of the event loop's work under
 * load; one JSON.stringify of the flat fields does the same here. Where the destination needs
 * pino's per-line metadata (a multistream), the line goes through pino as usual.
 */
export function createInfoLineWriter(logger: Logger, message: string): InfoLineWriter {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    { write(line: string): unknown; [key: symbol]: unknown } | undefined
  const bindings = (logger as unknown as Record<symbol, unknown>)[pino.symbols.chindingsSym]
  if (
    stream === undefined ||
    typeof bindings !== 'string' ||
    stream[pino.symbols.needsMetadataGsym] === true
  )
    return (fields) => logger.info(fields, message)
  const tail = `,"msg":${JSON.stringify(message)}}\n`
  const isoTime = lastIsoTime()
  return (fields) => {
    if (!logger.isLevelEnabled('info')) return
    const json = JSON.stringify(fields)
    const body = json.length > 2 ? `,${json.slice(1, -1)}` : ''
    stream.write(`{"level":"info","time":"${isoTime()}"${bindings}${body}${tail}`)
  }
}

/** `new Date().toISOString()`, computed once per millisecond however many lines share it. */
function lastIsoTime(): () => string {
  let lastMs = -1
  let last = ''
  return () => {
    const nowMs = Date.now()
    if (nowMs !== lastMs) {
      lastMs = nowMs
      last = new Date(nowMs).toISOString()
    }
    return last
  }
}
