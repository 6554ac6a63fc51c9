import { describe, expect, it } from 'vitest'
import type { InvalidationMessage } from './cache-invalidation.js'
import { createLocalInvalidation } from './local-invalidation.js'
import { publishAfterCommit } from './publish-after-commit.js'

describe('publishAfterCommit', () => {
  it('publishes staged messages only after the work resolved', async () => {
    const invalidation = createLocalInvalidation()
    const received: InvalidationMessage[] = []
    invalidation.subscribe((m) => received.push(m))
    const result = await publishAfterCommit(invalidation, async (invalidate) => {
      invalidate({ kind: 'key', id: 'k1' })
      invalidate({ kind: 'key', id: 'k1' })
      await Promise.resolve()
      expect(received).toEqual([]) // still inside the transaction
      return 42
    })
    expect(result).toBe(42)
    expect(received).toEqual([{ kind: 'key', id: 'k1' }])
  })

  it('publishes nothing when the work throws (the transaction rolled back)', async () => {
    const invalidation = createLocalInvalidation()
    const received: InvalidationMessage[] = []
    invalidation.subscribe((m) => received.push(m))
    await expect(
      publishAfterCommit(invalidation, (invalidate) => {
        invalidate({ kind: 'organization', id: 'org_1' })
        return Promise.reject(new Error('constraint violated'))
      }),
    ).rejects.toThrow('constraint violated')
    expect(received).toEqual([])
  })
})
