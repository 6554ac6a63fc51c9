import { sql, type Compilable } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dueCreditsQuery } from '../../../src/billing/credit-expiry.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * The ledger's partial indexes (migration 0016) serve the queries they were made for: the credit
 * expiry job reads only expiring credits, and lookups of the entries that correct an entry use
 * the index that leaves out the usage charges (which name none).
 */
for (const dialect of testDialects()) {
  describe(`${dialect}: ledger indexes`, () => {
    let testDb: TestDb
    beforeAll(async () => {
      testDb = await createTestDb(dialect)
    })
    afterAll(() => testDb.destroy())

    /** The query plan as text. PostgreSQL would scan an empty table anyway: forbid it to. */
    async function planOf(query: Compilable): Promise<string> {
      const { sql: text, parameters } = query.compile()
      return testDb.db.transaction().execute(async (trx) => {
        if (dialect === 'postgres') {
          await sql`SET LOCAL enable_seqscan = off`.execute(trx)
          const rows = await sql
            .raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${inline(text, parameters)}`)
            .execute(trx)
          return rows.rows.map((r) => r['QUERY PLAN']).join('\n')
        }
        const rows = await sql
          .raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${inline(text, parameters)}`)
          .execute(trx)
        return rows.rows.map((r) => r.detail).join('\n')
      })
    }

    it('the credit expiry job reads expiring credits through ledger_entries_expiring', async () => {
      const plan = await planOf(dueCreditsQuery(testDb.db, '2026-12-01T00:00:00.000Z'))
      expect(plan).toContain('ledger_entries_expiring')
    })

    it('corrections of an entry are found through the partial ledger_entries_original', async () => {
      const plan = await planOf(
        testDb.db
          .selectFrom('ledger_entries')
          .selectAll()
          .where('original_entry_id', '=', 'le_00000000000000000000000000'),
      )
      expect(plan).toContain('ledger_entries_original')
    })
  })
}

/** EXPLAIN takes no bound parameters on PostgreSQL: the test's own literals, quoted inline. */
function inline(text: string, parameters: readonly unknown[]): string {
  const literal = (value: unknown) => `'${String(value).replaceAll("'", "''")}'`
  let index = 0
  return text.replace(/\$\d+|\?/g, () => literal(parameters[index++]))
}
