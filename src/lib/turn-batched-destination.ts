import type { DestinationStream } from 'pino'

/** What the batched destination needs of the stream behind it (pino's sonic-boom). */
export interface FlushableDestination extends DestinationStream {
  flush(cb?: (err?: Error) => void): void
  flushSync(): void
}

/**
 * A log destination that hands the lines written in one event-loop turn to `target` in one
 * write. sonic-boom (pino's asynchronous stdout) measures the byte length of its whole pending
 * buffer on every write while one is in flight, which under load is every write: that cost
 * more than building the access lines themselves. Here it sees one string per turn.
 *
 * Lines are not lost on the way out: `flush` and `flushSync` hand over what is pending first,
 * and so does the process's `exit` (the handler is registered when this module loads, before
 * any target exists, so it runs before pino's own exit flush of the targets). As with any
 * asynchronous destination, a kill -9 loses what was not yet written; ledger and audit writes
 * never depend on a log line.
 */
export class TurnBatchedDestination implements DestinationStream {
  readonly #target: FlushableDestination
  #pending = ''
  readonly #handOver = () => {
    const lines = this.#pending
    if (lines === '') return
    this.#pending = ''
    this.#target.write(lines)
  }

  constructor(target: FlushableDestination) {
    this.#target = target
    live.add(new WeakRef(this))
  }

  write(line: string): void {
    if (this.#pending === '') setImmediate(this.#handOver)
    this.#pending += line
  }

  flush(cb?: (err?: Error) => void): void {
    this.#handOver()
    this.#target.flush(cb)
  }

  flushSync(): void {
    this.#handOver()
    this.#target.flushSync()
  }

  /** Hand what is pending to the target now (the process is exiting). */
  handOverNow(): void {
    this.#handOver()
  }
}

/** Every destination made, weakly: a test process makes many loggers and keeps few. */
const live = new Set<WeakRef<TurnBatchedDestination>>()
process.on('exit', () => {
  for (const ref of live) ref.deref()?.handOverNow()
})
