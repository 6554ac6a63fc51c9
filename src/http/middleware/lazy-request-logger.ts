import type { FastifyBaseLogger } from 'fastify'

type Bindings = Record<string, unknown>
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type LogArgs = Parameters<FastifyBaseLogger['info']>

/**
 * A request's logger whose pino child is created on its first log line. Fastify makes a child
 * per request (to bind `requestId`); most requests write only the access line, which has its own
 * logger, so building a child for each of them is pure overhead on the hot path.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.parent.level
  }

  set level(level: string) {
    this.#real().level = level
  }

  fatal(...args: LogArgs): void {
    this.#log('fatal', args)
  }
  error(...args: LogArgs): void {
    this.#log('error', args)
  }
  warn(...args: LogArgs): void {
    this.#log('warn', args)
  }
  info(...args: LogArgs): void {
    this.#log('info', args)
  }
  debug(...args: LogArgs): void {
    this.#log('debug', args)
  }
  trace(...args: LogArgs): void {
    this.#log('trace', args)
  }
  silent(): void {
    // Nothing to write, and nothing to create for it.
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }

  #log(level: LogLevel, args: LogArgs): void {
    // A disabled level writes nothing, so it need not create the child either.
    if (this.#child === undefined && !isLevelEnabled(this.parent, level)) return
    this.#real()[level](...args)
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options)
    return this.#child
  }
}

function isLevelEnabled(logger: FastifyBaseLogger, level: LogLevel): boolean {
  const check = (logger as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled
  return check === undefined || check.call(logger, level)
}

/** Fastify's `childLoggerFactory`: request loggers that cost nothing until they log. */
export function lazyChildLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options)
}
