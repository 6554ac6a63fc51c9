/**
 * The one Server-Sent Events decoder for every upstream (WHATWG HTML §9.2 "event stream
 * interpretation"). Adapters never split lines or strip `data: ` themselves.
 */

/** One dispatched event. `event` is null when the stream named none (OpenAI); Anthropic names all. */
export interface SseEvent {
  event: string | null
  /** The `data:` lines joined with `\n`. `[DONE]` is left to the adapter. */
  data: string
  id: string | null
}

const LF = 10
const CR = 13

/**
 * Incremental decoder over raw byte chunks. Bytes may be split anywhere, including inside a
 * multi-byte UTF-8 character or between the CR and LF of a CRLF: the events are the same as for
 * the whole stream in one chunk.
 *
 * @example
 * const decoder = new SseDecoder()
 * for await (const bytes of body) for (const event of decoder.push(bytes)) handle(event)
 * for (const event of decoder.end()) handle(event)
 */
export class SseDecoder {
  // `stream: true` keeps a split multi-byte character until its last byte arrives; the default
  // (ignoreBOM false) drops a leading BOM, as the spec asks.
  readonly #text = new TextDecoder('utf-8')
  #buffer = ''
  // A chunk ended in CR: a LF at the start of the next chunk belongs to the same line ending.
  #skipLeadingLf = false
  #eventType: string | null = null
  #data: string[] = []
  #hasData = false
  #lastId: string | null = null

  /** Feed the next bytes; returns the events they complete. */
  push(bytes: Uint8Array): SseEvent[] {
    this.#buffer += this.#text.decode(bytes, { stream: true })
    return this.#drainLines()
  }

  /**
   * The stream ended: flush a split character and a last unterminated line. A final event
   * without its blank line is still dispatched: some upstreams omit it after `[DONE]`.
   */
  end(): SseEvent[] {
    this.#buffer += this.#text.decode()
    const events = this.#drainLines()
    if (this.#buffer.length > 0) {
      this.#processLine(this.#buffer, events)
      this.#buffer = ''
    }
    if (this.#hasData) this.#dispatch(events)
    return events
  }

  #drainLines(): SseEvent[] {
    const events: SseEvent[] = []
    const buffer = this.#buffer
    let start = 0
    if (this.#skipLeadingLf && buffer.length > 0) {
      if (buffer.charCodeAt(0) === LF) start = 1
      this.#skipLeadingLf = false
    }
    if (buffer.indexOf('\r', start) === -1) {
      // Lines ended by LF alone (every upstream seen so far): found by native search, not by a
      // loop over every character, which showed in stream profiles.
      for (let at = buffer.indexOf('\n', start); at !== -1; at = buffer.indexOf('\n', start)) {
        this.#processLine(buffer.slice(start, at), events)
        start = at + 1
      }
    } else {
      for (let i = start; i < buffer.length; i++) {
        const ch = buffer.charCodeAt(i)
        if (ch !== LF && ch !== CR) continue
        this.#processLine(buffer.slice(start, i), events)
        if (ch === CR) {
          if (i + 1 < buffer.length) {
            if (buffer.charCodeAt(i + 1) === LF) i++
          } else {
            this.#skipLeadingLf = true
          }
        }
        start = i + 1
      }
    }
    this.#buffer = start === 0 ? buffer : buffer.slice(start)
    return events
  }

  #processLine(line: string, events: SseEvent[]): void {
    if (line.length === 0) {
      this.#dispatch(events)
      return
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32 /* one leading space */) value = value.slice(1)
    switch (field) {
      case 'data':
        this.#data.push(value)
        this.#hasData = true
        break
      case 'event':
        this.#eventType = value === '' ? null : value
        break
      case 'id':
        if (!value.includes('\0')) this.#lastId = value
        break
      default:
        // `retry` and unknown fields change nothing for a one-shot upstream stream.
        break
    }
  }

  #dispatch(events: SseEvent[]): void {
    if (this.#hasData) {
      events.push({ event: this.#eventType, data: this.#data.join('\n'), id: this.#lastId })
    }
    this.#eventType = null
    this.#data = []
    this.#hasData = false
  }
}

/**
 * Map a stream of event batches to a stream of item batches: `step` turns one event into items
 * (pushed to `out`) and returns false to skip the rest of its batch. Empty batches are left out.
 * When a step throws, the items the batch produced before the bad event still go out first (as
 * they would have one event at a time), then the failure ends the stream.
 */
export async function* mapEventBatches<Item>(
  batches: AsyncIterable<readonly SseEvent[]>,
  step: (event: SseEvent, out: Item[]) => boolean,
): AsyncGenerator<Item[]> {
  for await (const events of batches) {
    const out: Item[] = []
    let failure: { error: unknown } | null = null
    try {
      for (const event of events) if (!step(event, out)) break
    } catch (error) {
      failure = { error }
    }
    if (out.length > 0) yield out
    if (failure !== null) throw failure.error
  }
}
