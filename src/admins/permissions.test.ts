import { describe, expect, it } from 'vitest'
import {
  ADMIN_ROLES,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  effectivePermissions,
  tokenPermissions,
} from './permissions.js'

describe('permissions', () => {
  it('gives owner every permission and every role only registered permissions', () => {
    expect([...ROLE_PERMISSIONS.owner].sort()).toEqual([...PERMISSIONS].sort())
    for (const role of ADMIN_ROLES)
      for (const p of ROLE_PERMISSIONS[role]) expect(PERMISSIONS).toContain(p)
    expect(ROLE_PERMISSIONS.admin).not.toContain('settings.write')
    expect(ROLE_PERMISSIONS.viewer.every((p) => p.endsWith('.read'))).toBe(true)
  })

  it('adds grants and removes revocations, but never narrows an owner', () => {
    const support = effectivePermissions({
      role: 'support',
      overrides: [
        { permission: 'admins.read', effect: 'grant' },
        { permission: 'support_sessions.start', effect: 'revoke' },
      ],
    })
    expect(support.has('admins.read')).toBe(true)
    expect(support.has('support_sessions.start')).toBe(false)
    const owner = effectivePermissions({
      role: 'owner',
      overrides: [{ permission: 'settings.write', effect: 'revoke' }],
    })
    expect(owner.has('settings.write')).toBe(true)
  })

  it('limits a narrowed token to what its admin still holds', () => {
    const admin = effectivePermissions({ role: 'viewer', overrides: [] })
    expect([
      ...tokenPermissions({
        adminPermissions: admin,
        tokenPermissions: ['orgs.read', 'admins.write'],
      }),
    ]).toEqual(['orgs.read'])
    expect(tokenPermissions({ adminPermissions: admin, tokenPermissions: null })).toBe(admin)
  })
})
