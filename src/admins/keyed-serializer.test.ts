import { describe, expect, it } from 'vitest'
import { createKeyedSerializer } from './keyed-serializer.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('keyed serializer', () => {
  it('runs tasks sharing a key one at a time, in arrival order', async () => {
    const serializer = createKeyedSerializer()
    const log: string[] = []
    const task = (name: string) => async () => {
      log.push(`${name} start`)
      await tick()
      log.push(`${name} end`)
    }
    await Promise.all([
      serializer.run(['a', 'b'], task('one')),
      serializer.run(['b'], task('two')),
      serializer.run(['a', 'b'], task('three')),
    ])
    expect(log).toEqual([
      'one start',
      'one end',
      'two start',
      'two end',
      'three start',
      'three end',
    ])
  })

  it('lets tasks on different keys overlap, and frees a key after a failing task', async () => {
    const serializer = createKeyedSerializer()
    let running = 0
    let peak = 0
    const task = async () => {
      running += 1
      peak = Math.max(peak, running)
      await tick()
      running -= 1
    }
    await Promise.all([serializer.run(['x'], task), serializer.run(['y'], task)])
    expect(peak).toBe(2)
    await expect(serializer.run(['x'], () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    )
    await expect(serializer.run(['x'], () => Promise.resolve(7))).resolves.toBe(7)
  })
})
