/**
 * Randomness as a dependency (STYLE §3.7), so weighted routing and retry jitter are reproducible
 * in tests. `next()` returns a float in [0, 1), like Math.random.
 */
export interface Random {
  next(): number
}

export const systemRandom: Random = { next: () => Math.random() }

/**
 * A small deterministic generator (mulberry32) for tests and simulations: the same seed gives
 * the same sequence on every run.
 * @example const random = createSeededRandom(42); random.next() // 0.6011037519201636
 */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0
  return {
    next: () => {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}
