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
  const start = new Date(`${month}-01T00:00:00.000Z`)
  const next = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
  const scopes = await sumUsageByScope(deps.db, {
    from: start.toISOString(),
    to: next.toISOString(),
  })
  return { month, scopes: scopes.length, seeded: deps.monthToDate.seed(month, scopes) }
}
