import { describe, expect, it } from 'vitest'
import { CommitOutcomeUnknownError, createGroupCommit } from './group-commit.js'

describe('group commit', () => {
  it('writes items submitted together in one batch and resolves each after the commit', async () => {
    const batches: number[][] = []
    let committed = false
    const gc = createGroupCommit<number, number>({
      maxDelayMs: 5,
      commit: async (items) => {
        batches.push([...items])
        await new Promise((r) => setTimeout(r, 5))
        committed = true
        return items.map((i) => i * 2)
      },
    })
    const results = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const r = await gc.submit(i)
        expect(committed).toBe(true)
        return r
      }),
    )
    expect(results).toEqual([2, 4, 6])
    expect(batches).toEqual([[1, 2, 3]])
  })

  it('rejects every item of a failed batch and keeps serving later ones', async () => {
    let fail = true
    const gc = createGroupCommit<number, number>({
      maxDelayMs: 1,
      commit: (items) => (fail ? Promise.reject(new Error('boom')) : Promise.resolve([...items])),
    })
    const outcomes = await Promise.allSettled([gc.submit(1), gc.submit(2)])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
    fail = false
    await expect(gc.submit(3)).resolves.toBe(3)
  })

  it('caps a batch at maxBatch and keeps one batch in flight at a time', async () => {
    const sizes: number[] = []
    let concurrent = 0
    let maxConcurrent = 0
    const gc = createGroupCommit<number, number>({
      maxBatch: 10,
      maxDelayMs: 1,
      commit: async (items) => {
        concurrent += 1
        maxConcurrent = Math.max(maxConcurrent, concurrent)
        sizes.push(items.length)
        await new Promise((r) => setTimeout(r, 2))
        concurrent -= 1
        return [...items]
      },
    })
    await Promise.all(Array.from({ length: 35 }, (_, i) => gc.submit(i)))
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(35)
    expect(maxConcurrent).toBe(1)
    await gc.flush()
    expect(gc.pending()).toBe(0)
  })

  it('starts the next transaction during a flush, and wakes callers only when their flush is done', async () => {
    const flushes: { items: number[]; done: () => void; fail: (err: Error) => void }[] = []
    let inTransaction = 0
    let maxInTransaction = 0
    const gc = createGroupCommit<number, number>({
      maxDelayMs: 1,
      commit: async (items) => {
        inTransaction += 1
        maxInTransaction = Math.max(maxInTransaction, inTransaction)
        await new Promise((r) => setTimeout(r, 1))
        inTransaction -= 1
        let done!: () => void
        let fail!: (err: Error) => void
        const durable = new Promise<void>((resolve, reject) => {
          done = resolve
          fail = reject
        })
        flushes.push({ items: [...items], done, fail })
        return { results: items.map((i) => i * 10), durable }
      },
    })
    const resolved: number[] = []
    const first = gc.submit(1).then((r) => resolved.push(r))
    await until(() => flushes.length === 1)
    // Batch 1 committed, its flush is still running: batch 2 commits meanwhile.
    const second = gc.submit(2).then((r) => resolved.push(r))
    const third = gc.submit(3).catch((err: Error) => err)
    await until(() => flushes.length === 2)
    expect(flushes.map((f) => f.items)).toEqual([[1], [2, 3]])
    expect(resolved).toEqual([])
    expect(gc.pending()).toBe(3)
    let flushed = false
    const flushAll = gc.flush().then(() => (flushed = true))
    flushes[1]!.fail(new Error('fdatasync failed'))
    await expect(third).resolves.toBeInstanceOf(CommitOutcomeUnknownError)
    expect(((await third) as Error).cause).toEqual(new Error('fdatasync failed'))
    await expect(second).rejects.toThrow('fdatasync failed')
    expect(resolved).toEqual([])
    expect(flushed).toBe(false)
    flushes[0]!.done()
    await first
    await flushAll
    expect(resolved).toEqual([10])
    expect(gc.pending()).toBe(0)
    expect(maxInTransaction).toBe(1)
  })
})

describe('group commit, a batch answered wrongly', () => {
  it('rejects its callers only after the flush, with the flush error when the flush failed too', async () => {
    let failFlush = false
    const gc = createGroupCommit<number, number>({
      maxDelayMs: 0,
      commit: (items) => {
        const durable = new Promise<void>((resolve, reject) =>
          setTimeout(() => (failFlush ? reject(new Error('fdatasync failed')) : resolve()), 5),
        )
        // One result short.
        return Promise.resolve({ results: items.slice(1), durable })
      },
    })
    await expect(gc.submit(1)).rejects.toThrow('result count mismatch')
    failFlush = true
    // Committed, not known durable: the outcome is unknown, not a plain failure.
    const flushFailed = gc.submit(2)
    await expect(flushFailed).rejects.toBeInstanceOf(CommitOutcomeUnknownError)
    await expect(flushFailed).rejects.toThrow('fdatasync failed')
    await gc.flush()
    expect(gc.pending()).toBe(0)
  })
})

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 2))
  if (!condition()) throw new Error('condition never held')
}
