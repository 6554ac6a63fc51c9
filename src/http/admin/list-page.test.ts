import { describe, expect, it } from 'vitest'
import { toListPage } from './list-page.js'

describe('toListPage', () => {
  const cursorOf = (n: number) => `c${n}`
  it('keeps limit rows and points past the last when one more was fetched', () => {
    expect(toListPage([1, 2, 3], { limit: 2, cursorOf })).toEqual({
      object: 'list',
      data: [1, 2],
      hasMore: true,
      nextCursor: 'c2',
    })
  })
  it('ends the listing when no extra row came back', () => {
    expect(toListPage([1, 2], { limit: 2, cursorOf })).toEqual({
      object: 'list',
      data: [1, 2],
      hasMore: false,
      nextCursor: null,
    })
    expect(toListPage([], { limit: 2, cursorOf })).toEqual({
      object: 'list',
      data: [],
      hasMore: false,
      nextCursor: null,
    })
  })
})
