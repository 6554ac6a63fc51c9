import { currentTotpCode } from '../../../src/admins/totp.js'
import { newId } from '../../../src/lib/ids.js'
import { enqueueOutbox, findOutboxEvents } from '../../../src/outbox/index.js'
import {
  SETUP_AUDIT,
  type AdminHarness,
  type TestAdmin,
  type TestCredential,
} from '../../support/admin-harness.js'
import { BILLING_ROUTE_FIXTURES } from '../../support/billing-fixtures.js'
import { PRICING_BUDGET_ROUTE_FIXTURES } from '../../support/pricing-budget-fixtures.js'

/** The request a fixture sends. */
export interface FixtureRequest {
  /** Values for the route's `:params`. */
  params?: Record<string, string>
  body?: Record<string, unknown>
  headers?: Record<string, string>
  /** How the request authenticates; 'anonymous' for public routes. */
  as: Exclude<TestCredential, undefined> | 'anonymous'
}

/**
 * How to call one state-changing admin route successfully. `prepare` may create what the route
 * acts on (through services, before the call) and returns the request; the call itself must
 * answer 2xx and write exactly one audit event with the route's declared action.
 */
export interface RouteFixture {
  prepare(h: AdminHarness): Promise<FixtureRequest>
}

const reason = (code: string) => ({ reason: { code } })

let providerCounter = 0
/** A stored provider account with a credential; returns its ID. */
async function newProviderAccount(h: AdminHarness): Promise<string> {
  providerCounter += 1
  const account = await h.services.providerAccounts.create(SETUP_AUDIT, {
    name: `fixture-${providerCounter}-${newId('x', h.clock.nowMs()).slice(-6)}`,
    kind: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:8000/v1',
    models: ['fixture-model'],
    credential: 'fixture-credential-0123456789',
  })
  return account.providerAccountId
}

let policyCounter = 0
/** A route policy over the built-in mock account, different on every call. */
function mockPolicy(): Record<string, unknown> {
  policyCounter += 1
  return {
    routes: {
      [`fixture-${policyCounter}`]: {
        tier: 'premium',
        targets: [{ provider: 'mock', model: 'mock' }],
        tierRoutes: { economy: 'fixture-economy' },
      },
      'fixture-economy': { tier: 'economy', targets: [{ provider: 'mock', model: 'mock' }] },
    },
  }
}

/** A new organization whose override is published through the services; returns its scope. */
async function scopeWithPolicy(h: AdminHarness): Promise<{ scope: string; route: string }> {
  const scope = await h.createOrganization()
  const policy = mockPolicy()
  await h.services.routing.policies.publish(SETUP_AUDIT, {
    scope: scope as `org_${string}`,
    policy,
  })
  return { scope, route: Object.keys(policy.routes as object)[0]! }
}

/** A live key of a new organization, made through the services (before the measured call). */
async function newKey(h: AdminHarness): Promise<string> {
  const organizationId = await h.createOrganization()
  const { key } = await h.services.keys.create(SETUP_AUDIT, {
    organizationId,
    name: 'fixture',
    environment: 'live',
  })
  return key.keyId
}

/** A dead webhook delivery (as if the receiver had been down for every attempt); its ID. */
async function deadDelivery(h: AdminHarness): Promise<string> {
  const eventId = newId('aud', h.clock.nowMs())
  await enqueueOutbox(h.db, [{ topic: 'audit', eventId, payload: { fixture: true } }], {
    nowMs: h.clock.nowMs(),
  })
  const [row] = await findOutboxEvents(h.db, { eventId, limit: 1 })
  await h.db
    .updateTable('outbox_events')
    .set({ status: 'dead', attempts: 20, last_error: 'connection_refused' })
    .where('outbox_id', '=', row!.outbox_id)
    .execute()
  return row!.outbox_id
}

async function sessionOf(h: AdminHarness, admin: TestAdmin) {
  const { cookie, csrfToken } = await h.login(admin)
  return { cookie, csrfToken }
}

/** Enrol an admin in TOTP through the services; returns the secret and moves past its step. */
async function enrolTotp(h: AdminHarness, admin: TestAdmin): Promise<string> {
  const { secret } = await h.services.mfa.startEnrolment(SETUP_AUDIT, admin.adminId)
  await h.services.mfa.confirmEnrolment(SETUP_AUDIT, {
    adminId: admin.adminId,
    code: currentTotpCode({ secret, nowMs: h.clock.nowMs() }),
  })
  h.clock.advance(30_000)
  return secret
}

/**
 * One fixture per state-changing admin route, keyed `METHOD /url` as in the catalogue (see
 * `routeKey`). A route without a fixture fails every-mutating-route-is-audited.int.test.ts:
 * a new admin route adds its fixture here.
 */
export const ROUTE_FIXTURES: Readonly<Record<string, RouteFixture>> = {
  ...BILLING_ROUTE_FIXTURES,
  ...PRICING_BUDGET_ROUTE_FIXTURES,
  'POST /auth/login': {
    prepare: (h) =>
      Promise.resolve({
        as: 'anonymous',
        body: { email: h.owner.email, password: h.owner.password },
      }),
  },
  'POST /auth/logout': {
    prepare: async (h) => ({ as: await sessionOf(h, h.owner) }),
  },
  'POST /auth/password': {
    prepare: async (h) => {
      const admin = await h.createAdmin({ role: 'viewer' })
      return {
        as: await sessionOf(h, admin),
        body: { currentPassword: admin.password, newPassword: 'an entirely new passphrase' },
      }
    },
  },
  'POST /auth/totp/enroll': {
    prepare: async (h) => ({ as: await sessionOf(h, await h.createAdmin({ role: 'viewer' })) }),
  },
  'POST /auth/totp/confirm': {
    prepare: async (h) => {
      const admin = await h.createAdmin({ role: 'viewer' })
      const { secret } = await h.services.mfa.startEnrolment(SETUP_AUDIT, admin.adminId)
      return {
        as: await sessionOf(h, admin),
        body: { code: currentTotpCode({ secret, nowMs: h.clock.nowMs() + 1 }) },
      }
    },
  },
  'POST /auth/totp/disable': {
    prepare: async (h) => {
      const admin = await h.createAdmin({ role: 'viewer' })
      const secret = await enrolTotp(h, admin)
      const { cookie, csrfToken } = await h.login(
        admin,
        currentTotpCode({ secret, nowMs: h.clock.nowMs() + 1 }),
      )
      h.clock.advance(30_000)
      return {
        as: { cookie, csrfToken },
        body: {
          code: currentTotpCode({ secret, nowMs: h.clock.nowMs() + 1 }),
          ...reason('new_phone'),
        },
      }
    },
  },

  'POST /admins': {
    prepare: (h) =>
      Promise.resolve({
        as: { token: h.ownerToken },
        body: {
          email: `new-${newId('x', h.clock.nowMs())}@example.com`,
          role: 'viewer',
          password: 'a long enough password',
          ...reason('new_hire'),
        },
      }),
  },
  'PATCH /admins/:adminId': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { adminId: (await h.createAdmin({ role: 'viewer' })).adminId },
      body: { displayName: 'Renamed' },
    }),
  },
  'PUT /admins/:adminId/role': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { adminId: (await h.createAdmin({ role: 'viewer' })).adminId },
      body: { role: 'billing', ...reason('team_change') },
    }),
  },
  'POST /admins/:adminId/grants': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { adminId: (await h.createAdmin({ role: 'viewer' })).adminId },
      body: { permission: 'usage.export', ...reason('monthly_report') },
    }),
  },
  'POST /admins/:adminId/revocations': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { adminId: (await h.createAdmin({ role: 'viewer' })).adminId },
      body: { permission: 'keys.read', ...reason('least_privilege') },
    }),
  },
  'POST /admins/:adminId/disable': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { adminId: (await h.createAdmin({ role: 'viewer' })).adminId },
      body: reason('offboarding'),
    }),
  },
  'POST /admins/:adminId/enable': {
    prepare: async (h) => {
      const admin = await h.createAdmin({ role: 'viewer' })
      await h.services.users.disableAdmin({ audit: SETUP_AUDIT }, admin.adminId)
      return {
        as: { token: h.ownerToken },
        params: { adminId: admin.adminId },
        body: reason('returned'),
      }
    },
  },
  'POST /admins/:adminId/password-reset': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { adminId: (await h.createAdmin({ role: 'viewer' })).adminId },
      body: { newPassword: 'a reset passphrase here', ...reason('forgot_password') },
    }),
  },
  'DELETE /admins/:adminId/totp': {
    prepare: async (h) => {
      const admin = await h.createAdmin({ role: 'viewer' })
      await enrolTotp(h, admin)
      return {
        as: { token: h.ownerToken },
        params: { adminId: admin.adminId },
        headers: { 'x-ferry-reason-code': 'lost_device' },
      }
    },
  },
  'PUT /settings/security/mfa-required': {
    prepare: (h) =>
      Promise.resolve({
        as: { token: h.ownerToken },
        body: { required: false, ...reason('policy_review') },
      }),
  },

  'POST /admin-tokens': {
    prepare: async (h) => ({
      as: await sessionOf(h, h.owner),
      body: { name: 'fixture token', ...reason('automation') },
    }),
  },
  'DELETE /admin-tokens/:tokenId': {
    prepare: async (h) => {
      await h.createToken(h.owner, 'to revoke')
      const [latest] = await h.services.tokens.listTokens({ adminId: h.owner.adminId })
      return { as: await sessionOf(h, h.owner), params: { tokenId: latest!.tokenId } }
    },
  },

  'POST /support-sessions': {
    prepare: async (h) => ({
      as: await sessionOf(h, await h.createAdmin({ role: 'support' })),
      body: {
        organizationId: await h.createOrganization(),
        durationMinutes: 30,
        ...reason('ticket_1'),
      },
    }),
  },
  'POST /support-sessions/:supportSessionId/end': {
    prepare: async (h) => {
      const agent = await h.createAdmin({ role: 'support' })
      const session = await h.services.supportSessions.start(
        { ...SETUP_AUDIT, actor: { type: 'user', id: agent.adminId, role: 'support' } },
        {
          adminId: agent.adminId,
          organizationId: await h.createOrganization(),
          durationMs: 600_000,
        },
      )
      return {
        as: await sessionOf(h, agent),
        params: { supportSessionId: session.supportSessionId },
      }
    },
  },

  'POST /audit/checkpoints': {
    prepare: async (h) => ({
      as: { token: await h.createToken(await h.createAdmin({ role: 'security_auditor' })) },
    }),
  },
  'POST /audit/verify': {
    prepare: async (h) => ({
      as: { token: await h.createToken(await h.createAdmin({ role: 'security_auditor' })) },
      body: {},
    }),
  },

  'POST /webhooks/deliveries/:outboxId/retry': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { outboxId: await deadDelivery(h) },
    }),
  },

  'POST /orgs': {
    prepare: (h) =>
      Promise.resolve({
        as: { token: h.ownerToken },
        body: { name: 'New Co', externalId: `ext-${Date.now()}` },
      }),
  },
  'PATCH /orgs/:organizationId': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: { name: 'Renamed Co', rateLimits: { requestsPerMinute: 100 } },
    }),
  },
  'PUT /orgs/:organizationId/request-logging': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: {
        captureEnabled: true,
        retentionDays: 14,
        ...reason('customer_requested_prompt_audit'),
      },
    }),
  },
  'POST /orgs/:organizationId/suspend': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: reason('unpaid_invoice'),
    }),
  },
  'POST /orgs/:organizationId/reactivate': {
    prepare: async (h) => {
      const organizationId = await h.createOrganization()
      await h.services.organizations.suspend(SETUP_AUDIT, organizationId)
      return {
        as: { token: h.ownerToken },
        params: { organizationId },
        body: reason('invoice_paid'),
      }
    },
  },
  'POST /orgs/:organizationId/keys': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { organizationId: await h.createOrganization() },
      body: { name: 'backend', environment: 'test', rateLimits: { requestsPerMinute: 60 } },
    }),
  },
  'PATCH /keys/:keyId': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { keyId: await newKey(h) },
      body: { name: 'renamed' },
    }),
  },
  'PUT /keys/:keyId/scopes': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { keyId: await newKey(h) },
      body: { models: ['gpt-4o-mini'], endpoints: ['chat.completions'] },
    }),
  },
  'PUT /keys/:keyId/environment': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { keyId: await newKey(h) },
      body: { environment: 'test', ...reason('move_to_sandbox') },
    }),
  },
  'PUT /keys/:keyId/expiry': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { keyId: await newKey(h) },
      body: { expiresAt: '2030-01-01T00:00:00Z' },
    }),
  },
  'PUT /keys/:keyId/rate-limits': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { keyId: await newKey(h) },
      body: { requestsPerMinute: 10, tokensPerMinute: 1000 },
    }),
  },
  'POST /keys/:keyId/rotate': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { keyId: await newKey(h) },
      body: { graceSeconds: 3600, ...reason('customer_requested_key_rotation') },
    }),
  },
  'POST /keys/:keyId/revoke': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { keyId: await newKey(h) },
      body: reason('key_leaked'),
    }),
  },
  'POST /providers': {
    prepare: (h) =>
      Promise.resolve({
        as: { token: h.ownerToken },
        body: {
          name: `created-${newId('x', h.clock.nowMs()).slice(-8)}`,
          kind: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:8000/v1',
          models: ['llama-3*'],
          credential: 'fixture-credential-0123456789',
        },
      }),
  },
  'PATCH /providers/:providerAccountId': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { providerAccountId: await newProviderAccount(h) },
      body: { models: ['fixture-model', 'fixture-*'], status: 'disabled' },
    }),
  },
  'PUT /providers/:providerAccountId/credential': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { providerAccountId: await newProviderAccount(h) },
      body: { credential: 'rotated-credential-9876543210', ...reason('provider_key_rotation') },
    }),
  },
  'DELETE /providers/:providerAccountId': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { providerAccountId: await newProviderAccount(h) },
      headers: { 'x-ferry-reason-code': 'provider_retired' },
    }),
  },
  'POST /route-policies': {
    prepare: (h) =>
      Promise.resolve({
        as: { token: h.ownerToken },
        body: { scope: 'global', policy: mockPolicy(), ...reason('new_routing') },
      }),
  },
  'POST /route-policies/:version/rollback': {
    prepare: async (h) => {
      const first = await h.services.routing.policies.publish(SETUP_AUDIT, {
        scope: 'global',
        policy: mockPolicy(),
      })
      await h.services.routing.policies.publish(SETUP_AUDIT, {
        scope: 'global',
        policy: mockPolicy(),
      })
      return {
        as: { token: h.ownerToken },
        params: { version: String(first.version) },
        body: reason('provider_outage_failover'),
      }
    },
  },
  'PUT /route-policies/scopes/:scope/default-route': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { scope: (await scopeWithPolicy(h)).scope },
      body: { defaultRoute: 'reject' },
    }),
  },
  'PUT /route-policies/scopes/:scope/downgrade-rules': {
    prepare: async (h) => ({
      as: { token: h.ownerToken },
      params: { scope: (await scopeWithPolicy(h)).scope },
      body: {
        downgradeRules: [
          { when: 'budget_state', budgetStates: ['downgrade'], serveTier: 'economy' },
        ],
      },
    }),
  },
  'PUT /route-policies/scopes/:scope/routes/:model/targets': {
    prepare: async (h) => {
      const { scope, route } = await scopeWithPolicy(h)
      return {
        as: { token: h.ownerToken },
        params: { scope, model: route },
        body: {
          strategy: 'weighted',
          targets: [
            { provider: 'mock', model: 'mock', weight: 3 },
            { provider: 'mock', model: 'mock-2', weight: 1 },
          ],
        },
      }
    },
  },
  'PUT /route-policies/scopes/:scope/routes/:model/fallback': {
    prepare: async (h) => {
      const { scope, route } = await scopeWithPolicy(h)
      return {
        as: { token: h.ownerToken },
        params: { scope, model: route },
        body: { fallbackOn: ['timeout'], fallbackRoute: 'fixture-economy' },
      }
    },
  },
  'PUT /route-policies/scopes/:scope/routes/:model/tier': {
    prepare: async (h) => {
      const { scope, route } = await scopeWithPolicy(h)
      return {
        as: { token: h.ownerToken },
        params: { scope, model: route },
        body: { tier: 'standard' },
      }
    },
  },
}
