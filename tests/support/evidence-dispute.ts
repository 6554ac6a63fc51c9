import { request as httpRequest, type IncomingMessage } from 'node:http'
import { EMPTY_BUDGET_POLICY } from '../../src/budgets/index.js'
import { expect } from 'vitest'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from '../../src/config/resolve-provider-accounts.js'
import { PriceRowsSchema } from '../../src/pricing/index.js'
import { configuredAccount } from './configured-account.js'
import { findUsageEventsOfRequest, type UsageEvent } from '../../src/usage/index.js'
import { SETUP_AUDIT, type AdminHarness } from './admin-harness.js'
import { SETUP_BILLING_ACTOR, idempotencyKey } from './billing-fixtures.js'

function mockAccount(name: string, settings: Record<string, unknown>) {
  return configuredAccount({ name, kind: 'mock', baseUrl: 'http://mock.invalid', settings })
}

/** Refunds above this many micros need a second admin's approval in the dispute. */
export const DISPUTE_APPROVAL_THRESHOLD_MICROS = 500

/** The app a dispute runs on: a premium account, a failing and a slow economy account. */
export const DISPUTE_APP_OPTIONS = {
  providerAccounts: [
    BUILTIN_MOCK_PROVIDER_ACCOUNT,
    mockAccount('premium', {}),
    mockAccount('economy-down', { failStatus: 503 }),
    mockAccount('economy-steady', { chunkDelayMs: 30, completionTokens: 24 }),
  ],
  billing: { approvalThresholdMicros: DISPUTE_APPROVAL_THRESHOLD_MICROS },
}

// 100 micros per input token, 200 per output token.
const PRICES = PriceRowsSchema.parse([
  {
    providerKind: 'mock',
    model: '*',
    inputMicrosPer1M: '100000000',
    outputMicrosPer1M: '200000000',
  },
])

const retry = { maxRetries: 0, initialBackoffMs: 0 }
/** Premium by default; the economy tier when the budget says downgrade, with a fallback. */
const DISPUTE_ROUTE_POLICY = {
  routes: {
    assistant: {
      tier: 'premium',
      tierRoutes: { economy: 'assistant-economy' },
      targets: [{ provider: 'premium', model: 'mock-large' }],
      retry,
    },
    'assistant-economy': {
      tier: 'economy',
      targets: [
        { provider: 'economy-down', model: 'mock-small' },
        { provider: 'economy-steady', model: 'mock-small' },
      ],
      retry,
    },
  },
  downgradeRules: [{ when: 'budget_state', budgetStates: ['downgrade'], serveTier: 'economy' }],
}

export interface ScriptedDispute {
  organizationId: string
  requestId: string
  /** An earlier request of the same organization, also refunded: none of it may show. */
  otherRequestId: string
  chargeEntryId: string
  refundEntryId: string
  approvalId: string
  refundMicros: bigint
  routePolicyVersion: number
  budgetPolicyId: string
  billingAdminId: string
  /** A support admin's token (support holds billing.read). */
  supportToken: string
}

const reason = (code: string, note?: string) => ({ reason: { code, ...(note ? { note } : {}) } })

/** Poll (setup runs outside a test, where expect.poll is not available). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('timed out waiting for the dispute setup')
}

async function waitForUsage(h: AdminHarness, requestId: string): Promise<UsageEvent> {
  let events: UsageEvent[] = []
  for (let i = 0; i < 200 && events.length === 0; i++) {
    events = await findUsageEventsOfRequest(h.db, requestId)
    if (events.length === 0) await new Promise((r) => setTimeout(r, 25))
  }
  expect(events).toHaveLength(1)
  return events[0]!
}

/** Stream over a real socket and hang up after `leaveAfter` data frames. */
function abortedStream(spec: {
  baseUrl: string
  secret: string
  requestId: string
  leaveAfter: number
}) {
  return new Promise<void>((resolve, reject) => {
    const req = httpRequest(`${spec.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${spec.secret}`,
        'content-type': 'application/json',
        'x-request-id': spec.requestId,
      },
    })
    req.on('error', () => undefined)
    req.on('response', (res: IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (text: string) => {
        body += text
        if (body.split('\n\n').filter((f) => f.startsWith('data: ')).length >= spec.leaveAfter) {
          req.destroy()
          resolve()
        }
      })
      res.on('error', () => undefined)
      res.on('end', () => reject(new Error('the stream ended before the client left')))
    })
    req.end(
      JSON.stringify({
        model: 'assistant',
        messages: [{ role: 'user', content: 'Write a long answer.' }],
        stream: true,
        max_tokens: 100,
      }),
    )
  })
}

/**
 * The dispute of issue #8: a request downgraded by a budget threshold, served by a fallback,
 * partly streamed before the client aborted, then refunded by a billing admin with a reason and
 * an approval granted by a second admin (the owner). An earlier request of the same
 * organization (which crossed the threshold, and got a small refund of its own) is the "other
 * request" whose data must not show. Needs a harness built with DISPUTE_APP_OPTIONS.
 */
export async function scriptDispute(
  h: AdminHarness,
  options: { requestId: string },
): Promise<ScriptedDispute> {
  const admin = h.services
  await admin.pricing.publish(SETUP_AUDIT, { rows: PRICES })
  await h.runtime.priceBook.reload()
  const organizationId = await h.createOrganization('Disputing Customer')
  // Funding is above the approval threshold too: approved by a second (setup) admin.
  const funding = await admin.billing.requestApproval(SETUP_BILLING_ACTOR, {
    organizationId,
    environment: 'live',
    action: 'billing.credit',
    amountMicros: 1_000_000n,
  })
  await admin.billing.grantApproval(
    { audit: SETUP_AUDIT, adminId: 'cli:second-operator' },
    funding.approvalId,
  )
  await admin.billing.credit(SETUP_BILLING_ACTOR, {
    organizationId,
    environment: 'live',
    amountMicros: 1_000_000n,
    category: 'paid',
    idempotencyKey: idempotencyKey('dispute-fund'),
    approvalId: funding.approvalId,
  })
  const { secret } = await admin.keys.create(SETUP_AUDIT, {
    organizationId,
    name: 'production',
    environment: 'live',
  })
  const budget = await admin.budgetPolicies.publish(SETUP_AUDIT, {
    organizationId,
    keyId: null,
    content: {
      ...EMPTY_BUDGET_POLICY,
      // The balance (1,000,000) is below the downgrade threshold: every request is downgraded.
      thresholds: {
        warnBelowMicros: null,
        downgradeBelowMicros: 5_000_000n,
        blockBelowMicros: null,
      },
    },
  })
  await h.runtime.budgetBook.reload()
  const policy = await admin.routing.policies.publish(SETUP_AUDIT, {
    scope: organizationId as `org_${string}`,
    policy: DISPUTE_ROUTE_POLICY,
  })

  // The other request: it crosses the downgrade threshold (a system audit event citing it).
  const otherRequestId = `req_other_${idempotencyKey('x').replace(/[^A-Za-z0-9]/g, '')}`
  const other = await h.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${secret}`, 'x-request-id': otherRequestId },
    payload: { model: 'assistant', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 },
  })
  expect(other.statusCode, other.body).toBe(200)
  const otherUsage = await waitForUsage(h, otherRequestId)
  await waitFor(async () =>
    (await h.auditEvents()).some(
      (e) => e.action === 'budget.threshold_crossed' && e.request_id === otherRequestId,
    ),
  )

  const address = await h.app.listen({ host: '127.0.0.1', port: 0 })
  await abortedStream({ baseUrl: address, secret, requestId: options.requestId, leaveAfter: 3 })
  const usage = await waitForUsage(h, options.requestId)
  expect(usage.ledgerEntryId).not.toBeNull()

  const billingAdmin = await h.createAdmin({ role: 'billing' })
  const billingToken = await h.createToken(billingAdmin)
  const post = (url: string, body: Record<string, unknown>, token: string) =>
    h.request({ method: 'POST', url, as: { token }, body })

  // A small refund of the other request (below the approval threshold): not this dispute's.
  const small = await post(
    `/orgs/${organizationId}/billing/refunds`,
    {
      requestId: otherRequestId,
      settlementEntryId: otherUsage.ledgerEntryId,
      amountMicros: '100',
      idempotencyKey: idempotencyKey('other-refund'),
      ...reason('goodwill_refund'),
    },
    billingToken,
  )
  expect(small.statusCode, small.body).toBe(201)

  const refundMicros = usage.costMicros
  expect(refundMicros).toBeGreaterThan(BigInt(DISPUTE_APPROVAL_THRESHOLD_MICROS))
  const requested = await post(
    `/orgs/${organizationId}/billing/approvals`,
    { action: 'billing.refund', amountMicros: String(refundMicros) },
    billingToken,
  )
  expect(requested.statusCode, requested.body).toBe(201)
  const { approvalId } = requested.json<{ approvalId: string }>()
  const granted = await post(
    `/billing/approvals/${approvalId}/grant`,
    reason('large_refund_checked'),
    h.ownerToken,
  )
  expect(granted.statusCode, granted.body).toBe(200)
  const refunded = await post(
    `/orgs/${organizationId}/billing/refunds`,
    {
      requestId: options.requestId,
      settlementEntryId: usage.ledgerEntryId,
      amountMicros: String(refundMicros),
      idempotencyKey: idempotencyKey('dispute-refund'),
      approvalId,
      ...reason('billing_dispute_refund', 'Answer cut off by a provider outage; full refund.'),
    },
    billingToken,
  )
  expect(refunded.statusCode, refunded.body).toBe(201)

  return {
    organizationId,
    requestId: options.requestId,
    otherRequestId,
    chargeEntryId: usage.ledgerEntryId!,
    refundEntryId: refunded.json<{ entryId: string }>().entryId,
    approvalId,
    refundMicros,
    routePolicyVersion: policy.version,
    budgetPolicyId: budget.budgetPolicyId,
    billingAdminId: billingAdmin.adminId,
    supportToken: await h.createToken(await h.createAdmin({ role: 'support' })),
  }
}
