import { describe, expect, it } from 'vitest'
import { ADMIN_ROUTES } from './admin-routes.js'

describe('the admin route catalogue', () => {
  it('declares in `records` every action a read-only route says it records', () => {
    // The summary (the OpenAPI document's) names it for readers; `records` is what the route
    // applies its reason rule and denial trace to. They must not drift apart.
    const drift = ADMIN_ROUTES.filter((route) => route.action === null).flatMap((route) => {
      const named = /records ([a-z_]+\.[a-z_]+)/.exec(route.summary)?.[1] ?? null
      return named === route.records
        ? []
        : [`${route.method} ${route.url}: ${named} / ${route.records}`]
    })
    expect(drift).toEqual([])
  })
})
