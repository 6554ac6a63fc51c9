import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { base64ToFloats, encodeEmbedding, floatsToBase64 } from './embedding-encoding.js'

describe('embedding encoding', () => {
  it('round-trips float32 vectors through base64 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true }), { maxLength: 64 }), (values) => {
        const f32 = values.map((v) => Math.fround(v))
        expect(base64ToFloats(floatsToBase64(f32))).toEqual(f32)
      }),
    )
  })

  it('matches what the official SDK decodes (little-endian float32)', () => {
    const encoded = floatsToBase64([1, -2.5])
    const view = new Float32Array(new Uint8Array(Buffer.from(encoded, 'base64')).buffer)
    expect([...view]).toEqual([1, -2.5])
  })

  it('converts to the requested encoding either way', () => {
    expect(encodeEmbedding([0.5], 'base64')).toBe(floatsToBase64([0.5]))
    expect(encodeEmbedding(floatsToBase64([0.5]), 'float')).toEqual([0.5])
    expect(encodeEmbedding([0.5], 'float')).toEqual([0.5])
  })
})
