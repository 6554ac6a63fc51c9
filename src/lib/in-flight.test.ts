import { describe, expect, it } from 'vitest'
import { createInFlight } from './in-flight.js'

describe('in-flight work', () => {
  it('drains what is running, including work tracked while draining, and ignores failures', async () => {
    const inFlight = createInFlight()
    const done: string[] = []
    const later = (ms: number, name: string, fail = false) =>
      new Promise<string>((resolve, reject) =>
        setTimeout(() => {
          done.push(name)
          if (fail) reject(new Error(name))
          else resolve(name)
        }, ms),
      )
    await expect(inFlight.track(later(5, 'first'))).resolves.toBe('first')
    expect(inFlight.size).toBe(0)
    inFlight.track(later(5, 'failed', true)).catch(() => undefined)
    const first = inFlight.track(later(10, 'slow'))
    expect(inFlight.size).toBe(2)
    void first.then(() => inFlight.track(later(5, 'after')))
    await inFlight.drain()
    expect(done).toEqual(['first', 'failed', 'slow', 'after'])
    expect(inFlight.size).toBe(0)
  })
})
