import { describe, expect, it } from 'vitest'
import { openSecret, sealSecret } from './aead.js'

describe('aead', () => {
  const key = Buffer.alloc(32, 9)

  it('round-trips and refuses another context, another key or a flipped byte', () => {
    const sealed = sealSecret(key, { plaintext: 'JBSWY3DPEHPK3PXP', context: 'adm_1' })
    expect(sealed).toMatch(/^v1\./)
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP')
    expect(openSecret(key, { sealed, context: 'adm_1' })).toBe('JBSWY3DPEHPK3PXP')
    expect(() => openSecret(key, { sealed, context: 'adm_2' })).toThrow()
    expect(() => openSecret(Buffer.alloc(32, 8), { sealed, context: 'adm_1' })).toThrow()
    const parts = sealed.split('.')
    const flipped = [...parts.slice(0, 3), `A${parts[3]!.slice(1)}`].join('.')
    if (flipped !== sealed)
      expect(() => openSecret(key, { sealed: flipped, context: 'adm_1' })).toThrow()
  })
})
