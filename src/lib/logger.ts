import pino, { type DestinationStream, type Logger } from 'pino'

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

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'ferry' },
      redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  )
}
