import { describe, expect, it } from 'vitest'
import { createManualClock } from '../lib/clock.js'
import {
  UpstreamClientError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../providers/index.js'
import { createProviderHealth } from './circuit-breaker.js'
import { failureConditionOf } from './failure-condition.js'

describe('circuit breaker', () => {
  const target = { providerAccountId: 'prv_x', provider: 'x' }
  it('opens after consecutive failures, half-opens after the cool-down, closes on a probe success', () => {
    const clock = createManualClock()
    const transitions: string[] = []
    const health = createProviderHealth({
      clock,
      settings: { failureThreshold: 2, coolDownMs: 1000, halfOpenMaxProbes: 1 },
      onTransition: (c) => transitions.push(`${c.from}>${c.to}`),
    })
    health.recordFailure('prv_x')
    health.recordSuccess('prv_x') // resets the count
    health.recordFailure('prv_x')
    expect(health.stateOf('prv_x')).toBe('closed')
    health.recordFailure('prv_x')
    expect(health.stateOf('prv_x')).toBe('open')
    expect(health.tryAcquire(target)).toBe(false)
    clock.advance(999)
    expect(health.tryAcquire(target)).toBe(false)
    clock.advance(1)
    expect(health.tryAcquire(target)).toBe(true)
    expect(health.tryAcquire(target)).toBe(false) // one probe at a time
    health.recordFailure('prv_x')
    expect(health.stateOf('prv_x')).toBe('open')
    clock.advance(1000)
    expect(health.tryAcquire(target)).toBe(true)
    health.recordSuccess('prv_x')
    expect(health.stateOf('prv_x')).toBe('closed')
    expect(transitions).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>open',
      'open>half_open',
      'half_open>closed',
    ])
    expect(health.snapshot()[0]).toMatchObject({ provider: 'x', timesOpened: 2, state: 'closed' })
  })
})

describe('failure conditions', () => {
  it.each([
    [new UpstreamTimeoutError('headers'), 'timeout'],
    [new UpstreamUnavailableError('connection_refused'), 'connection_error'],
    [new UpstreamUnavailableError('overloaded'), 'server_error'],
    [new UpstreamUnavailableError('authentication_failed'), 'account_error'],
    [
      new UpstreamClientError({
        status: 400,
        message: 'm',
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param: null,
      }),
      'context_length',
    ],
    [
      new UpstreamClientError({
        status: 400,
        message: 'm',
        type: 'invalid_request_error',
        code: 'content_filter',
        param: null,
      }),
      'content_filter',
    ],
    [
      new UpstreamClientError({
        status: 400,
        message: 'm',
        type: 'invalid_request_error',
        code: 'invalid_value',
        param: null,
      }),
      null,
    ],
    [new Error('not an upstream failure'), null],
  ])('%s → %s', (err, condition) => {
    expect(failureConditionOf(err)).toBe(condition)
  })
})
