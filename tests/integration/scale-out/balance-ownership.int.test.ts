import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BalancesOwnedElsewhereError,
  claimBalanceOwnership,
  type BalanceOwnership,
} from '../../../src/billing/index.js'
import type { HoldStrategy } from '../../../src/billing/balance-holds.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

/**
 * Issue #10, safety first: with `billing.holds: memory` a process's balance book is the
 * authority, so a second process on the same PostgreSQL balances would overspend. The
 * balances lock makes that a start-up error instead (ADR 0003).
 */
if (testDialects().includes('postgres')) {
  describe('postgres: the balances lock', () => {
    let testDb: TestDb
    let other: TestDb
    const held: BalanceOwnership[] = []
    const claim = async (strategy: HoldStrategy, db: TestDb = testDb) => {
      const ownership = await claimBalanceOwnership({
        dialect: 'postgres',
        connectionString: db.url,
        strategy,
      })
      held.push(ownership)
      return ownership
    }
    beforeAll(async () => {
      testDb = await createTestDb('postgres', { migrate: false })
      other = await createTestDb('postgres', { migrate: false })
    })
    afterAll(async () => {
      for (const ownership of held) await ownership.release()
      await testDb.destroy()
      await other.destroy()
    })

    it('refuses a second memory-strategy process with a message that says what to do', async () => {
      const first = await claim('memory')
      const second = claimBalanceOwnership({
        dialect: 'postgres',
        connectionString: testDb.url,
        strategy: 'memory',
      })
      await expect(second).rejects.toBeInstanceOf(BalancesOwnedElsewhereError)
      await expect(second).rejects.toThrow(/set billing\.holds: database/)
      // Nor may a database-strategy process join a memory owner.
      await expect(claim('database')).rejects.toBeInstanceOf(BalancesOwnedElsewhereError)
      // Another schema (another deployment) is not affected.
      await claim('memory', other)
      await first.release()
      // Released: the next process takes over.
      await (await claim('memory')).release()
    })

    it('lets any number of database-strategy processes share, and refuses memory beside them', async () => {
      const a = await claim('database')
      const b = await claim('database')
      await expect(claim('memory')).rejects.toThrow(/billing\.holds: memory owns|another Ferry/)
      await a.release()
      await b.release()
      await (await claim('memory')).release()
    })

    it('needs nothing on SQLite (one process by construction)', async () => {
      const ownership = await claimBalanceOwnership({
        dialect: 'sqlite',
        connectionString: undefined,
        strategy: 'memory',
      })
      await ownership.release()
    })
  })
}

describe('sqlite: the balances lock file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-balances-lock-'))
  const sqlitePath = join(dir, 'ferry.db')
  const held: BalanceOwnership[] = []
  const claim = async (strategy: HoldStrategy) => {
    const ownership = await claimBalanceOwnership({
      dialect: 'sqlite',
      connectionString: undefined,
      sqlitePath,
      strategy,
    })
    held.push(ownership)
    return ownership
  }
  afterAll(async () => {
    for (const ownership of held) await ownership.release()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses a second memory process and a database one beside it', async () => {
    const first = await claim('memory')
    // (Another process is named by its id: tests/e2e/sqlite-owner.e2e.test.ts.)
    await expect(claim('memory')).rejects.toThrow(/another Ferry process owns the balances/)
    await expect(claim('database')).rejects.toBeInstanceOf(BalancesOwnedElsewhereError)
    await first.release()
    await (await claim('memory')).release()
  })

  it('lets database processes share, and refuses a memory one beside them until the last stops', async () => {
    const a = await claim('database')
    const b = await claim('database')
    await expect(claim('memory')).rejects.toThrow(/billing\.holds: memory owns|another Ferry/)
    await a.release()
    await expect(claim('memory')).rejects.toBeInstanceOf(BalancesOwnedElsewhereError)
    await b.release()
    await (await claim('memory')).release()
  })
})
