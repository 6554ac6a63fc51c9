import { monthPeriod } from '../billing/index.js'
import type { Clock } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import { sumUsageByScope } from '../usage/index.js'
import { monthOf, type MonthToDate } from './month-to-date.js'

/**
 * Load this UTC month's spend and tokens per key and per organization from the usage events
 * into `monthToDate`, so monthly caps reached before a restart still hold after it. Run at start,
 * before the first request (main.ts): the seed replaces what the process counted so far.
 */
export async function seedMonthToDate(deps: {
  db: Db
  clock: Clock
  monthToDate: MonthToDate
}): Promise<{ month: string; scopes: number; seeded: boolean }> {
  const nowMs = deps.clock.nowMs()
  const month = monthOf(nowMs)
  const scopes = await sumUsageByScope(deps.db, monthPeriod(month))
  return { month, scopes: scopes.length, seeded: deps.monthToDate.seed(month, scopes) }
}
