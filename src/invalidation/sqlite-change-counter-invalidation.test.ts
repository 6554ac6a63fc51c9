import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createManualClock, systemClock } from '../lib/clock.js'
import { PostgresAdapter } from 'kysely'
import { createDb, migrateToLatest, type DatabaseHandle, type Db } from '../storage/index.js'
import type { InvalidationMessage } from './cache-invalidation.js'
import { createSqliteChangeCounterInvalidation } from './sqlite-change-counter-invalidation.js'

/** Resolves when `received` has `count` messages, failing after `withinMs`. */
async function waitFor(received: unknown[], count: number, withinMs = 1_000): Promise<void> {
  const deadline = Date.now() + withinMs
  while (received.length < count) {
    if (Date.now() > deadline)
      throw new Error(`got ${received.length} of ${count} in ${withinMs}ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('sqlite-change-counter invalidation', () => {
  let dir: string
  let gateway: DatabaseHandle
  let cli: DatabaseHandle

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-invalidation-'))
    const url = `sqlite:${join(dir, 'ferry.db')}`
    gateway = createDb({ url, dataDir: dir })
    await migrateToLatest(gateway.db)
    // A second connection to the same file, as the CLI process would open.
    cli = createDb({ url, dataDir: dir })
  })

  afterEach(async () => {
    await gateway.close()
    await cli.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows a change made by another process within one poll interval', async () => {
    const listening = createSqliteChangeCounterInvalidation({
      db: gateway.db,
      clock: systemClock,
      pollIntervalMs: 50,
    })
    const publisher = createSqliteChangeCounterInvalidation({ db: cli.db, clock: systemClock })
    const received: InvalidationMessage[] = []
    listening.subscribe((m) => received.push(m))
    await listening.ready()
    await publisher.publish({ kind: 'key', id: 'k1' })
    await publisher.publish({ kind: 'all' })
    await waitFor(received, 2, 500)
    expect(received).toEqual([{ kind: 'key', id: 'k1' }, { kind: 'all' }])
    await listening.close()
    await publisher.close()
  })

  it('does not replay changes made before it started, nor its own', async () => {
    const publisher = createSqliteChangeCounterInvalidation({ db: cli.db, clock: systemClock })
    await publisher.publish({ kind: 'key', id: 'old' })
    const listening = createSqliteChangeCounterInvalidation({
      db: gateway.db,
      clock: systemClock,
      pollIntervalMs: 20,
    })
    const received: InvalidationMessage[] = []
    listening.subscribe((m) => received.push(m))
    await listening.ready()
    await listening.publish({ kind: 'key', id: 'mine' })
    await publisher.publish({ kind: 'key', id: 'new' })
    await waitFor(received, 2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received).toEqual([
      { kind: 'key', id: 'mine' },
      { kind: 'key', id: 'new' },
    ])
    await listening.close()
  })

  it('drops every cache when rows it had not seen were pruned', async () => {
    const listening = createSqliteChangeCounterInvalidation({
      db: gateway.db,
      clock: systemClock,
      pollIntervalMs: 400,
    })
    const received: InvalidationMessage[] = []
    listening.subscribe((m) => received.push(m))
    await listening.ready()
    // Between two polls: a change arrives and is pruned (as after a suspended process), then another.
    const publisher = createSqliteChangeCounterInvalidation({ db: cli.db, clock: systemClock })
    await publisher.publish({ kind: 'key', id: 'pruned' })
    await cli.db.deleteFrom('cache_invalidations').execute()
    await publisher.publish({ kind: 'key', id: 'kept' })
    await waitFor(received, 1)
    expect(received).toEqual([{ kind: 'all' }])
    await listening.close()
  })

  it('drops every cache instead of replaying a large backlog', async () => {
    const listening = createSqliteChangeCounterInvalidation({
      db: gateway.db,
      clock: systemClock,
      pollIntervalMs: 400,
    })
    const received: InvalidationMessage[] = []
    listening.subscribe((m) => received.push(m))
    await listening.ready()
    const rows = Array.from({ length: 600 }, (_, i) => ({
      kind: 'key',
      target_id: `k${i}`,
      origin_id: 'cli',
      created_at: new Date().toISOString(),
    }))
    await cli.db.insertInto('cache_invalidations').values(rows).execute()
    await waitFor(received, 1)
    await new Promise((resolve) => setTimeout(resolve, 450))
    expect(received).toEqual([{ kind: 'all' }])
    await listening.close()
  })

  it('prunes changes older than the retention', async () => {
    const clock = createManualClock()
    const publisher = createSqliteChangeCounterInvalidation({
      db: cli.db,
      clock,
      pollIntervalMs: 20,
      retentionMs: 1_000,
    })
    await publisher.publish({ kind: 'key', id: 'old' })
    clock.advance(2_000)
    await publisher.publish({ kind: 'key', id: 'recent' })
    await publisher.ready() // polling instances prune
    await new Promise((resolve) => setTimeout(resolve, 60))
    const rows = await cli.db.selectFrom('cache_invalidations').select('target_id').execute()
    expect(rows).toEqual([{ target_id: 'recent' }])
    await publisher.close()
  })

  it('runs only on SQLite', () => {
    expect(() =>
      createSqliteChangeCounterInvalidation({
        db: { getExecutor: () => ({ adapter: new PostgresAdapter() }) } as unknown as Db,
        clock: systemClock,
      }),
    ).toThrow(TypeError)
  })

  it('reports a failing poll and keeps polling', async () => {
    const onError = vi.fn()
    const listening = createSqliteChangeCounterInvalidation({
      db: gateway.db,
      clock: systemClock,
      pollIntervalMs: 20,
      onError,
    })
    listening.subscribe(() => undefined)
    await listening.ready()
    await gateway.db.schema.alterTable('cache_invalidations').renameTo('moved').execute()
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(onError).toHaveBeenCalled()
    await gateway.db.schema.alterTable('moved').renameTo('cache_invalidations').execute()
    const received: InvalidationMessage[] = []
    listening.subscribe((m) => received.push(m))
    await createSqliteChangeCounterInvalidation({ db: cli.db, clock: systemClock }).publish({
      kind: 'key',
      id: 'after',
    })
    await waitFor(received, 1)
    expect(received).toEqual([{ kind: 'key', id: 'after' }])
    await listening.close()
  })
})
