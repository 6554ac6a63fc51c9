import { describe, expect, it } from 'vitest'
import { formatDecimalAmount } from '../billing/money.js'
import {
  USAGE_CSV_COLUMNS,
  csvCell,
  csvLine,
  microsToDecimal,
  usageCsvHeader,
} from './usage-csv.js'

describe('usage CSV cells', () => {
  it('neutralises cells a spreadsheet would run as a formula', () => {
    for (const text of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx'])
      expect(csvCell(text).replace(/^"|"$/g, '')).toMatch(/^'/)
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
  })

  it('leaves numbers, negatives included, and ordinary text alone', () => {
    expect(csvCell(-20n)).toBe('-20')
    expect(csvCell('-1.500000')).toBe('-1.500000')
    expect(csvCell(42)).toBe('42')
    expect(csvCell('gpt-4o-mini')).toBe('gpt-4o-mini')
    expect(csvCell(null)).toBe('')
    expect(csvCell(true)).toBe('true')
  })

  it('quotes commas, quotes and line breaks per RFC 4180 and ends lines with CRLF', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
    expect(csvLine(['a', null, 1n])).toBe('a,,1\r\n')
  })

  it('writes decimals exactly as billing does', () => {
    for (const micros of [0n, 1n, 999_999n, 1_000_000n, 12_500_000n, -20n, 10n ** 20n + 7n])
      expect(microsToDecimal(micros)).toBe(formatDecimalAmount(micros))
  })

  it('keeps the v1 header stable', () => {
    expect(usageCsvHeader()).toBe(`${USAGE_CSV_COLUMNS.join(',')}\r\n`)
    // v1 is frozen: a change here is a new export version (docs/usage-export.md).
    expect(USAGE_CSV_COLUMNS.join(',')).toBe(
      'usage_id,request_id,created_at,started_at,organization_id,environment,key_id,key_label,endpoint,model_requested,model_served,provider,provider_account_id,route_policy_scope,route_policy_version,route,fallback_reason,downgrade_reason,budget_policy_id,budget_policy_version,budget_decision,budget_reason,price_table_version,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,prompt_tokens_source,completion_tokens_source,currency,cost_micros,cost,refunded_micros,refunded,net_cost_micros,refund_state,held_micros,waived_micros,ledger_entry_id,settlement_outcome,settlement_rule,http_status,upstream_status,error_code,attempts,latency_ms,upstream_ttfb_ms,stream,stream_outcome,chunks_delivered',
    )
    expect(new Set(USAGE_CSV_COLUMNS).size).toBe(USAGE_CSV_COLUMNS.length)
  })
})
