import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { meterStream, type StreamItemReader } from './metered-stream.js'
import type { UpstreamContext } from './upstream-context.js'

interface Item {
  text: string
}

const reader: StreamItemReader<Item> = { usageOf: () => null, textOf: (item) => item.text }

/** A meter over `batches`, with a token counter that records every text it is given. */
function metered(batches: Item[][]) {
  const counted: string[] = []
  const ctx = {
    signal: new AbortController().signal,
    clock: { nowMs: () => 0 },
  } as unknown as UpstreamContext
  const stream = meterStream({
    batches: reads(batches),
    upstream: { status: 200, requestId: null, ttfbMs: 0 },
    clientWantsUsage: false,
    ctx,
    startedAtMs: 0,
    reader,
    estimatePromptTokens: () => 0,
    // One token per character: the count of pieces then adds up exactly.
    countTokens: (text) => {
      counted.push(text)
      return text.length
    },
  })
  return { stream, counted }
}

/** The batches as an upstream hands them over, one read at a time. */
async function* reads(batches: Item[][]): AsyncGenerator<Item[]> {
  for (const batch of batches) {
    await Promise.resolve()
    yield batch
  }
}

describe('meterStream: delivered output while the stream runs', () => {
  it('counts each piece of text once however often it is asked, and the whole text at the end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.string({ maxLength: 8 }).map((text) => ({ text })),
            { minLength: 1 },
          ),
          {
            maxLength: 12,
          },
        ),
        fc.integer({ min: 1, max: 4 }),
        async (batches, asksPerBatch) => {
          const { stream, counted } = metered(batches)
          const seen: string[] = []
          let countedWhileRunning = ''
          for await (const batch of stream.batches()) {
            for (const item of batch) seen.push(item.text)
            for (let i = 0; i < asksPerBatch; i++)
              expect(stream.deliveredOutputTokens()).toBe(seen.join('').length)
            countedWhileRunning = counted.join('')
          }
          const text = seen.join('')
          // Every character went to the counter exactly once while the stream ran...
          expect(countedWhileRunning).toBe(text)
          // ...and the settlement's count is of the whole text.
          expect(stream.outcome().usage.completionTokens).toBe(text.length)
          expect(counted.at(-1)).toBe(text)
        },
      ),
    )
  })
})
