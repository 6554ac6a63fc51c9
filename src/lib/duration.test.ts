import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.js'

describe('parseDuration', () => {
  it('reads operator durations', () => {
    expect(parseDuration('0')).toBe(0)
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('24h')).toBe(86_400_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('90d')).toBe(90 * 86_400_000)
  })
  it('refuses anything else', () => {
    for (const bad of ['', '24', 'h', '1.5h', '-1h', '1 h', '1y'])
      expect(parseDuration(bad)).toBeUndefined()
  })
})
