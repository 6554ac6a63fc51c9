import type { Dispatcher } from 'undici'
import type { HeaderBag } from './classify-failure.js'
import type { UpstreamHttpResponse } from './upstream-client.js'

/**
 * Body bytes queued before the connection is paused: a consumer slower than its upstream (a slow
 * client of a stream, say) holds at most about this much, as a Readable's high-water mark would.
 */
const PAUSE_AT_BYTES = 64 * 1024

/** What a waiting `next()` is given when a chunk, the end or an error arrives. */
interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void
  reject(err: Error): void
}

const DONE: IteratorResult<Uint8Array> = Object.freeze({ done: true, value: undefined })

/**
 * One upstream call as an undici dispatch handler: `headers` settles when a final status line
 * and its headers arrive (or the call fails before), then the body is iterated straight off the
 * handler's callbacks. undici's `request()` builds a Readable and an abort-signal binding for
 * every call; profiles of the priced benchmark showed them as a sixth of the gateway's work, and
 * a queue of chunks does the same job here (back-pressure included) for a fraction of it.
 */
export class UndiciResponse implements Dispatcher.DispatchHandler, AsyncIterable<Uint8Array> {
  /** Settles once: the response (2xx or not) whose headers arrived, or the failure before them. */
  readonly headers: Promise<UpstreamHttpResponse>

  #resolveHeaders!: (response: UpstreamHttpResponse) => void
  #rejectHeaders!: (err: unknown) => void
  #headersSettled = false
  #controller: Dispatcher.DispatchController | null = null
  #chunks: Uint8Array[] = []
  #queuedBytes = 0
  #waiter: Waiter | null = null
  /** The body ended: normally (null) or with an error. */
  #ended: { error: Error | null } | null = null
  /** The consumer gave up (destroy): nothing more is queued or delivered. */
  #destroyed = false
  readonly #signal: AbortSignal
  readonly #onAbort = () => this.#abort(errorOf(this.#signal.reason))

  constructor(signal: AbortSignal) {
    this.#signal = signal
    this.headers = new Promise((resolve, reject) => {
      this.#resolveHeaders = resolve
      this.#rejectHeaders = reject
    })
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    // Aborted while queued for a connection: undici takes the abort from here on.
    if (this.#signal.aborted) controller.abort(errorOf(this.#signal.reason))
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: HeaderBag,
  ): void {
    // 1xx interim answers (100 Continue, 103 Early Hints) precede the real one.
    if (statusCode < 200 || this.#headersSettled) return
    this.#headersSettled = true
    this.#resolveHeaders({
      status: statusCode,
      headers,
      body: this,
      destroy: () => this.#destroy(),
    })
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#destroyed) return
    const waiter = this.#waiter
    if (waiter !== null) {
      this.#waiter = null
      waiter.resolve({ done: false, value: chunk })
      return
    }
    this.#chunks.push(chunk)
    this.#queuedBytes += chunk.byteLength
    if (this.#queuedBytes >= PAUSE_AT_BYTES) controller.pause()
  }

  onResponseEnd(): void {
    this.#finish({ error: null })
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (!this.#headersSettled) {
      this.#headersSettled = true
      this.#signal.removeEventListener('abort', this.#onAbort)
      this.#rejectHeaders(error)
      return
    }
    this.#finish({ error })
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => this.#next() }
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#chunks.shift()
    if (chunk !== undefined) {
      this.#queuedBytes -= chunk.byteLength
      if (this.#controller?.paused === true && this.#queuedBytes < PAUSE_AT_BYTES)
        this.#controller.resume()
      return Promise.resolve({ done: false, value: chunk })
    }
    const ended = this.#ended
    if (ended !== null)
      return ended.error === null ? Promise.resolve(DONE) : Promise.reject(ended.error)
    if (this.#destroyed) return Promise.resolve(DONE)
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  #finish(ended: { error: Error | null }): void {
    if (this.#ended !== null) return
    this.#ended = ended
    this.#signal.removeEventListener('abort', this.#onAbort)
    const waiter = this.#waiter
    if (waiter === null) return
    this.#waiter = null
    if (ended.error === null) waiter.resolve(DONE)
    else waiter.reject(ended.error)
  }

  /**
   * The caller's signal fired: the wait for headers ends at once (a call still queued for a
   * connection would otherwise wait out the connect), and undici stops the call and destroys
   * its socket — now, or on onRequestStart if the call has not reached a connection yet.
   */
  #abort(error: Error): void {
    if (!this.#headersSettled) {
      this.#headersSettled = true
      this.#rejectHeaders(error)
    }
    this.#controller?.abort(error)
  }

  /** Stop reading: a half-read HTTP/1.1 response cannot be reused, so its socket is destroyed. */
  #destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#chunks = []
    this.#queuedBytes = 0
    if (this.#ended === null) {
      this.#finish({ error: null })
      // undici reports the abort through onResponseError, which nobody is waiting on any more.
      this.#controller?.abort(new DOMException('upstream response discarded', 'AbortError'))
    }
  }
}

/** An abort reason as an Error (AbortSignal.reason may be any value). */
function errorOf(reason: unknown): Error {
  return reason instanceof Error
    ? reason
    : new DOMException('The operation was aborted.', 'AbortError')
}
