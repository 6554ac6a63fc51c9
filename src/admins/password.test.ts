import { describe, expect, it } from 'vitest'
import { WeakPasswordError } from './admin-errors.js'
import { assertPasswordPolicy, hashPassword, verifyPassword } from './password.js'

describe('password hashing', () => {
  it('stores salted scrypt with its parameters and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery staple')
    const b = await hashPassword('correct horse battery staple')
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    expect(a).not.toBe(b)
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true)
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false)
    expect(await verifyPassword('anything', 'plain-text')).toBe(false)
  })

  it('refuses passwords shorter than 12 characters', () => {
    expect(() => assertPasswordPolicy('short')).toThrow(WeakPasswordError)
    expect(() => assertPasswordPolicy('twelve chars')).not.toThrow()
  })
})
