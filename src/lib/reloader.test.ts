import { describe, expect, it } from 'vitest'
import { createReloader } from './reloader.js'

function manualSubscription() {
  let handler: () => void = () => undefined
  return {
    subscribe: (reload: () => void) => {
      handler = reload
      return () => {
        handler = () => undefined
      }
    },
    fire: () => handler(),
  }
}

describe('createReloader', () => {
  it('serves the last good value, keeps it when a load fails, and reloads on notice', async () => {
    const source = { value: 1, fail: false }
    const errors: unknown[] = []
    const channel = manualSubscription()
    const reloader = createReloader({
      initial: 0,
      load: () => (source.fail ? Promise.reject(new Error('down')) : Promise.resolve(source.value)),
      subscribe: channel.subscribe,
      refreshIntervalMs: 0,
      onError: (err) => errors.push(err),
    })
    expect(reloader.loaded()).toBe(false)
    await reloader.ready()
    expect(reloader.current()).toBe(1)
    expect(reloader.loaded()).toBe(true)

    source.fail = true
    await reloader.reload()
    expect(reloader.current()).toBe(1)
    expect(errors).toHaveLength(1)

    source.fail = false
    source.value = 2
    channel.fire()
    await reloader.reload()
    expect(reloader.current()).toBe(2)
    reloader.stop()
  })

  it('is not loaded while every load fails', async () => {
    const reloader = createReloader({
      initial: 'empty',
      load: () => Promise.reject(new Error('down')),
      subscribe: () => () => undefined,
      refreshIntervalMs: 0,
    })
    await reloader.ready()
    expect(reloader.loaded()).toBe(false)
    expect(reloader.current()).toBe('empty')
  })

  it('runs a reload asked for during a load after it, so no change is missed', async () => {
    let value = 0
    let release: () => void = () => undefined
    const reloader = createReloader({
      initial: -1,
      load: async () => {
        const seen = value
        await new Promise<void>((resolve) => (release = resolve))
        return seen
      },
      subscribe: () => () => undefined,
      refreshIntervalMs: 0,
    })
    value = 1 // committed after the first load read the old state
    const second = reloader.reload()
    release()
    await reloader.ready()
    await new Promise((resolve) => setImmediate(resolve))
    release()
    await second
    expect(reloader.current()).toBe(1)
  })
})
