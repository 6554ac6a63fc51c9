import { describe, expect, it } from 'vitest'
import { systemClock } from '../lib/clock.js'
import { readJsonBody, readSseBatches, type OpenedUpstream } from './call-upstream.js'
import type { SseEvent } from './sse-decoder.js'
import { UpstreamBadResponseError, UpstreamUnavailableError } from './upstream-errors.js'

const encoder = new TextEncoder()

/** An opened 2xx stream whose body yields `reads` (a string per network read), then `fail`s. */
function openedStream(
  reads: string[],
  options: { fail?: Error; abort?: AbortController } = {},
): { opened: OpenedUpstream; destroyed: () => boolean } {
  let destroyed = false
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const read of reads) yield await Promise.resolve(encoder.encode(read))
    if (options.fail) throw options.fail
  }
  const opened: OpenedUpstream = {
    response: { status: 200, headers: {}, body: body(), destroy: () => (destroyed = true) },
    info: { status: 200, requestId: 'req_up', ttfbMs: 1 },
    ctx: {
      account: {
        id: 'prv_test',
        label: 'test',
        kind: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:9/v1',
        credential: null,
      },
      requestId: 'req_test',
      signal: (options.abort ?? new AbortController()).signal,
      clock: systemClock,
    },
  }
  return { opened, destroyed: () => destroyed }
}

const data = (text: string): SseEvent => ({ event: null, data: text, id: null })

async function batchesOf(opened: OpenedUpstream): Promise<SseEvent[][]> {
  const batches: SseEvent[][] = []
  for await (const batch of readSseBatches(opened)) batches.push(batch)
  return batches
}

describe('readSseBatches', () => {
  it('hands over the events of each read together, never an empty batch', async () => {
    const { opened, destroyed } = openedStream(['data: a\n', '\ndata: b\n\ndata: c\n\ndata: ', 'd'])
    // The first read completes nothing (its blank line is in the second); the unterminated
    // last event is dispatched when the body ends.
    expect(await batchesOf(opened)).toEqual([[data('a'), data('b'), data('c')], [data('d')]])
    expect(destroyed()).toBe(true)
  })

  it('classifies a read error after the events already read', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    const { opened, destroyed } = openedStream(['data: a\n\n'], { fail: reset })
    const seen: SseEvent[][] = []
    const read = (async () => {
      for await (const batch of readSseBatches(opened)) seen.push(batch)
    })()
    await expect(read).rejects.toBeInstanceOf(UpstreamUnavailableError)
    expect(seen).toEqual([[data('a')]])
    expect(destroyed()).toBe(true)
  })

  it('rethrows the abort reason, not an upstream failure, once the call was aborted', async () => {
    const abort = new AbortController()
    const { opened } = openedStream(['data: a\n\n'], { fail: new Error('aborted'), abort })
    const reason = new Error('client closed the connection')
    const read = (async () => {
      for await (const _batch of readSseBatches(opened)) abort.abort(reason)
    })()
    await expect(read).rejects.toBe(reason)
  })

  it('destroys the connection when the consumer stops early', async () => {
    const { opened, destroyed } = openedStream(['data: a\n\n', 'data: b\n\n'])
    for await (const _batch of readSseBatches(opened)) break
    expect(destroyed()).toBe(true)
  })
})

describe('readJsonBody', () => {
  it('reads a body split over several reads, and one read in one piece', async () => {
    const split = openedStream(['{"id":"a",', '"n":1}'])
    expect(await readJsonBody(split.opened)).toEqual({ id: 'a', n: 1 })
    expect(split.destroyed()).toBe(true)
    expect(await readJsonBody(openedStream(['{"id":"b"}']).opened)).toEqual({ id: 'b' })
  })

  it('classifies a read error and malformed JSON', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    await expect(
      readJsonBody(openedStream(['{"id"'], { fail: reset }).opened),
    ).rejects.toBeInstanceOf(UpstreamUnavailableError)
    await expect(readJsonBody(openedStream(['[1,2]']).opened)).rejects.toBeInstanceOf(
      UpstreamBadResponseError,
    )
  })
})
