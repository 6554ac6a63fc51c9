import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createServices } from '../../../src/create-services.js'
import { createLocalInvalidation } from '../../../src/invalidation/index.js'
import { systemClock } from '../../../src/lib/clock.js'
import { PriceRowsSchema, maxCost, priceUsage } from '../../../src/pricing/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { CATCH_ALL_PRICE_ROWS } from '../../support/pricing-budget-fixtures.js'
import { TEST_MASTER_KEY } from '../../support/test-app.js'
import { createTestDb, testDialects } from '../../support/test-db.js'

interface PriceTableBody {
  priceTableId: string
  version: number
  scope: string
  organizationId: string | null
  contentHash: string
  markupBps: number
  rows: Record<string, unknown>[]
}

const MOCK = { providerAccount: 'mock', providerKind: 'mock', model: 'mock' }
const VLLM = { providerAccount: 'vllm-local', providerKind: 'openai-compatible', model: 'llama-3' }

for (const dialect of testDialects()) {
  describe(`${dialect}: price tables`, () => {
    let h: AdminHarness
    const owner = () => ({ token: h.ownerToken })

    beforeAll(async () => {
      h = await createAdminHarness(dialect)
      await h.runtime.models.ready()
      await h.runtime.priceBook.ready()
    })
    afterAll(() => h.close())

    const publish = (body: Record<string, unknown>, as: { token: string } = owner()) =>
      h.request({ method: 'POST', url: '/price-tables', as, body })

    it('has no price table at first: the price book prices nothing and says so', async () => {
      expect(h.runtime.priceBook.priceFor({ organizationId: null, target: MOCK })).toBeNull()
      const res = await h.request({ method: 'GET', url: '/price-tables/current', as: owner() })
      expect(res.statusCode).toBe(404)
      expectOpenAIError(res.json(), { code: 'price_table_not_found' })
    })

    it('refuses a table that leaves a served model unpriced, naming it, and writes nothing', async () => {
      const before = (await h.auditEvents()).length
      const res = await publish({
        rows: [
          {
            providerKind: 'openai',
            model: 'gpt-4o-mini',
            inputMicrosPer1M: 150000,
            outputMicrosPer1M: 600000,
          },
        ],
      })
      expect(res.statusCode, res.body).toBe(400)
      expectOpenAIError(res.json(), { type: 'invalid_request_error', code: 'price_missing' })
      expect(res.json<{ error: { message: string } }>().error.message).toContain('mock')
      expect((await h.auditEvents()).length).toBe(before)
      const rows = await h.db.selectFrom('price_tables').selectAll().execute()
      expect(rows).toHaveLength(0)
    })

    it('refuses two rows for the same provider and model', async () => {
      const res = await publish({ rows: [...CATCH_ALL_PRICE_ROWS, CATCH_ALL_PRICE_ROWS[0]] })
      expect(res.statusCode).toBe(400)
      expectOpenAIError(res.json(), { code: 'price_row_duplicate' })
    })

    it('publishes versions 1, 2, … each with one audited event, and prices at once', async () => {
      const first = await publish({ rows: CATCH_ALL_PRICE_ROWS, note: 'launch prices' })
      expect(first.statusCode, first.body).toBe(201)
      const v1 = first.json<PriceTableBody>()
      expect(v1).toMatchObject({
        version: 1,
        scope: 'platform',
        organizationId: null,
        markupBps: 0,
      })
      expect(v1.rows).toContainEqual({
        model: '*',
        inputMicrosPer1M: '150000',
        outputMicrosPer1M: '600000',
      })

      const before = (await h.auditEvents()).length
      const second = await publish({
        rows: [
          ...CATCH_ALL_PRICE_ROWS,
          {
            providerAccount: 'vllm-local',
            model: 'llama-3',
            inputMicrosPer1M: '10',
            cachedInputMicrosPer1M: '5',
            outputMicrosPer1M: '20',
          },
        ],
      })
      expect(second.statusCode, second.body).toBe(201)
      const v2 = second.json<PriceTableBody>()
      expect(v2.version).toBe(2)
      expect(v2.contentHash).not.toBe(v1.contentHash)
      const events = (await h.auditEvents()).slice(before)
      expect(events.map((e) => e.action)).toEqual(['price_table.publish'])
      expect(events[0]!.target_type).toBe('price_table')
      expect(events[0]!.policy_version).toBe('2')
      const after = JSON.parse(events[0]!.after_json!) as Record<string, unknown>
      expect(after).toMatchObject({
        version: 2,
        scope: 'platform',
        changes: { added: ['account:vllm-local llama-3'], removed: [], changed: [] },
      })

      const price = h.runtime.priceBook.priceFor({ organizationId: null, target: VLLM })
      expect(price?.priceTableVersion).toBe(2)
      expect(price?.row.inputMicrosPer1M).toBe(10n)
      const mock = h.runtime.priceBook.priceFor({ organizationId: null, target: MOCK })
      expect(mock?.row.free).toBe(true)
      expect(
        priceUsage({
          price: mock!,
          usage: { promptTokens: 1e6, cachedTokens: 0, completionTokens: 1e6, reasoningTokens: 0 },
        }).costMicros,
      ).toBe(0n)

      const list = await h.request({ method: 'GET', url: '/price-tables?limit=1', as: owner() })
      expect(list.json()).toMatchObject({ object: 'list', hasMore: true, nextCursor: '2' })
      const page2 = await h.request({ method: 'GET', url: '/price-tables?after=2', as: owner() })
      expect(page2.json<{ data: PriceTableBody[] }>().data.map((v) => v.version)).toEqual([1])
      const shown = await h.request({ method: 'GET', url: '/price-tables/1', as: owner() })
      expect(shown.json<PriceTableBody>().contentHash).toBe(v1.contentHash)
      const current = await h.request({ method: 'GET', url: '/price-tables/current', as: owner() })
      expect(current.json<PriceTableBody>().version).toBe(2)
    })

    it('keeps versions immutable in the database itself', async () => {
      await expect(
        sql`update price_tables set content_json = '{}' where version = 1`.execute(h.db),
      ).rejects.toThrow(/immutable|append-only/)
      await expect(sql`delete from price_tables`.execute(h.db)).rejects.toThrow(
        /immutable|append-only/,
      )
    })

    it('applies an organization override: its own rows as they are, markup on the rest', async () => {
      const organizationId = await h.createOrganization('Override Co')
      const res = await h.request({
        method: 'POST',
        url: `/orgs/${organizationId}/price-overrides`,
        as: owner(),
        body: {
          markupBps: 2000,
          rows: [
            {
              providerAccount: 'vllm-local',
              model: 'llama-3',
              inputMicrosPer1M: 1,
              outputMicrosPer1M: 1,
            },
          ],
        },
      })
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json<PriceTableBody>()).toMatchObject({
        scope: 'organization',
        organizationId,
        version: 1,
        markupBps: 2000,
      })
      const events = await h.auditEvents()
      const last = events[events.length - 1]!
      expect(last.action).toBe('price_table.publish')
      expect(last.organization_id).toBe(organizationId)

      const own = h.runtime.priceBook.priceFor({ organizationId, target: VLLM })!
      expect(own).toMatchObject({ source: 'override', markupBps: 0, overrideVersion: 1 })
      expect(own.versionLabel).toBe(`2+${organizationId}@1`)
      const other = { providerAccount: 'x', providerKind: 'openai', model: 'gpt-4o-mini' }
      const marked = h.runtime.priceBook.priceFor({ organizationId, target: other })!
      expect(marked).toMatchObject({ source: 'base', markupBps: 2000 })
      const usage = {
        promptTokens: 1_000_000,
        cachedTokens: 0,
        completionTokens: 0,
        reasoningTokens: 0,
      }
      expect(priceUsage({ price: marked, usage }).costMicros).toBe(180_000n)
      expect(maxCost({ price: marked, promptTokens: 1_000_000, maxOutputTokens: 0 })).toBe(180_001n)
      // Another organization sees the base price.
      const base = h.runtime.priceBook.priceFor({ organizationId: 'org_other', target: other })!
      expect(priceUsage({ price: base, usage }).costMicros).toBe(150_000n)

      const unknown = await h.request({
        method: 'POST',
        url: '/orgs/org_00000000000000000000000000/price-overrides',
        as: owner(),
        body: { markupBps: 10 },
      })
      expect(unknown.statusCode).toBe(404)
    })

    it('fails loudly for a model with no price once a table is in force', async () => {
      await h.services.pricing.publish(SETUP_AUDIT, {
        rows: [
          {
            provider: { kind: 'provider_kind', providerKind: 'mock' },
            model: 'mock*',
            free: true,
            inputMicrosPer1M: 0n,
            cachedInputMicrosPer1M: null,
            outputMicrosPer1M: 0n,
            reasoningMicrosPer1M: null,
          },
        ],
      })
      expect(() =>
        h.runtime.priceBook.priceFor({ organizationId: null, target: VLLM }),
      ).toThrowError(expect.objectContaining({ code: 'price_not_configured', status: 500 }))
      const coverage = await h.request({
        method: 'GET',
        url: '/price-tables/coverage',
        as: owner(),
      })
      expect(coverage.statusCode).toBe(200)
      expect(coverage.json()).toMatchObject({ object: 'price_coverage', missing: [] })
    })

    it('lets billing publish and viewers read, but not publish', async () => {
      const billing = { token: await h.createToken(await h.createAdmin({ role: 'billing' })) }
      const viewer = { token: await h.createToken(await h.createAdmin({ role: 'viewer' })) }
      expect((await publish({ rows: CATCH_ALL_PRICE_ROWS }, billing)).statusCode).toBe(201)
      const denied = await publish({ rows: CATCH_ALL_PRICE_ROWS }, viewer)
      expect(denied.statusCode).toBe(403)
      const read = await h.request({ method: 'GET', url: '/price-tables', as: viewer })
      expect(read.statusCode).toBe(200)
    })
  })
}

for (const dialect of testDialects()) {
  describe(`${dialect}: the price book on another instance`, () => {
    it('follows a publish made elsewhere through the invalidation, without a restart', async () => {
      const testDb = await createTestDb(dialect)
      const invalidation = createLocalInvalidation()
      const make = () =>
        createServices({
          db: testDb.db,
          clock: systemClock,
          masterKey: TEST_MASTER_KEY,
          invalidation,
        })
      const a = make()
      const b = make()
      try {
        await Promise.all([a.models.ready(), b.models.ready(), b.priceBook.ready()])
        expect(b.priceBook.snapshot().base).toBeNull()
        await a.admin.pricing.publish(SETUP_AUDIT, {
          rows: PriceRowsSchema.parse(CATCH_ALL_PRICE_ROWS),
        })
        await vi.waitFor(() => expect(b.priceBook.snapshot().base?.version).toBe(1))
      } finally {
        a.stop()
        b.stop()
        await testDb.destroy()
      }
    })
  })
}
