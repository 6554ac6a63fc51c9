import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb } from './create-db.js'
import type { DatabaseHandle } from './database.js'
import { migrateToLatest } from './migrate.js'
import { takeWriteLock } from './write-lock.js'

describe('sqlite: takeWriteLock', () => {
  let dir: string
  let handle: DatabaseHandle
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-write-lock-'))
    handle = createDb({ url: `sqlite:${join(dir, 'ferry.db')}`, dataDir: dir })
    await migrateToLatest(handle.db)
  })
  afterAll(async () => {
    await handle.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('holds the write lock from its first statement, and leaves the database as it was', async () => {
    const other = new Database(join(dir, 'ferry.db'), { timeout: 0 })
    try {
      const before = other.prepare('select * from settings order by name').all()
      const versionBefore = other.pragma('data_version', { simple: true }) as number
      let othersWrite: string | null = null
      await handle.db.transaction().execute(async (tx) => {
        await takeWriteLock(tx)
        try {
          other.exec('BEGIN IMMEDIATE')
          other.exec('ROLLBACK')
          othersWrite = 'allowed'
        } catch (err) {
          othersWrite = (err as { code?: string }).code ?? 'failed'
        }
      })
      expect(othersWrite).toBe('SQLITE_BUSY')
      expect(other.prepare('select * from settings order by name').all()).toEqual(before)
      // Nothing was committed: another connection sees no change at all.
      expect(other.pragma('data_version', { simple: true })).toBe(versionBefore)
    } finally {
      other.close()
    }
  })
})
