import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog } from '../../../src/audit/index.js'
import { createBilling, type Billing } from '../../../src/billing/index.js'
import { CommitOutcomeUnknownError } from '../../../src/billing/group-commit.js'
import { commitRecords } from '../../../src/billing/settlement-writer.js'
import { startSettlementThread } from '../../../src/billing/settlement-thread.js'
import { createBillingFixture, fundLive, type BillingFixture } from '../../support/billing-setup.js'
import { usageDraft } from '../../support/usage-fixtures.js'

/**
 * The settlement thread (`ferry start` on a SQLite file, memory holds): the same batches as the
 * event loop's writer, written on a connection of the thread's own.
 */
describe('sqlite: settlements written on the settlement thread', () => {
  let fx: BillingFixture
  const running: Billing[] = []
  const failures: unknown[] = []
  const start = (path: string, usageOutbox = false) => {
    const billing = createBilling({
      db: fx.db,
      auditLog: createAuditLog({ db: fx.db, clock: fx.clock }),
      clock: fx.clock,
      settings: { holds: 'memory', approvalThresholdMicros: 10n ** 15n },
      settlementThread: { path, usageOutbox, onFailure: (err) => failures.push(err) },
    })
    running.push(billing)
    return billing
  }
  beforeAll(async () => {
    fx = await createBillingFixture('sqlite')
  })
  /** The request ids of an organization's usage events, in order. */
  const usageRequestIds = async (organizationId: string) =>
    (
      await fx.db
        .selectFrom('usage_events')
        .select('request_id')
        .where('organization_id', '=', organizationId)
        .orderBy('request_id')
        .execute()
    ).map((r) => r.request_id)
  afterAll(async () => {
    for (const billing of running) await billing.stop()
    await fx.destroy()
  })

  it('posts every settlement of a burst exactly once, with the balances and usage events the event loop would write', async () => {
    const billing = start(fx.testDb.location)
    const organizationId = await fx.createOrganization()
    await fundLive(billing, organizationId, 100_000n)
    // 200 requests at once: each holds 400 and is charged 1..200 micros.
    const entries = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const requestId = `req_thread_${i}`
        const hold = await billing.holds.place({
          organizationId,
          environment: 'live',
          amountMicros: 400n,
          requestId,
        })
        if (!hold.ok) throw new Error('hold refused')
        return billing.holds.settle({
          hold,
          outcome: 'completed',
          costMicros: BigInt(i + 1),
          usage: usageDraft({ organizationId, requestId, heldMicros: 400n }),
        })
      }),
    )
    const charged = (200n * 201n) / 2n
    expect(failures).toEqual([])
    expect(entries.map((e) => e?.amountMicros)).toEqual(
      Array.from({ length: 200 }, (_, i) => -BigInt(i + 1)),
    )
    const rows = await fx.db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('kind', '=', 'usage_charge')
      .orderBy('account_version')
      .execute()
    expect(rows).toHaveLength(200)
    // Balance after each entry: the credit minus every charge up to it, in commit order.
    let balance = 100_000n
    for (const row of rows) {
      balance += row.amount_micros
      expect(row.balance_after_micros).toBe(balance)
    }
    expect(balance).toBe(100_000n - charged)
    // What each caller was answered is the row that was written.
    const byId = new Map(rows.map((r) => [r.entry_id, r]))
    for (const entry of entries)
      expect(byId.get(entry!.entryId)?.amount_micros).toBe(entry!.amountMicros)
    const account = (await billing.ledger.balance(organizationId)).accounts.find(
      (a) => a.environment === 'live',
    )!
    expect(account.balanceMicros).toBe(100_000n - charged)
    expect(account.heldMicros).toBe(0n)
    const usage = await fx.db
      .selectFrom('usage_events')
      .select(['request_id', 'ledger_entry_id', 'cost_micros'])
      .where('organization_id', '=', organizationId)
      .execute()
    expect(usage).toHaveLength(200)
    for (const event of usage) {
      const entry = byId.get(event.ledger_entry_id!)
      expect(entry?.request_id).toBe(event.request_id)
      expect(event.cost_micros).toBe(-entry!.amount_micros)
    }
  })

  it('enqueues usage events for the webhook in the same transaction when asked', async () => {
    const billing = start(fx.testDb.location, true)
    const organizationId = await fx.createOrganization()
    await billing.recordUsage(usageDraft({ organizationId, requestId: 'req_thread_outbox' }))
    const usage = await fx.db
      .selectFrom('usage_events')
      .select('usage_id')
      .where('request_id', '=', 'req_thread_outbox')
      .executeTakeFirstOrThrow()
    const queued = await fx.db
      .selectFrom('outbox_events')
      .select(['topic', 'event_id'])
      .where('event_id', '=', usage.usage_id)
      .execute()
    expect(queued).toEqual([{ topic: 'usage', event_id: usage.usage_id }])
  })

  it('writes on the event loop when the thread cannot open the database, and says so once', async () => {
    const before = failures.length
    // A directory is not a database file: the thread fails at start.
    const billing = start(mkdtempSync(join(tmpdir(), 'ferry-not-a-db-')))
    const organizationId = await fx.createOrganization()
    await billing.recordUsage(usageDraft({ organizationId, requestId: 'req_after_failure_1' }))
    await billing.recordUsage(usageDraft({ organizationId, requestId: 'req_after_failure_2' }))
    expect(await usageRequestIds(organizationId)).toEqual([
      'req_after_failure_1',
      'req_after_failure_2',
    ])
    expect(failures.length).toBe(before + 1)
  })

  it('writes everything submitted before stop() returns', async () => {
    const billing = start(fx.testDb.location)
    const organizationId = await fx.createOrganization()
    const submitted = Array.from({ length: 50 }, (_, i) =>
      billing.recordUsage(usageDraft({ organizationId, requestId: `req_before_stop_${i}` })),
    )
    await billing.stop()
    await Promise.all(submitted)
    const count = await fx.db
      .selectFrom('usage_events')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(50)
  })

  it('fails a batch in flight when the thread is lost with its outcome unknown, and writes later ones on the event loop', async () => {
    const organizationId = await fx.createOrganization()
    const lost: unknown[] = []
    const thread = startSettlementThread({
      path: fx.testDb.location,
      usageOutbox: false,
      maxDelayMs: 0,
      fallback: (records) => commitRecords({ db: fx.db, clock: fx.clock }, records),
      onFailure: (err) => lost.push(err),
    })
    const record = (requestId: string) => ({
      settlement: null,
      usage: usageDraft({ organizationId, requestId }),
    })
    // Answered: the thread is up and has written.
    await thread.writer.submit(record('req_before_loss'))
    const inFlight = thread.writer.submit(record('req_in_flight'))
    await new Promise((resolve) => setImmediate(resolve))
    await thread.terminate()
    const err = await inFlight.then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(CommitOutcomeUnknownError)
    expect(lost).toHaveLength(1)
    await thread.writer.submit(record('req_after_loss'))
    await thread.close()
    // Whether the lost batch committed is unknown; the ones either side of it are there.
    expect(await usageRequestIds(organizationId)).toEqual(
      expect.arrayContaining(['req_after_loss', 'req_before_loss']),
    )
  })
})
