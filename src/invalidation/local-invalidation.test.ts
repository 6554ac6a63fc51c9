import { describe, expect, it, vi } from 'vitest'
import type { InvalidationMessage } from './cache-invalidation.js'
import { createLocalInvalidation } from './local-invalidation.js'

describe('local invalidation', () => {
  it('delivers to every subscriber before publish resolves', async () => {
    const invalidation = createLocalInvalidation()
    const a: InvalidationMessage[] = []
    const b: InvalidationMessage[] = []
    invalidation.subscribe((m) => a.push(m))
    invalidation.subscribe((m) => b.push(m))
    await invalidation.publish({ kind: 'key', id: 'k1' })
    expect(a).toEqual([{ kind: 'key', id: 'k1' }])
    expect(b).toEqual(a)
  })

  it('stops delivering after unsubscribe', async () => {
    const invalidation = createLocalInvalidation()
    const handler = vi.fn()
    const unsubscribe = invalidation.subscribe(handler)
    unsubscribe()
    await invalidation.publish({ kind: 'all' })
    expect(handler).not.toHaveBeenCalled()
  })

  it('reports a failing subscriber and still delivers to the others', async () => {
    const onError = vi.fn()
    const invalidation = createLocalInvalidation({ onError })
    const handler = vi.fn()
    invalidation.subscribe(() => {
      throw new Error('boom')
    })
    invalidation.subscribe(handler)
    await invalidation.publish({ kind: 'organization', id: 'org_1' })
    expect(handler).toHaveBeenCalledOnce()
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'boom' }))
  })

  it('rejects a malformed message', async () => {
    const invalidation = createLocalInvalidation()
    await expect(
      invalidation.publish({ kind: 'key' } as unknown as InvalidationMessage),
    ).rejects.toThrow(TypeError)
  })
})
