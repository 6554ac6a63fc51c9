import { describe, expect, it } from 'vitest'
import { linkOfAction, priceTableRefs, routePolicyEvidence } from './evidence-document.js'

describe('evidence document parts', () => {
  it('reads the base table and an override from a usage event price label', () => {
    expect(priceTableRefs('3')).toEqual([{ scope: 'platform', organizationId: null, version: 3 }])
    expect(priceTableRefs('3+org_abc@2')).toEqual([
      { scope: 'platform', organizationId: null, version: 3 },
      { scope: 'org_abc', organizationId: 'org_abc', version: 2 },
    ])
    expect(priceTableRefs('not-a-version')).toEqual([])
  })

  it('says so for the implicit route policy (version 0), which has no content', () => {
    expect(routePolicyEvidence({ scope: 'implicit', version: '0' }, undefined)).toMatchObject({
      status: 'implicit',
      content: null,
      note: expect.stringContaining('implicit') as string,
    })
    expect(routePolicyEvidence({ scope: 'global', version: '9' }, undefined).status).toBe('missing')
  })

  it('links only the audit actions that adjust a request', () => {
    expect(linkOfAction('billing.refund')).toBe('refund')
    expect(linkOfAction('billing.approval_grant')).toBe('approval_grant')
    expect(linkOfAction('evidence.view')).toBeNull()
  })
})
