import { describe, expect, it } from 'vitest'
import {
  SETTLEMENT_OUTCOMES,
  SETTLEMENT_RULES_VERSION,
  decideSettlement,
} from './settlement-rules.js'

describe('decideSettlement', () => {
  it('charges nothing and writes nothing for a request rejected before dispatch', () => {
    expect(decideSettlement({ outcome: 'rejected_pre_dispatch', costMicros: 500n })).toEqual({
      rule: `no_charge_rejected_pre_dispatch@${SETTLEMENT_RULES_VERSION}`,
      entry: 'none',
      chargeMicros: 0n,
      waivedMicros: 0n,
    })
  })

  it('waives an upstream failure that delivered nothing, with an explicit waiver', () => {
    const d = decideSettlement({
      outcome: 'upstream_failed_no_output',
      costMicros: 0n,
      inputCostMicros: 40n,
    })
    expect(d).toMatchObject({ entry: 'waiver', chargeMicros: 0n, waivedMicros: 40n })
  })

  it('charges a client abort what was delivered, and at least the input', () => {
    expect(
      decideSettlement({ outcome: 'client_aborted', costMicros: 10n, inputCostMicros: 40n }),
    ).toMatchObject({ entry: 'charge', chargeMicros: 40n })
    expect(
      decideSettlement({ outcome: 'client_aborted', costMicros: 90n, inputCostMicros: 40n }),
    ).toMatchObject({ entry: 'charge', chargeMicros: 90n })
  })

  it('charges delivered tokens for a mid-stream upstream failure and reported usage on completion', () => {
    expect(
      decideSettlement({
        outcome: 'upstream_failed_partial',
        costMicros: 70n,
        inputCostMicros: 40n,
      }),
    ).toMatchObject({ entry: 'charge', chargeMicros: 70n, rule: 'charge_delivered@1' })
    expect(decideSettlement({ outcome: 'completed', costMicros: 123n })).toMatchObject({
      entry: 'charge',
      chargeMicros: 123n,
      rule: 'charge_reported_usage@1',
    })
  })

  it('has a versioned rule for every outcome and refuses negative costs', () => {
    for (const outcome of SETTLEMENT_OUTCOMES)
      expect(decideSettlement({ outcome, costMicros: 1n }).rule).toMatch(/@1$/)
    expect(() => decideSettlement({ outcome: 'completed', costMicros: -1n })).toThrow(RangeError)
  })
})
