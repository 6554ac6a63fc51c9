import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  HOLD_STRATEGIES,
  SETTLEMENT_OUTCOMES,
  type Billing,
  type Hold,
  type LedgerEntry,
  type SettlementOutcome,
} from '../../../src/billing/index.js'
import {
  BILLING_ACTOR,
  billingOn,
  codeOf,
  createBillingFixture,
  type BillingFixture,
} from '../../support/billing-setup.js'
import { testDialects } from '../../support/test-db.js'

const TTL_MS = 60_000

/** The oracle: what the ledger must say after each step, computed independently. */
interface Model {
  balance: bigint
  holds: { amount: bigint; state: 'open' | 'settled' | 'released' | 'expired'; expiresAt: number }[]
  charges: { charged: bigint; refunded: bigint }[]
  voidables: { amount: bigint; voided: boolean }[]
  nowMs: number
}

interface Real {
  billing: Billing
  organizationId: string
  holds: Hold[]
  charges: { entryId: string; requestId: string }[]
  voidables: string[]
  fx: BillingFixture
  keys: number
}

const held = (m: Model) =>
  m.holds.filter((h) => h.state === 'open').reduce((sum, h) => sum + h.amount, 0n)
const available = (m: Model) => m.balance - held(m)
const key = (r: Real) => `k${(r.keys += 1)}`

/** The rule table, restated for the oracle (not imported: the test must be able to disagree). */
function expectedCharge(outcome: SettlementOutcome, cost: bigint, input: bigint) {
  switch (outcome) {
    case 'rejected_pre_dispatch':
      return { entry: false, charge: 0n }
    case 'upstream_failed_no_output':
      return { entry: true, charge: 0n }
    case 'client_aborted':
      return { entry: true, charge: cost > input ? cost : input }
    case 'upstream_failed_partial':
    case 'completed':
      return { entry: true, charge: cost }
  }
}

type Cmd = fc.AsyncCommand<Model, Real>

async function checkInvariants(m: Model, r: Real) {
  const balance = await r.billing.ledger.balance(r.organizationId)
  const live = balance.accounts.find((a) => a.environment === 'live')
  expect(live?.balanceMicros ?? 0n).toBe(m.balance)
  expect(live?.heldMicros ?? 0n).toBe(held(m))
  const reconciled = await r.billing.ledger.reconcile(r.organizationId, 'live')
  expect(reconciled.sumOfEntriesMicros).toBe(reconciled.balanceMicros)
  expect(r.billing.holds.openHoldCount()).toBe(m.holds.filter((h) => h.state === 'open').length)
}

const amount = fc.bigInt({ min: 1n, max: 120n })

class TopUp implements Cmd {
  constructor(readonly micros: bigint) {}
  check = () => true
  async run(m: Model, r: Real) {
    const entry = await r.billing.ledger.credit(BILLING_ACTOR, {
      organizationId: r.organizationId,
      environment: 'live',
      amountMicros: this.micros,
      category: 'paid',
      idempotencyKey: key(r),
    })
    expect(entry.balanceAfterMicros).toBe(m.balance + this.micros)
    m.balance += this.micros
    m.voidables.push({ amount: this.micros, voided: false })
    r.voidables.push(entry.entryId)
    await checkInvariants(m, r)
  }
  toString = () => `topUp(${this.micros})`
}

class Adjust implements Cmd {
  constructor(
    readonly direction: 'credit' | 'debit',
    readonly micros: bigint,
  ) {}
  check = () => true
  async run(m: Model, r: Real) {
    let entryId = ''
    const code = await codeOf(
      r.billing.ledger
        .adjust(BILLING_ACTOR, {
          organizationId: r.organizationId,
          environment: 'live',
          direction: this.direction,
          amountMicros: this.micros,
          idempotencyKey: key(r),
        })
        .then((e) => (entryId = e.entryId)),
    )
    const fits = this.direction === 'credit' || this.micros <= available(m)
    expect(code).toBe(fits ? 'ok' : 'insufficient_balance')
    if (fits) {
      const signed = this.direction === 'credit' ? this.micros : -this.micros
      m.balance += signed
      m.voidables.push({ amount: signed, voided: false })
      r.voidables.push(entryId)
    }
    await checkInvariants(m, r)
  }
  toString = () => `adjust(${this.direction}, ${this.micros})`
}

class Place implements Cmd {
  constructor(readonly micros: bigint) {}
  check = () => true
  async run(m: Model, r: Real) {
    const result = await r.billing.holds.place({
      organizationId: r.organizationId,
      environment: 'live',
      amountMicros: this.micros,
      requestId: `req_model_${r.holds.length}`,
    })
    const fits = this.micros <= available(m)
    expect(result.ok).toBe(fits)
    if (result.ok) {
      r.holds.push(result)
      m.holds.push({ amount: this.micros, state: 'open', expiresAt: m.nowMs + TTL_MS })
    } else {
      expect(result.code).toBe('insufficient_quota')
      expect(result.availableMicros).toBe(available(m) > 0n ? available(m) : 0n)
    }
    await checkInvariants(m, r)
  }
  toString = () => `place(${this.micros})`
}

class Extend implements Cmd {
  constructor(
    readonly index: number,
    readonly micros: bigint,
  ) {}
  check = (m: Readonly<Model>) => m.holds.length > 0
  async run(m: Model, r: Real) {
    const i = this.index % m.holds.length
    const hold = m.holds[i]!
    let ok: boolean | null = null
    const code = await codeOf(r.holds[i]!.extend(this.micros).then((res) => (ok = res.ok)))
    if (hold.state !== 'open') expect(code).toBe('hold_already_resolved')
    else {
      expect(code).toBe('ok')
      const fits = this.micros <= available(m)
      expect(ok).toBe(fits)
      if (fits) hold.amount += this.micros
    }
    await checkInvariants(m, r)
  }
  toString = () => `extend(#${this.index}, ${this.micros})`
}

class Settle implements Cmd {
  readonly index: number
  readonly outcome: SettlementOutcome
  readonly cost: bigint
  readonly inputCost: bigint
  constructor(spec: {
    index: number
    outcome: SettlementOutcome
    cost: bigint
    inputCost: bigint
  }) {
    this.index = spec.index
    this.outcome = spec.outcome
    this.cost = spec.cost
    this.inputCost = spec.inputCost
  }
  check = (m: Readonly<Model>) => m.holds.length > 0
  async run(m: Model, r: Real) {
    const i = this.index % m.holds.length
    const hold = m.holds[i]!
    const realHold = r.holds[i]!
    const out: { entry: LedgerEntry | null } = { entry: null }
    const code = await codeOf(
      r.billing.holds
        .settle({
          hold: realHold,
          outcome: this.outcome,
          costMicros: this.cost,
          inputCostMicros: this.inputCost,
        })
        .then((e) => (out.entry = e)),
    )
    if (hold.state === 'settled' || hold.state === 'released') {
      expect(code).toBe('hold_already_resolved')
    } else {
      expect(code).toBe('ok')
      const released = hold.state === 'open' ? hold.amount : 0n
      hold.state = 'settled'
      const rule = expectedCharge(this.outcome, this.cost, this.inputCost)
      const avail = available(m) // after the hold left the open set
      const charge = rule.charge < avail ? rule.charge : avail > 0n ? avail : 0n
      const posted = out.entry
      if (!rule.entry) expect(posted).toBeNull()
      else {
        if (!posted) throw new Error('expected a settlement entry')
        expect(posted.amountMicros).toBe(-charge)
        expect(posted.holdMicros).toBe(released)
        expect(posted.settlementRule).toMatch(/@1$/)
        expect(posted.kind).toBe(
          this.outcome === 'upstream_failed_no_output' ? 'usage_waiver' : 'usage_charge',
        )
        m.balance -= charge
        if (posted.kind === 'usage_charge') {
          m.charges.push({ charged: charge, refunded: 0n })
          r.charges.push({ entryId: posted.entryId, requestId: realHold.requestId })
        }
      }
    }
    await checkInvariants(m, r)
  }
  toString = () => `settle(#${this.index}, ${this.outcome}, ${this.cost}, ${this.inputCost})`
}

class Release implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.holds.length > 0
  async run(m: Model, r: Real) {
    const i = this.index % m.holds.length
    const hold = m.holds[i]!
    const code = await codeOf(r.billing.holds.release(r.holds[i]!))
    if (hold.state !== 'open') expect(code).toBe('hold_already_resolved')
    else {
      expect(code).toBe('ok')
      hold.state = 'released'
    }
    await checkInvariants(m, r)
  }
  toString = () => `release(#${this.index})`
}

class Expire implements Cmd {
  check = () => true
  async run(m: Model, r: Real) {
    r.fx.clock.advance(TTL_MS + 1)
    m.nowMs += TTL_MS + 1
    const reaped = await r.billing.holds.reapExpired()
    let expected = 0
    for (const h of m.holds)
      if (h.state === 'open' && h.expiresAt <= m.nowMs) {
        h.state = 'expired'
        expected += 1
      }
    // The database reaper also releases holds that earlier runs left on other accounts.
    if (r.billing.holds.strategy === 'memory') expect(reaped).toBe(expected)
    else expect(reaped).toBeGreaterThanOrEqual(expected)
    await checkInvariants(m, r)
  }
  toString = () => 'expire()'
}

class Refund implements Cmd {
  constructor(
    readonly index: number,
    readonly micros: bigint,
  ) {}
  check = (m: Readonly<Model>) => m.charges.length > 0
  async run(m: Model, r: Real) {
    const i = this.index % m.charges.length
    const charge = m.charges[i]!
    const code = await codeOf(
      r.billing.ledger.refund(BILLING_ACTOR, {
        organizationId: r.organizationId,
        requestId: r.charges[i]!.requestId,
        settlementEntryId: r.charges[i]!.entryId,
        amountMicros: this.micros,
        idempotencyKey: key(r),
      }),
    )
    const fits = this.micros <= charge.charged - charge.refunded
    expect(code).toBe(fits ? 'ok' : 'refund_exceeds_charge')
    if (fits) {
      charge.refunded += this.micros
      m.balance += this.micros
    }
    await checkInvariants(m, r)
  }
  toString = () => `refund(#${this.index}, ${this.micros})`
}

class Void implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.voidables.length > 0
  async run(m: Model, r: Real) {
    const i = this.index % m.voidables.length
    const target = m.voidables[i]!
    const code = await codeOf(
      r.billing.ledger.void(BILLING_ACTOR, { entryId: r.voidables[i]!, idempotencyKey: key(r) }),
    )
    const expected = target.voided
      ? 'already_voided'
      : target.amount > 0n && target.amount > available(m)
        ? 'insufficient_balance'
        : 'ok'
    expect(code).toBe(expected)
    if (expected === 'ok') {
      target.voided = true
      m.balance -= target.amount
    }
    await checkInvariants(m, r)
  }
  toString = () => `void(#${this.index})`
}

const index = fc.nat({ max: 50 })
const commands = [
  amount.map((a) => new TopUp(a * 3n)),
  fc
    .tuple(fc.constantFrom('credit' as const, 'debit' as const), amount)
    .map(([d, a]) => new Adjust(d, a)),
  amount.map((a) => new Place(a)),
  fc.tuple(index, amount).map(([i, a]) => new Extend(i, a)),
  fc
    .tuple(
      index,
      fc.constantFrom(...SETTLEMENT_OUTCOMES),
      fc.bigInt({ min: 0n, max: 200n }),
      fc.bigInt({ min: 0n, max: 60n }),
    )
    .map(([index, outcome, cost, inputCost]) => new Settle({ index, outcome, cost, inputCost })),
  index.map((i) => new Release(i)),
  fc.constant(new Expire()),
  fc.tuple(index, amount).map(([i, a]) => new Refund(i, a)),
  index.map((i) => new Void(i)),
]

for (const dialect of testDialects()) {
  for (const strategy of HOLD_STRATEGIES) {
    describe(`${dialect}, ${strategy} holds: the ledger against an in-memory oracle`, () => {
      let fx: BillingFixture
      beforeAll(async () => {
        fx = await createBillingFixture(dialect)
      })
      afterAll(() => fx.destroy())

      it('agrees on every balance, hold and error code over random sequences', async () => {
        await fc.assert(
          fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
            const billing = billingOn(fx.db, {
              clock: fx.clock,
              strategy,
              settings: { holdTtlMs: TTL_MS },
            })
            const organizationId = await fx.createOrganization()
            const model: Model = {
              balance: 0n,
              holds: [],
              charges: [],
              voidables: [],
              nowMs: fx.clock.nowMs(),
            }
            const real: Real = {
              billing,
              organizationId,
              holds: [],
              charges: [],
              voidables: [],
              fx,
              keys: 0,
            }
            try {
              await fc.asyncModelRun(() => ({ model, real }), cmds)
            } finally {
              await billing.stop()
            }
          }),
          { numRuns: dialect === 'postgres' ? 25 : 40 },
        )
      }, 240_000)
    })
  }
}
