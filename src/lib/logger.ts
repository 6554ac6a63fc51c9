import pino, { type DestinationStream, type Logger } from 'pino'
import { TurnBatchedDestination } from './turn-batched-destination.js'

/**
 * Paths pino replaces before a line is written. Headers are lower-cased by Node. The access log
 * never logs headers or bodies, but a developer's `log.info({ req })` or an error carrying a
 * request must not leak a credential either.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["api-key"]',
  'headers.cookie',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.masterKey',
  '*.credentials',
  '*.credential',
  'password',
  'secret',
  'apiKey',
  'api_key',
  'token',
  'masterKey',
  'credentials',
] as const

export type { Logger }

/**
 * The process logger. Without a destination it writes to stdout asynchronously: the lines of
 * one event-loop turn are handed over together (TurnBatchedDestination), and lines written while
 * a write is in flight are coalesced into one, so the access log costs no synchronous syscall
 * per request. What is buffered is written when the process exits (and by `flushLogger` on a
 * graceful stop); a hard kill can lose the last lines, never a ledger or audit write.
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'ferry' },
      redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? new TurnBatchedDestination(pino.destination({ dest: 1, sync: false })),
  )
}

/** Write out what an asynchronous destination still buffers (graceful shutdown). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.flush(() => resolve())
  })
}
