import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditLog, verifyAuditDatabase, createAuditSigner } from '../../../src/audit/index.js'
import { createLocalInvalidation } from '../../../src/invalidation/index.js'
import {
  createKeyAuthenticator,
  createKeyCache,
  createKeysService,
  invalidateKeyCache,
  InvalidApiKeyError,
  type AuthenticatedKey,
} from '../../../src/keys/index.js'
import { createManualClock } from '../../../src/lib/clock.js'
import { createOrganizationsService } from '../../../src/organizations/index.js'
import { deriveKey } from '../../../src/secrets/derive-key.js'
import { TEST_MASTER_KEY, testAuditContext } from '../../support/audit-fixtures.js'
import { jsonOf } from '../../support/json-of.js'
import { createTestDb, testDialects, type TestDb } from '../../support/test-db.js'

const HOUR = 60 * 60 * 1000
const reason = { code: 'customer_requested_key_rotation' }

for (const dialect of testDialects()) {
  describe(`${dialect}: organizations and API keys`, () => {
    let testDb: TestDb
    const clock = createManualClock(Date.UTC(2026, 10, 1))
    const hashKey = deriveKey(TEST_MASTER_KEY, 'api-key-hash')
    let orgs: ReturnType<typeof createOrganizationsService>
    let keys: ReturnType<typeof createKeysService>
    let auth: ReturnType<typeof createKeyAuthenticator>
    const ctx = testAuditContext()

    beforeAll(async () => {
      testDb = await createTestDb(dialect)
      const auditLog = createAuditLog({ db: testDb.db, clock })
      const invalidation = createLocalInvalidation()
      const cache = createKeyCache<AuthenticatedKey>({ clock })
      invalidation.subscribe((message) => invalidateKeyCache(cache, message))
      orgs = createOrganizationsService({ db: testDb.db, auditLog, clock, invalidation })
      keys = createKeysService({ db: testDb.db, auditLog, clock, invalidation, hashKey })
      auth = createKeyAuthenticator({ db: testDb.db, cache, hashKey, clock })
    })
    afterAll(() => testDb.destroy())

    async function newOrgAndKey(name: string) {
      const org = await orgs.create(ctx, { name, externalId: `ext-${name}` })
      const issued = await keys.create(ctx, {
        organizationId: org.organizationId,
        name: 'backend',
        environment: 'live',
      })
      return { org, ...issued }
    }

    it('creates a key whose secret is shown once and stored only as a hash and label', async () => {
      const { key, secret } = await newOrgAndKey('acme')
      expect(secret).toMatch(/^fk_live_[0-9A-Za-z]{55}$/)
      expect(key.label).toBe(`fk_live_…${secret.slice(-4)}`)
      const row = await testDb.db
        .selectFrom('api_keys')
        .selectAll()
        .where('key_id', '=', key.keyId)
        .executeTakeFirstOrThrow()
      expect(jsonOf(row)).not.toContain(secret)
      expect((await auth.authenticate(secret)).keyId).toBe(key.keyId)
      const events = await testDb.db
        .selectFrom('audit_events')
        .selectAll()
        .where('target_id', '=', key.keyId)
        .execute()
      expect(events.map((e) => e.action)).toEqual(['api_key.create'])
      expect(jsonOf(events)).not.toContain(secret)
    })

    it('refuses a revoked key on the very next request', async () => {
      const { key, secret } = await newOrgAndKey('revokes')
      await auth.authenticate(secret)
      await expect(keys.revoke(ctx, key.keyId)).rejects.toMatchObject({ code: 'reason_required' })
      await keys.revoke({ ...ctx, reason: { code: 'key_leaked' } }, key.keyId)
      await expect(auth.authenticate(secret)).rejects.toBeInstanceOf(InvalidApiKeyError)
    })

    it('keeps a rotated-out secret working through its grace period only', async () => {
      const { key, secret: oldSecret } = await newOrgAndKey('rotates')
      const rotated = await keys.rotate({ ...ctx, reason }, key.keyId, { graceMs: 24 * HOUR })
      expect(rotated.secret).not.toBe(oldSecret)
      expect(rotated.key.graceEndsAt).toBe(new Date(clock.nowMs() + 24 * HOUR).toISOString())
      expect((await auth.authenticate(rotated.secret)).keyId).toBe(key.keyId)
      expect((await auth.authenticate(oldSecret)).keyId).toBe(key.keyId)
      clock.advance(24 * HOUR - 1)
      expect((await auth.authenticate(oldSecret)).keyId).toBe(key.keyId)
      clock.advance(1)
      await expect(auth.authenticate(oldSecret)).rejects.toBeInstanceOf(InvalidApiKeyError)
      expect((await auth.authenticate(rotated.secret)).keyId).toBe(key.keyId)
    })

    it('stops the old secret at once when rotated with no grace', async () => {
      const { key, secret } = await newOrgAndKey('rotates-now')
      const rotated = await keys.rotate({ ...ctx, reason }, key.keyId, { graceMs: 0 })
      await expect(auth.authenticate(secret)).rejects.toBeInstanceOf(InvalidApiKeyError)
      expect((await auth.authenticate(rotated.secret)).keyId).toBe(key.keyId)
    })

    it('honours expiry, and clearing it', async () => {
      const { key, secret } = await newOrgAndKey('expires')
      await keys.setExpiry(ctx, key.keyId, new Date(clock.nowMs() + HOUR).toISOString())
      await auth.authenticate(secret)
      clock.advance(HOUR)
      await expect(auth.authenticate(secret)).rejects.toBeInstanceOf(InvalidApiKeyError)
      await keys.setExpiry(ctx, key.keyId, null)
      expect((await auth.authenticate(secret)).keyId).toBe(key.keyId)
    })

    it('renames, rescopes, sets rate limits and changes environment, each audited with before/after', async () => {
      const { key, secret } = await newOrgAndKey('lifecycle')
      await keys.rename(ctx, key.keyId, 'renamed')
      await keys.updateScopes(ctx, key.keyId, {
        models: ['gpt-4o-mini'],
        endpoints: ['chat.completions'],
      })
      await keys.setRateLimits(ctx, key.keyId, { requestsPerMinute: 60, tokensPerMinute: 10_000 })
      const authed = await auth.authenticate(secret)
      expect(authed).toMatchObject({
        name: 'renamed',
        scopes: { models: ['gpt-4o-mini'], endpoints: ['chat.completions'] },
        rateLimits: { requestsPerMinute: 60, tokensPerMinute: 10_000 },
      })
      await expect(keys.changeEnvironment(ctx, key.keyId, 'test')).rejects.toMatchObject({
        code: 'reason_required',
      })
      const moved = await keys.changeEnvironment(
        { ...ctx, reason: { code: 'move_to_sandbox' } },
        key.keyId,
        'test',
      )
      expect(moved.secret).toMatch(/^fk_test_/)
      await expect(auth.authenticate(secret)).rejects.toBeInstanceOf(InvalidApiKeyError)
      expect((await auth.authenticate(moved.secret)).environment).toBe('test')
      const events = await testDb.db
        .selectFrom('audit_events')
        .select(['action', 'before_json', 'after_json', 'reason_code'])
        .where('target_id', '=', key.keyId)
        .orderBy('sequence')
        .execute()
      expect(events.map((e) => e.action)).toEqual([
        'api_key.create',
        'api_key.rename',
        'api_key.scope_update',
        'api_key.rate_limit_update',
        'api_key.environment_update',
      ])
      expect(JSON.parse(events[1]!.before_json!)).toMatchObject({ name: 'backend' })
      expect(JSON.parse(events[1]!.after_json!)).toMatchObject({ name: 'renamed' })
      expect(events[4]!.reason_code).toBe('move_to_sandbox')
      expect(JSON.stringify(events)).not.toContain(moved.secret)
    })

    it('refuses every key of a suspended organization, and accepts them again on reactivation', async () => {
      const { org, secret } = await newOrgAndKey('suspends')
      await auth.authenticate(secret)
      await orgs.suspend({ ...ctx, reason: { code: 'unpaid_invoice' } }, org.organizationId)
      await expect(auth.authenticate(secret)).rejects.toBeInstanceOf(InvalidApiKeyError)
      await orgs.reactivate({ ...ctx, reason: { code: 'invoice_paid' } }, org.organizationId)
      await auth.authenticate(secret)
    })

    it('refuses malformed and unknown secrets without telling them apart', async () => {
      const { secret } = await newOrgAndKey('malformed')
      const typo = secret.slice(0, 20) + (secret[20] === 'a' ? 'b' : 'a') + secret.slice(21)
      const unknown = await auth.authenticate('fk_live_nope').catch((e: unknown) => e)
      const mistyped = await auth.authenticate(typo).catch((e: unknown) => e)
      expect(unknown).toBeInstanceOf(InvalidApiKeyError)
      expect(mistyped).toBeInstanceOf(InvalidApiKeyError)
      expect((mistyped as InvalidApiKeyError).code).toBe('invalid_api_key')
    })

    it('keeps external IDs unique and the audit chain valid', async () => {
      await expect(orgs.create(ctx, { name: 'dup', externalId: 'ext-acme' })).rejects.toMatchObject(
        { status: 409 },
      )
      const result = await verifyAuditDatabase(testDb.db, {
        trustedKeys: [createAuditSigner(TEST_MASTER_KEY).publicKey],
      })
      expect(result.firstProblem?.message).toBeUndefined()
    })
  })
}
