/** Time as a dependency, so tests can move it (STYLE §3.7: inject Clock, never call Date.now()). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number
}

export const systemClock: Clock = { nowMs: () => Date.now() }

/** A clock tests set and advance by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void
  advance(ms: number): void
}

export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let now = startMs
  return {
    nowMs: () => now,
    set: (ms) => {
      now = ms
    },
    advance: (ms) => {
      now += ms
    },
  }
}

/** Timestamps at rest are ISO-8601 UTC text with milliseconds: sortable and readable in both dialects. */
export function toIsoTimestamp(ms: number): string {
  return new Date(ms).toISOString()
}
