/**
 * Runs tasks one at a time per key, within this process. A task names several keys; it waits
 * for every earlier task holding any of them. Idle keys hold no memory.
 *
 * @example
 * const serializer = createKeyedSerializer()
 * await serializer.run(['account:ab12', 'address:192.0.2.7'], () => checkPassword())
 */
export interface KeyedSerializer {
  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T>
}

export function createKeyedSerializer(): KeyedSerializer {
  const tails = new Map<string, Promise<void>>()

  return {
    run: async (keys, task) => {
      // Queue behind every key at once (synchronously): tasks start in arrival order, and a task
      // only ever waits for earlier ones, so no two tasks can wait for each other.
      let release!: () => void
      const done = new Promise<void>((resolve) => {
        release = resolve
      })
      const unique = [...new Set(keys)]
      const previous = unique.map((key) => tails.get(key) ?? Promise.resolve())
      const mine = unique.map((key, i) => {
        const tail = previous[i]!.then(() => done)
        tails.set(key, tail)
        return tail
      })
      try {
        await Promise.all(previous)
        return await task()
      } finally {
        release()
        unique.forEach((key, i) => {
          if (tails.get(key) === mine[i]) tails.delete(key)
        })
      }
    },
  }
}
