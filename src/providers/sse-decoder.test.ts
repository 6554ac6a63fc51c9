import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SseDecoder, mapEventBatches, type SseEvent } from './sse-decoder.js'

const encoder = new TextEncoder()

function decodeAll(chunks: Uint8Array[]): SseEvent[] {
  const decoder = new SseDecoder()
  const events = chunks.flatMap((chunk) => decoder.push(chunk))
  return [...events, ...decoder.end()]
}

function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let last = 0
  for (const cut of [...cuts, bytes.length]) {
    parts.push(bytes.subarray(last, cut))
    last = cut
  }
  return parts
}

const event = (data: string, name: string | null = null, id: string | null = null): SseEvent => ({
  event: name,
  data,
  id,
})

describe('SseDecoder', () => {
  it('decodes data-only events and leaves [DONE] to the caller', () => {
    const bytes = encoder.encode('data: {"a":1}\n\ndata: [DONE]\n\n')
    expect(decodeAll([bytes])).toEqual([event('{"a":1}'), event('[DONE]')])
  })

  it('reads event names, as Anthropic sends them', () => {
    const bytes = encoder.encode(
      'event: message_start\ndata: {"type":"message_start"}\n\nevent: ping\ndata: {"type": "ping"}\n\n',
    )
    expect(decodeAll([bytes])).toEqual([
      event('{"type":"message_start"}', 'message_start'),
      event('{"type": "ping"}', 'ping'),
    ])
  })

  it('treats LF, CRLF and CR alike', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const bytes = encoder.encode(`event: x${eol}data: 1${eol}${eol}data: 2${eol}${eol}`)
      expect(decodeAll([bytes]), JSON.stringify(eol)).toEqual([event('1', 'x'), event('2')])
    }
  })

  it('skips comments and joins multi-line data with LF', () => {
    const bytes = encoder.encode(': keep-alive\n\ndata: line one\n: note\ndata: line two\n\n')
    expect(decodeAll([bytes])).toEqual([event('line one\nline two')])
  })

  it('removes only one leading space and keeps a value without one', () => {
    const bytes = encoder.encode('data:  two\n\ndata:none\n\ndata\n\n')
    expect(decodeAll([bytes])).toEqual([event(' two'), event('none'), event('')])
  })

  it('does not dispatch an event that has no data', () => {
    const bytes = encoder.encode('event: ping\n\nid: 7\n\ndata: x\n\n')
    expect(decodeAll([bytes])).toEqual([event('x', null, '7')])
  })

  it('keeps a multi-byte character split across chunks', () => {
    const bytes = encoder.encode('data: héllo 👋 wörld\n\n')
    const emoji = bytes.indexOf(0xf0)
    const parts = [
      bytes.subarray(0, emoji + 1),
      bytes.subarray(emoji + 1, emoji + 3),
      bytes.subarray(emoji + 3),
    ]
    expect(decodeAll(parts)).toEqual([event('héllo 👋 wörld')])
  })

  it('joins a CRLF split between two chunks into one line ending', () => {
    const parts = [
      encoder.encode('data: a\r'),
      encoder.encode('\n\r'),
      encoder.encode('\ndata: b\r\n\r\n'),
    ]
    expect(decodeAll(parts)).toEqual([event('a'), event('b')])
  })

  it('drops a leading byte-order mark', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('data: x\n\n')])
    expect(decodeAll([bytes])).toEqual([event('x')])
  })

  it('dispatches a final event whose blank line never came', () => {
    expect(decodeAll([encoder.encode('data: 1\n\ndata: [DONE]')])).toEqual([
      event('1'),
      event('[DONE]'),
    ])
  })

  const line = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
    fc.constantFrom('event: message_start', 'event: ping', ': comment', 'id: 1', 'data:', ''),
    fc.constantFrom('data: ünïcödé ✓ 日本語 🚀', 'data: {"type":"content_block_delta"}'),
  )

  it('gives the same events however the bytes are split (property)', () => {
    const eol = fc.constantFrom('\n', '\r\n', '\r')
    const stream = fc
      .array(fc.tuple(line, eol), { maxLength: 30 })
      .map((pairs) => pairs.map(([l, e]) => l + e).join(''))
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 20 }), (text, offsets) => {
        const bytes = encoder.encode(text)
        expect(decodeAll(splitAt(bytes, offsets))).toEqual(decodeAll([bytes]))
      }),
      { numRuns: 500 },
    )
  })

  it('reads LF-only streams (its fast path) exactly as the same stream with CRLF (property)', () => {
    const lines = fc.array(line, { maxLength: 30 })
    fc.assert(
      fc.property(lines, fc.array(fc.nat(), { maxLength: 20 }), (ls, offsets) => {
        const lf = encoder.encode(ls.map((l) => `${l}\n`).join(''))
        const crlf = encoder.encode(ls.map((l) => `${l}\r\n`).join(''))
        expect(decodeAll(splitAt(lf, offsets))).toEqual(decodeAll(splitAt(crlf, offsets)))
      }),
      { numRuns: 500 },
    )
  })
})

describe('mapEventBatches', () => {
  async function* batchesOf(batches: SseEvent[][]): AsyncGenerator<SseEvent[]> {
    for (const batch of batches) yield await Promise.resolve(batch)
  }

  it('maps each batch, leaves out empty ones, and stops a batch where the step says', async () => {
    const seen: string[][] = []
    const mapped = mapEventBatches<string>(
      batchesOf([
        [event('a'), event('skip'), event('b')],
        [event('skip')],
        [event('c'), event('stop'), event('d')],
      ]),
      (e, out) => {
        if (e.data === 'stop') return false
        if (e.data !== 'skip') out.push(e.data)
        return true
      },
    )
    for await (const batch of mapped) seen.push(batch)
    expect(seen).toEqual([['a', 'b'], ['c']])
  })

  it('hands over what a batch produced before a failing event, then throws', async () => {
    const seen: string[][] = []
    const mapped = mapEventBatches<string>(
      batchesOf([[event('a'), event('bad'), event('b')], [event('c')]]),
      (e, out) => {
        if (e.data === 'bad') throw new Error('malformed')
        out.push(e.data)
        return true
      },
    )
    await expect(
      (async () => {
        for await (const batch of mapped) seen.push(batch)
      })(),
    ).rejects.toThrow('malformed')
    expect(seen).toEqual([['a']])
  })
})
