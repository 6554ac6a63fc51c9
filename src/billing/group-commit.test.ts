import { describe, expect, it } from 'vitest'
import { createGroupCommit } from './group-commit.js'

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
})
