import { Gauge, type Registry } from 'prom-client'
import type { CircuitSnapshot } from '../routing/index.js'

const STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const

/**
 * Provider health in `/metrics`, read from the circuit breakers at scrape time (nothing on the
 * request path): the circuit state per provider (0 closed, 1 half-open, 2 open), consecutive
 * failures, and running totals of attempts' verdicts and of circuits opened.
 */
export function registerRoutingMetrics(
  registry: Registry,
  source: { healthSnapshot(): CircuitSnapshot[] },
): void {
  const labelNames = ['provider'] as const
  const each = (gauge: Gauge<'provider'>, value: (c: CircuitSnapshot) => number) => {
    gauge.reset()
    for (const circuit of source.healthSnapshot())
      gauge.set({ provider: circuit.provider }, value(circuit))
  }
  new Gauge({
    name: 'ferry_provider_circuit_state',
    help: 'Circuit breaker state per provider account: 0 closed, 1 half-open, 2 open.',
    labelNames,
    registers: [registry],
    collect() {
      each(this, (c) => STATE_VALUE[c.state])
    },
  })
  new Gauge({
    name: 'ferry_provider_consecutive_failures',
    help: 'Consecutive failed upstream attempts per provider account (0 after a success).',
    labelNames,
    registers: [registry],
    collect() {
      each(this, (c) => c.consecutiveFailures)
    },
  })
  new Gauge({
    name: 'ferry_provider_attempt_failures',
    help: 'Upstream attempts that failed against provider health, per provider account, since start.',
    labelNames,
    registers: [registry],
    collect() {
      each(this, (c) => c.totalFailures)
    },
  })
  new Gauge({
    name: 'ferry_provider_circuit_opened',
    help: 'Times the provider account circuit opened since start.',
    labelNames,
    registers: [registry],
    collect() {
      each(this, (c) => c.timesOpened)
    },
  })
}
