import type { Micros } from '../billing/index.js'
import type { Clock } from '../lib/clock.js'
import type { TokenUsage } from '../providers/index.js'

/** Spend and tokens of the current UTC calendar month, per budget scope (`org:…`, `key:…`). */
export interface MonthToDate {
  totals(scope: string): { tokens: bigint; spendMicros: Micros }
  add(
    caller: { organizationId: string; keyId: string },
    settled: { usage: TokenUsage; costMicros: Micros },
  ): void
}

const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7)

/**
 * Month-to-date totals kept by this process from the settlements it made, reset when the UTC
 * month turns. They start from zero when the process starts: until usage events are stored
 * (issue 8) a restart forgets the month so far, so monthly caps count from the start.
 */
export function createMonthToDate(clock: Clock): MonthToDate {
  let month = monthOf(clock.nowMs())
  let byScope = new Map<string, { tokens: bigint; spendMicros: Micros }>()
  const current = () => {
    const now = monthOf(clock.nowMs())
    if (now !== month) {
      month = now
      byScope = new Map()
    }
    return byScope
  }
  const ZERO = { tokens: 0n, spendMicros: 0n }
  return {
    totals: (scope) => current().get(scope) ?? ZERO,
    add: (caller, { usage, costMicros }) => {
      const scopes = current()
      const tokens = BigInt(usage.promptTokens + usage.completionTokens)
      for (const scope of [`org:${caller.organizationId}`, `key:${caller.keyId}`]) {
        const was = scopes.get(scope) ?? ZERO
        scopes.set(scope, {
          tokens: was.tokens + tokens,
          spendMicros: was.spendMicros + costMicros,
        })
      }
    },
  }
}
