import type { Migration } from 'kysely'
import * as m0001 from './0001-settings.js'
import * as m0002 from './0002-cache-invalidations.js'
import * as m0003 from './0003-audit.js'
import * as m0004 from './0004-admins.js'
import * as m0005 from './0005-organizations-and-keys.js'
import * as m0006 from './0006-audit-exports.js'
import * as m0007 from './0007-provider-accounts.js'
import * as m0008 from './0008-route-policies.js'
import * as m0009 from './0009-ledger.js'
import * as m0010 from './0010-pricing-and-budgets.js'
import * as m0011 from './0011-usage-events.js'
import * as m0012 from './0012-outbox.js'
import * as m0013 from './0013-request-logs.js'
import * as m0014 from './0014-job-leases.js'
import * as m0015 from './0015-budget-month-totals.js'
import * as m0016 from './0016-ledger-partial-indexes.js'
import * as m0017 from './0017-approval-environment-and-invoices.js'
import * as m0018 from './0018-ledger-account-grants.js'

/**
 * Every migration, in order. Listed in code (not read from a folder) so the same list runs from
 * `src/` under tsx and from `dist/`. Names never change once released.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-settings': m0001,
  '0002-cache-invalidations': m0002,
  '0003-audit': m0003,
  '0004-admins': m0004,
  '0005-organizations-and-keys': m0005,
  '0006-audit-exports': m0006,
  '0007-provider-accounts': m0007,
  '0008-route-policies': m0008,
  '0009-ledger': m0009,
  '0010-pricing-and-budgets': m0010,
  '0011-usage-events': m0011,
  '0012-outbox': m0012,
  '0013-request-logs': m0013,
  '0014-job-leases': m0014,
  '0015-budget-month-totals': m0015,
  '0016-ledger-partial-indexes': m0016,
  '0017-approval-environment-and-invoices': m0017,
  '0018-ledger-account-grants': m0018,
}
