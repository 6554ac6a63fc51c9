import { monthPeriod, type Micros } from '../billing/index.js'
import type { Clock } from '../lib/clock.js'
import type { TokenUsage } from '../providers/index.js'
import type { ScopeUsage } from '../usage/index.js'

/** Spend and tokens of the current UTC calendar month, per budget scope (`org:…`, `key:…`). */
export interface MonthToDate {
  totals(scope: string): { tokens: bigint; spendMicros: Micros }
  add(
    caller: { organizationId: string; keyId: string },
    settled: { usage: TokenUsage; costMicros: Micros },
  ): void
  /**
   * Replace the totals of `month` (`YYYY-MM`, UTC) by what the usage events stored for it, so a
   * restart does not forget the month so far. Ignored (returns false) when `month` is no longer
   * the current month: the seed was read across a month's end and the new month starts at zero.
   */
  seed(month: string, scopes: readonly ScopeUsage[]): boolean
}

function periodMs(month: string): { fromMs: number; toMs: number } {
  const { from, to } = monthPeriod(month)
  return { fromMs: Date.parse(from), toMs: Date.parse(to) }
}

/** The UTC calendar month (`YYYY-MM`) of an instant. */
export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7)

/**
 * Month-to-date totals kept by this process, reset when the UTC month turns: seeded at start
 * from the month's stored usage events (seedMonthToDate), then counted from the settlements this
 * process makes. Several gateway processes each count their own settlements after the seed.
 */
export function createMonthToDate(clock: Clock): MonthToDate {
  let month = monthOf(clock.nowMs())
  let byScope = new Map<string, { tokens: bigint; spendMicros: Micros }>()
  // Every request asks for the current month: compare the time with the month's bounds instead
  // of formatting a date each time (it showed in profiles). Outside them (the month turned, or a
  // test clock went back) the month and its bounds are worked out again.
  let period = periodMs(month)
  const current = () => {
    const nowMs = clock.nowMs()
    if (nowMs >= period.fromMs && nowMs < period.toMs) return byScope
    // Outside the current month's bounds is another month: its totals start from zero.
    month = monthOf(nowMs)
    period = periodMs(month)
    byScope = new Map()
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
    seed: (seededMonth, scopes) => {
      current()
      if (seededMonth !== month) return false
      byScope = new Map(
        scopes.map((s) => [s.scope, { tokens: s.tokens, spendMicros: s.spendMicros }]),
      )
      return true
    },
  }
}
