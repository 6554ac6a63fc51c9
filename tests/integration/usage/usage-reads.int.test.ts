import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { UsageEventsTable } from '../../../src/usage/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { testDialects } from '../../support/test-db.js'
import { csvRecords, insertUsageRows, usageDraft, usageRow } from '../../support/usage-fixtures.js'

interface WireEvent {
  usageId: string
  keyId: string
  createdAt: string
  costMicros: string
  httpStatus: number
}
interface WirePage {
  object: 'list'
  data: WireEvent[]
  hasMore: boolean
  nextCursor: string | null
}

const at = (day: number, second: number) =>
  new Date(Date.UTC(2026, 2, day, 12, 0, second)).toISOString()
const newestFirst = (a: UsageEventsTable, b: UsageEventsTable) =>
  a.created_at === b.created_at
    ? b.usage_id.localeCompare(a.usage_id)
    : b.created_at.localeCompare(a.created_at)

for (const dialect of testDialects()) {
  describe(`${dialect}: usage reads — pages, aggregates, the CSV export`, () => {
    let h: AdminHarness
    let orgA: string
    let orgB: string
    const rowsA: UsageEventsTable[] = []
    const owner = () => ({ token: h.ownerToken })
    const get = (url: string, as: { token: string } = owner()) =>
      h.request({ method: 'GET', url, as })

    beforeAll(async () => {
      h = await createAdminHarness(dialect)
      orgA = await h.createOrganization('Usage A')
      orgB = await h.createOrganization('Usage B')
      // 60 rows over 3 days; five at a time share one created_at, so the cursor's tie-break
      // on usage_id is what keeps pages apart.
      for (let i = 0; i < 60; i++) {
        rowsA.push(
          usageRow(
            usageDraft({
              organizationId: orgA,
              keyId: i % 2 === 0 ? 'key_a' : 'key_b',
              keyLabel: i % 2 === 0 ? 'sk-…aaaa' : 'sk-…bbbb',
              modelRequested: i % 3 === 0 ? 'smart' : 'mock',
              modelServed: i % 4 === 0 ? 'mock-cheap' : 'mock',
              httpStatus: i % 7 === 0 ? 429 : 200,
              promptTokens: i,
              cachedTokens: i % 5,
              completionTokens: 2 * i,
              reasoningTokens: i % 3,
            }),
            { createdAt: at(1 + (i % 3), Math.floor(i / 15)), costMicros: BigInt(i * 7) },
          ),
        )
      }
      const noise = Array.from({ length: 20 }, (_, i) =>
        usageRow(usageDraft({ organizationId: orgB, keyId: 'key_a' }), {
          createdAt: at(1, i % 4),
          costMicros: 1000n,
        }),
      )
      await insertUsageRows(h.db, [...rowsA, ...noise])
    })
    afterAll(() => h.close())

    async function allPages(query: string, limit: number): Promise<WireEvent[]> {
      const seen: WireEvent[] = []
      let cursor: string | null = null
      for (let pages = 0; pages < 100; pages++) {
        const res = await get(
          `/usage?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
        expect(res.statusCode, res.body).toBe(200)
        const page = res.json<WirePage>()
        seen.push(...page.data)
        if (!page.hasMore) {
          expect(page.nextCursor).toBeNull()
          return seen
        }
        cursor = page.nextCursor
      }
      throw new Error('too many pages')
    }

    it('pages through filtered events newest first with no duplicate and no gap', async () => {
      const expected = rowsA.filter((r) => r.key_id === 'key_a').sort(newestFirst)
      for (const limit of [1, 4, 7, 30, 31]) {
        const seen = await allPages(`organizationId=${orgA}&keyId=key_a`, limit)
        expect(seen.map((e) => e.usageId)).toEqual(expected.map((r) => r.usage_id))
      }
      const ok = await allPages(`organizationId=${orgA}&httpStatus=2xx&modelServed=mock`, 4)
      expect(ok.map((e) => e.usageId)).toEqual(
        rowsA
          .filter((r) => r.http_status === 200 && r.model_served === 'mock')
          .sort(newestFirst)
          .map((r) => r.usage_id),
      )
      const refused = await allPages(`organizationId=${orgA}&httpStatus=429`, 50)
      expect(refused).toHaveLength(rowsA.filter((r) => r.http_status === 429).length)
    })

    it('bounds a period: from inclusive, to exclusive', async () => {
      const seen = await allPages(
        `organizationId=${orgA}&from=${at(2, 0)}&to=${encodeURIComponent(at(3, 0))}`,
        100,
      )
      expect(seen.map((e) => e.usageId).sort()).toEqual(
        rowsA
          .filter((r) => r.created_at >= at(2, 0) && r.created_at < at(3, 0))
          .map((r) => r.usage_id)
          .sort(),
      )
      expect(seen.every((e) => typeof e.costMicros === 'string')).toBe(true)
    })

    it('keeps an admin in a support session to that organization', async () => {
      const support = await h.createAdmin({ role: 'support' })
      const token = await h.createToken(support)
      await h.services.supportSessions.start(SETUP_AUDIT, {
        adminId: support.adminId,
        organizationId: orgA,
        durationMs: 60 * 60_000,
      })
      const own = await get('/usage?limit=500', { token })
      expect(own.statusCode, own.body).toBe(200)
      expect(own.json<WirePage>().data).toHaveLength(rowsA.length)
      const other = await get(`/usage/aggregates?groupBy=day&organizationId=${orgB}`, { token })
      expect(other.statusCode).toBe(403)
      expect(other.json()).toMatchObject({ error: { code: 'permission_denied' } })
    })

    it('refuses a cursor it did not write', async () => {
      const res = await get(`/usage?organizationId=${orgA}&cursor=bm90LWEtY3Vyc29y`)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ error: { param: 'cursor' } })
    })

    it('aggregates by day, model, model pair and key exactly as a hand sum', async () => {
      const handSum = (keyOf: (r: UsageEventsTable) => string) => {
        const groups = new Map<string, Record<string, string>>()
        for (const r of rowsA) {
          const k = keyOf(r)
          const g = groups.get(k) ?? {
            requests: '0',
            promptTokens: '0',
            cachedTokens: '0',
            completionTokens: '0',
            reasoningTokens: '0',
            costMicros: '0',
          }
          const add = (name: string, v: number | bigint) =>
            (g[name] = (BigInt(g[name]!) + BigInt(v)).toString())
          add('requests', 1)
          add('promptTokens', r.prompt_tokens)
          add('cachedTokens', r.cached_tokens)
          add('completionTokens', r.completion_tokens)
          add('reasoningTokens', r.reasoning_tokens)
          add('costMicros', r.cost_micros)
          groups.set(k, g)
        }
        return groups
      }
      const cases = [
        ['day', (r: UsageEventsTable) => r.created_at.slice(0, 10), 'day'],
        ['model', (r: UsageEventsTable) => String(r.model_served), 'modelServed'],
        [
          'model_pair',
          (r: UsageEventsTable) => `${r.model_requested}>${r.model_served}`,
          'modelRequested',
        ],
        ['key', (r: UsageEventsTable) => r.key_id, 'keyId'],
      ] as const
      for (const [groupBy, keyOf] of cases) {
        const res = await get(`/usage/aggregates?organizationId=${orgA}&groupBy=${groupBy}`)
        expect(res.statusCode, res.body).toBe(200)
        const body = res.json<{
          data: (Record<string, string> & {
            day: string | null
            modelServed: string | null
            modelRequested: string | null
            keyId: string | null
          })[]
          totals: Record<string, string>
        }>()
        const expected = handSum(keyOf)
        expect(body.data).toHaveLength(expected.size)
        for (const group of body.data) {
          const key =
            groupBy === 'day'
              ? group.day!
              : groupBy === 'model'
                ? group.modelServed!
                : groupBy === 'model_pair'
                  ? `${group.modelRequested}>${group.modelServed}`
                  : group.keyId!
          expect(group, `${groupBy} ${key}`).toMatchObject(expected.get(key)!)
        }
        expect(body.totals.requests).toBe('60')
        expect(body.totals.costMicros).toBe(
          rowsA.reduce((s, r) => s + r.cost_micros, 0n).toString(),
        )
      }
      const platform = await get(`/usage/aggregates?groupBy=key`)
      expect(platform.json<{ totals: { requests: string } }>().totals.requests).toBe('80')
    })

    it('exports without usage.export: 403 and no audit event; with it: exactly one export.usage_csv', async () => {
      const viewer = await h.createAdmin({ role: 'viewer' })
      const viewerToken = await h.createToken(viewer)
      const before = await h.auditEvents()
      const denied = await get(`/usage/export?organizationId=${orgA}&month=2026-03`, {
        token: viewerToken,
      })
      expect(denied.statusCode).toBe(403)
      expect(denied.json()).toMatchObject({ error: { code: 'permission_denied' } })
      expect(await h.auditEvents()).toHaveLength(before.length)

      const billingToken = await h.createToken(await h.createAdmin({ role: 'billing' }))
      const beforeExport = await h.auditEvents()
      const res = await get(`/usage/export?organizationId=${orgA}&month=2026-03`, {
        token: billingToken,
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/csv/)
      expect(res.headers['x-ferry-usage-export-version']).toBe('1')
      expect(res.headers['content-disposition']).toContain(`ferry-usage-${orgA}-all-2026-03.csv`)
      const records = csvRecords(res.body)
      expect(records.map((r) => r.usage_id)).toEqual(
        [...rowsA]
          .sort(newestFirst)
          .reverse()
          .map((r) => r.usage_id),
      )
      const events = (await h.auditEvents()).slice(beforeExport.length)
      const exports = events.filter((e) => e.action === 'export.usage_csv')
      expect(exports).toHaveLength(1)
      expect(exports[0]!.organization_id).toBe(orgA)
      expect(JSON.parse(exports[0]!.after_json!)).toMatchObject({
        kind: 'usage_csv',
        period: '2026-03',
        rows: 60,
        filters: { organizationId: orgA, environment: 'all' },
      })
      // Reads are not audited; only the export is.
      expect(events.filter((e) => e.action !== 'export.usage_csv')).toEqual([])
    })

    it('neutralises formula cells and quotes per RFC 4180, parsing back to the same values', async () => {
      const org = await h.createOrganization('Formula Co')
      const hostile = {
        keyLabel: '=HYPERLINK("http://evil","x")',
        modelRequested: '+SUM(A1:A9)',
        modelServed: '-2+3',
        provider: '@cmd',
        route: '\tcmd',
        endpoint: 'a,b"c\r\nd',
        errorCode: '\rboom',
      }
      await insertUsageRows(h.db, [
        usageRow(usageDraft({ organizationId: org, ...hostile }), { createdAt: at(5, 0) }),
      ])
      const res = await get(`/usage/export?organizationId=${org}&month=2026-03`)
      expect(res.statusCode).toBe(200)
      const [record] = csvRecords(res.body)
      expect(record).toMatchObject({
        key_label: `'${hostile.keyLabel}`,
        model_requested: `'${hostile.modelRequested}`,
        model_served: `'${hostile.modelServed}`,
        provider: `'${hostile.provider}`,
        route: `'${hostile.route}`,
        endpoint: hostile.endpoint,
        error_code: `'${hostile.errorCode}`,
        cost_micros: '0',
        cost: '0.000000',
      })
    })

    it('streams a large export page by page, in constant memory, parsing back to every row', async () => {
      const org = await h.createOrganization('Big Co')
      const N = 20_000
      const rows = Array.from({ length: N }, (_, i) =>
        usageRow(usageDraft({ organizationId: org, promptTokens: i, keyId: `key_${i % 9}` }), {
          createdAt: at(1 + (i % 28), i % 60),
          costMicros: BigInt(i),
        }),
      )
      await insertUsageRows(h.db, rows)
      const address = await h.app.listen({ port: 0, host: '127.0.0.1' })
      const chunks: number[] = []
      let firstChunkBeforeEnd = false
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          `${address}/admin/v1/usage/export?organizationId=${org}&month=2026-03&environment=live`,
          { headers: { authorization: `Bearer ${h.ownerToken}` } },
          (res) => {
            expect(res.statusCode).toBe(200)
            expect(res.headers['transfer-encoding']).toBe('chunked')
            expect(res.headers['x-ferry-usage-export-rows']).toBe(String(N))
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (chunk: string) => {
              if (chunks.length === 0) firstChunkBeforeEnd = !res.readableEnded
              chunks.push(chunk.length)
              text += chunk
            })
            res.on('end', () => resolve(text))
            res.on('error', reject)
          },
        )
        req.on('error', reject)
        req.end()
      })
      expect(firstChunkBeforeEnd).toBe(true)
      // Sent as it is read: many chunks, none holding the whole file.
      expect(chunks.length).toBeGreaterThan(10)
      expect(Math.max(...chunks)).toBeLessThan(body.length / 10)
      const records = csvRecords(body)
      const expected = [...rows].sort(newestFirst).reverse()
      expect(records).toHaveLength(N)
      expect(records.map((r) => r.usage_id)).toEqual(expected.map((r) => r.usage_id))
      expect(records.map((r) => r.prompt_tokens)).toEqual(
        expected.map((r) => String(r.prompt_tokens)),
      )
      expect(records.reduce((s, r) => s + BigInt(r.cost_micros!), 0n)).toBe(
        rows.reduce((s, r) => s + r.cost_micros, 0n),
      )

      // Lazy: rows stored after the first page was sent still appear, so nothing was buffered.
      const started = await h.services.usage.startExport(SETUP_AUDIT, {
        organizationId: org,
        month: '2026-03',
        from: at(1, 0),
        to: '2026-04-01T00:00:00.000Z',
      })
      const iterator = started.lines[Symbol.asyncIterator]()
      await iterator.next() // the header
      await iterator.next() // the first rows
      const late = usageRow(usageDraft({ organizationId: org }), { createdAt: at(31, 59) })
      await insertUsageRows(h.db, [late])
      let last = ''
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        last = next.value
      expect(last).toContain(late.usage_id)
      expect(started.rows).toBe(BigInt(N))
    })
  })
}
