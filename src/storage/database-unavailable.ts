/**
 * Node socket errors and PostgreSQL SQLSTATEs that mean "the database cannot be reached right
 * now" rather than "this query is wrong": class 08 (connection exception), 57P01–57P03 (admin
 * shutdown, crash shutdown, cannot connect now) and 53300 (too many connections).
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

/** What node-postgres and pg-pool say when a connection is lost or cannot be had in time. */
const UNAVAILABLE_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout)/

/**
 * True when `err` (or an error it wraps, through `cause` or an AggregateError's `errors`) says the
 * database is unreachable: a request failing so is answered 503 `database_unavailable`, and
 * retried by OpenAI clients, instead of a 500.
 */
export function isDatabaseUnavailableError(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false
  const { code, message, cause, errors } = err as {
    code?: unknown
    message?: unknown
    cause?: unknown
    errors?: unknown
  }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08')))
    return true
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailableError(e, depth + 1)))
    return true
  return isDatabaseUnavailableError(cause, depth + 1)
}
