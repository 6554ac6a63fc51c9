import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { detectCrossings } from './threshold-crossings.js'

const thresholds = { warnBelowMicros: 1_000n, downgradeBelowMicros: 500n, blockBelowMicros: null }

describe('detectCrossings', () => {
  it('reports each threshold passed, down and up, and nothing for a move on one side', () => {
    expect(detectCrossings({ previousMicros: 2_000n, nextMicros: 400n, thresholds })).toEqual([
      { threshold: 'warn', direction: 'down', thresholdMicros: 1_000n },
      { threshold: 'downgrade', direction: 'down', thresholdMicros: 500n },
    ])
    expect(detectCrossings({ previousMicros: 999n, nextMicros: 1_000n, thresholds })).toEqual([
      { threshold: 'warn', direction: 'up', thresholdMicros: 1_000n },
    ])
    expect(detectCrossings({ previousMicros: 1_000n, nextMicros: 1_500n, thresholds })).toEqual([])
    expect(detectCrossings({ previousMicros: 600n, nextMicros: 501n, thresholds })).toEqual([])
  })

  it('yields one crossing per passage for a balance flapping around a threshold', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2_000n }), { minLength: 2 }), (walk) => {
        let crossings = 0
        let passages = 0
        for (let i = 1; i < walk.length; i++) {
          crossings += detectCrossings({
            previousMicros: walk[i - 1]!,
            nextMicros: walk[i]!,
            thresholds: {
              warnBelowMicros: 1_000n,
              downgradeBelowMicros: null,
              blockBelowMicros: null,
            },
          }).length
          if (walk[i - 1]! < 1_000n !== walk[i]! < 1_000n) passages += 1
        }
        expect(crossings).toBe(passages)
      }),
    )
  })
})
