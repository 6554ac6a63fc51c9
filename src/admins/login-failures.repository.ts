import { toIsoTimestamp } from '../lib/clock.js'
import type { Db } from '../storage/index.js'
import type { ThrottleState } from './login-throttle.js'

/** Backoff state for some throttle keys, keyed by throttle key. */
export async function findLoginFailures(
  db: Db,
  keys: readonly string[],
): Promise<Map<string, ThrottleState>> {
  const rows = await db
    .selectFrom('admin_login_failures')
    .selectAll()
    .where('throttle_key', 'in', keys)
    .execute()
  return new Map(
    rows.map((row) => [
      row.throttle_key,
      {
        failures: Number(row.failures),
        lastFailureMs: Date.parse(row.last_failure_at),
        lockedUntilMs: row.locked_until === null ? null : Date.parse(row.locked_until),
      },
    ]),
  )
}

export async function saveLoginFailures(
  db: Db,
  entry: { key: string; state: ThrottleState },
): Promise<void> {
  const values = {
    failures: BigInt(entry.state.failures),
    last_failure_at: toIsoTimestamp(entry.state.lastFailureMs),
    locked_until:
      entry.state.lockedUntilMs === null ? null : toIsoTimestamp(entry.state.lockedUntilMs),
  }
  await db
    .insertInto('admin_login_failures')
    .values({ throttle_key: entry.key, ...values })
    .onConflict((oc) => oc.column('throttle_key').doUpdateSet(values))
    .execute()
}

export async function clearLoginFailures(db: Db, key: string): Promise<void> {
  await db.deleteFrom('admin_login_failures').where('throttle_key', '=', key).execute()
}
