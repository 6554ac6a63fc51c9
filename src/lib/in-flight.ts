/** Work started and not awaited by whoever started it, which shutdown (or a test) must wait out. */
export interface InFlight {
  /** Remember `work` until it settles; returns it unchanged (its failure stays the caller's). */
  track<T>(work: Promise<T>): Promise<T>
  /** Resolves once nothing is running, work tracked meanwhile included; never rejects. */
  drain(): Promise<void>
  /** How many tracked promises are still running. */
  readonly size: number
}

export function createInFlight(): InFlight {
  const running = new Set<Promise<void>>()
  const ignore = () => undefined
  return {
    track: (work) => {
      const settled: Promise<void> = work.then(ignore, ignore).then(() => {
        running.delete(settled)
      })
      running.add(settled)
      return work
    },
    drain: async () => {
      while (running.size > 0) await Promise.all(running)
    },
    get size() {
      return running.size
    },
  }
}
