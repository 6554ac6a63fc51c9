import type { Clock } from '../lib/clock.js'

/** A provider's circuit: `closed` (serving), `open` (skipped until the cool-down ends), `half_open` (probing). */
export type CircuitState = 'closed' | 'open' | 'half_open'

export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold: number
  /** How long an open circuit stays open before a probe is allowed. @default 30000 */
  coolDownMs: number
  /** Requests let through at once while half-open. @default 1 */
  halfOpenMaxProbes: number
}

export const DEFAULT_CIRCUIT_BREAKER: Readonly<CircuitBreakerSettings> = Object.freeze({
  failureThreshold: 5,
  coolDownMs: 30_000,
  halfOpenMaxProbes: 1,
})

/** One circuit's state, as the admin API and metrics show it. */
export interface CircuitSnapshot {
  providerAccountId: string
  provider: string
  state: CircuitState
  consecutiveFailures: number
  /** When the circuit last opened (ms since epoch); null if it never did. */
  openedAtMs: number | null
  /** When an open circuit lets a probe through; null unless open. */
  retryAtMs: number | null
  totalFailures: number
  totalSuccesses: number
  timesOpened: number
}

interface Circuit {
  provider: string
  state: CircuitState
  consecutiveFailures: number
  openedAtMs: number | null
  probesInFlight: number
  totalFailures: number
  totalSuccesses: number
  timesOpened: number
}

/**
 * Passive health per provider account: consecutive failures open the circuit for a cool-down;
 * after it, up to `halfOpenMaxProbes` requests probe; a probe's success closes the circuit, its
 * failure opens it again. Pure state in memory with an injected clock; each process keeps its
 * own (health is local knowledge, like a connection pool's).
 */
export interface ProviderHealth {
  /** The state now (an open circuit whose cool-down ended reads `half_open`). */
  stateOf(providerAccountId: string): CircuitState
  /**
   * Ask to send a request. True when closed, or half-open with a probe slot free (the slot is
   * taken: report the result with `recordSuccess`/`recordFailure`, or `release`).
   */
  tryAcquire(target: { providerAccountId: string; provider: string }): boolean
  recordSuccess(providerAccountId: string): void
  recordFailure(providerAccountId: string): void
  /** Give back a probe slot without a verdict (the client went away, the failure was the client's). */
  release(providerAccountId: string): void
  snapshot(): CircuitSnapshot[]
}

export function createProviderHealth(options: {
  clock: Clock
  settings?: Partial<CircuitBreakerSettings>
  /** Hears every state change (logs). */
  onTransition?: (change: { provider: string; from: CircuitState; to: CircuitState }) => void
}): ProviderHealth {
  const settings = { ...DEFAULT_CIRCUIT_BREAKER, ...options.settings }
  const circuits = new Map<string, Circuit>()
  const { clock } = options

  const circuitOf = (id: string, provider = id): Circuit => {
    let circuit = circuits.get(id)
    if (circuit === undefined) {
      circuit = {
        provider,
        state: 'closed',
        consecutiveFailures: 0,
        openedAtMs: null,
        probesInFlight: 0,
        totalFailures: 0,
        totalSuccesses: 0,
        timesOpened: 0,
      }
      circuits.set(id, circuit)
    }
    return circuit
  }

  const move = (circuit: Circuit, to: CircuitState) => {
    if (circuit.state === to) return
    const from = circuit.state
    circuit.state = to
    if (to === 'open') {
      circuit.openedAtMs = clock.nowMs()
      circuit.timesOpened += 1
    }
    if (to !== 'half_open') circuit.probesInFlight = 0
    options.onTransition?.({ provider: circuit.provider, from, to })
  }

  /** Open → half-open once the cool-down has passed. */
  const refresh = (circuit: Circuit) => {
    if (
      circuit.state === 'open' &&
      circuit.openedAtMs !== null &&
      clock.nowMs() - circuit.openedAtMs >= settings.coolDownMs
    )
      move(circuit, 'half_open')
  }

  return {
    stateOf: (id) => {
      const circuit = circuits.get(id)
      if (circuit === undefined) return 'closed'
      refresh(circuit)
      return circuit.state
    },
    tryAcquire: (target) => {
      const circuit = circuitOf(target.providerAccountId, target.provider)
      circuit.provider = target.provider
      refresh(circuit)
      if (circuit.state === 'closed') return true
      if (circuit.state === 'open') return false
      if (circuit.probesInFlight >= settings.halfOpenMaxProbes) return false
      circuit.probesInFlight += 1
      return true
    },
    recordSuccess: (id) => {
      const circuit = circuitOf(id)
      circuit.totalSuccesses += 1
      circuit.consecutiveFailures = 0
      if (circuit.state !== 'closed') move(circuit, 'closed')
    },
    recordFailure: (id) => {
      const circuit = circuitOf(id)
      circuit.totalFailures += 1
      circuit.consecutiveFailures += 1
      if (circuit.state === 'half_open') move(circuit, 'open')
      else if (
        circuit.state === 'closed' &&
        circuit.consecutiveFailures >= settings.failureThreshold
      )
        move(circuit, 'open')
    },
    release: (id) => {
      const circuit = circuits.get(id)
      if (circuit && circuit.probesInFlight > 0) circuit.probesInFlight -= 1
    },
    snapshot: () =>
      [...circuits.entries()]
        .map(([providerAccountId, circuit]) => {
          refresh(circuit)
          return {
            providerAccountId,
            provider: circuit.provider,
            state: circuit.state,
            consecutiveFailures: circuit.consecutiveFailures,
            openedAtMs: circuit.openedAtMs,
            retryAtMs:
              circuit.state === 'open' && circuit.openedAtMs !== null
                ? circuit.openedAtMs + settings.coolDownMs
                : null,
            totalFailures: circuit.totalFailures,
            totalSuccesses: circuit.totalSuccesses,
            timesOpened: circuit.timesOpened,
          }
        })
        .sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0)),
  }
}
