import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createServices } from '../../../src/create-services.js'
import { createLocalInvalidation } from '../../../src/invalidation/index.js'
import { createManualClock } from '../../../src/lib/clock.js'
import { createCredentialCipher } from '../../../src/provider-accounts/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../../support/admin-harness.js'
import { expectOpenAIError } from '../../support/openai-shape.js'
import { TEST_MASTER_KEY } from '../../support/test-app.js'
import { testDialects } from '../../support/test-db.js'
import { dumpAllTables } from '../../support/dump-tables.js'

interface ProviderBody {
  providerAccountId: string
  name: string
  hasCredential: boolean
  credentialLabel: string | null
  source: string
  status: string
}

let nameCounter = 0
const uniqueName = (base: string) => `${base}-${(nameCounter += 1)}`

for (const dialect of testDialects()) {
  describe(`${dialect}: provider accounts`, () => {
    let h: AdminHarness
    const owner = () => ({ token: h.ownerToken })
    const reason = (code: string) => ({ reason: { code } })

    beforeAll(async () => {
      h = await createAdminHarness(dialect)
      await h.runtime.models.ready()
    })
    afterAll(() => h.close())

    async function createAccount(body: Record<string, unknown>): Promise<ProviderBody> {
      const res = await h.request({ method: 'POST', url: '/providers', as: owner(), body })
      expect(res.statusCode, res.body).toBe(201)
      return res.json<ProviderBody>()
    }

    it('keeps credentials write-only: encrypted at rest, never in a table, log, response or audit row', async () => {
      // Not sk- shaped: the free-text scrubber must not be what keeps it out.
      const canary = `CANARYcredential${Date.now()}abcdefghijXyZ9`
      const rotated = `CANARYrotated${Date.now()}abcdefghijklmnQrS7`
      const refused = `CANARYrefused${Date.now()}abcdefghijklmnopqr`
      const bodies: string[] = []
      const call = async (spec: Parameters<AdminHarness['request']>[0]) => {
        const res = await h.request(spec)
        bodies.push(res.body)
        return res
      }
      const name = uniqueName('canary')
      const created = await call({
        method: 'POST',
        url: '/providers',
        as: owner(),
        body: {
          name,
          kind: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:8000/v1',
          models: ['canary-model'],
          credential: canary,
        },
      })
      expect(created.statusCode, created.body).toBe(201)
      const account = created.json<ProviderBody>()
      expect(account).toMatchObject({ hasCredential: true, credentialLabel: '…XyZ9' })
      expect(account).not.toHaveProperty('credential')
      const id = account.providerAccountId

      await call({ method: 'GET', url: '/providers', as: owner() })
      await call({ method: 'GET', url: `/providers/${id}`, as: owner() })
      await call({
        method: 'PATCH',
        url: `/providers/${id}`,
        as: owner(),
        body: { extraHeaders: { 'X-Title': 'canary' } },
      })
      // Refused requests that carry a credential do not echo it either.
      const invalid = await call({
        method: 'POST',
        url: '/providers',
        as: owner(),
        body: { name: 'Bad Name', kind: 'openai', baseUrl: 'https://x.test', credential: refused },
      })
      expect(invalid.statusCode).toBe(400)
      const spaced = await call({
        method: 'PUT',
        url: `/providers/${id}/credential`,
        as: owner(),
        body: { credential: `${refused} ${refused}`, ...reason('rotation') },
      })
      expect(spaced.statusCode).toBe(400)
      expectOpenAIError(spaced.json(), { type: 'invalid_request_error' })
      expect(spaced.json<{ error: { param: string } }>().error.param).toBe('credential')
      const noReason = await call({
        method: 'PUT',
        url: `/providers/${id}/credential`,
        as: owner(),
        body: { credential: refused },
      })
      expect(noReason.statusCode).toBe(400)
      expectOpenAIError(noReason.json(), { code: 'reason_required' })
      const put = await call({
        method: 'PUT',
        url: `/providers/${id}/credential`,
        as: owner(),
        body: { credential: rotated, ...reason('provider_key_rotation') },
      })
      expect(put.statusCode, put.body).toBe(200)
      expect(put.json<ProviderBody>()).toMatchObject({ credentialLabel: '…QrS7' })

      // At rest: ciphertext bound to this account, under the provider-credentials key.
      const row = await h.db
        .selectFrom('provider_accounts')
        .selectAll()
        .where('provider_account_id', '=', id)
        .executeTakeFirstOrThrow()
      expect(row.credential_ciphertext).toMatch(/^v1\./)
      expect(row.credential_label).toBe('…QrS7')
      const sealed = row.credential_ciphertext!
      expect(createCredentialCipher(TEST_MASTER_KEY).open({ sealed, providerAccountId: id })).toBe(
        rotated,
      )
      expect(() =>
        createCredentialCipher(Buffer.alloc(32, 9)).open({ sealed, providerAccountId: id }),
      ).toThrow()
      expect(() =>
        createCredentialCipher(TEST_MASTER_KEY).open({ sealed, providerAccountId: `${id}x` }),
      ).toThrow()

      // In memory, for the upstream call only.
      expect(h.runtime.models.resolve('canary-model')?.account.credential).toBe(rotated)

      const tables = await dumpAllTables(h.db)
      const logs = h.logs.lines.join('\n')
      const audit = tables.audit_events ?? ''
      expect(audit).toContain('provider.credential_update')
      expect(logs.length).toBeGreaterThan(500)
      for (const secret of [canary, rotated, refused]) {
        for (const [table, dump] of Object.entries(tables))
          expect(dump, `${table} holds a credential`).not.toContain(secret)
        expect(logs, 'a log line holds a credential').not.toContain(secret)
        for (const body of bodies)
          expect(body, 'a response holds a credential').not.toContain(secret)
      }
      // The audit event references the credential (label and hash prefix), never its value.
      const events = await h.auditEvents()
      const update = events.find((e) => e.action === 'provider.credential_update')!
      expect(update.reason_code).toBe('provider_key_rotation')
      expect(JSON.parse(update.after_json!)).toMatchObject({
        credentialLabel: '…QrS7',
        credential: {
          redacted: true,
          id,
          sha256Prefix: expect.stringMatching(/^[0-9a-f]{12}$/) as unknown,
        },
      })
    })

    it('answers validation errors naming the field', async () => {
      const attempt = async (body: Record<string, unknown>) => {
        const res = await h.request({
          method: 'POST',
          url: '/providers',
          as: owner(),
          body: {
            name: uniqueName('valid'),
            kind: 'openai',
            baseUrl: 'https://x.test/v1',
            ...body,
          },
        })
        expectOpenAIError(res.json(), { type: 'invalid_request_error' })
        return {
          status: res.statusCode,
          ...res.json<{ error: { param: string; code: string } }>().error,
        }
      }
      expect(await attempt({ baseUrl: 'https://user:pw@x.test' })).toMatchObject({
        status: 400,
        param: 'baseUrl',
      })
      expect(await attempt({ baseUrl: 'ftp://x.test' })).toMatchObject({ param: 'baseUrl' })
      expect(await attempt({ extraHeaders: { Authorization: 'Bearer abc' } })).toMatchObject({
        param: 'extraHeaders.Authorization',
      })
      expect(await attempt({ extraHeaders: { 'x-api-key': 'abc' } })).toMatchObject({
        param: 'extraHeaders.x-api-key',
      })
      expect(await attempt({ models: ['gpt-4o', 'gpt-*-x'] })).toMatchObject({
        param: 'models[1]',
      })
      expect(await attempt({ settings: { forceStreamUsage: 'yes' } })).toMatchObject({
        status: 400,
        param: 'settings.forceStreamUsage',
      })
      expect(await attempt({ settings: { apiVersion: '2024-10-21' } })).toMatchObject({
        param: 'settings',
      })
      expect(await attempt({ timeouts: { headersMs: 5 } })).toMatchObject({
        param: 'timeouts.headersMs',
      })
      expect(await attempt({ kind: 'bedrock' })).toMatchObject({ param: 'kind' })
      expect(await attempt({ name: 'mock' })).toMatchObject({
        status: 409,
        code: 'provider_name_taken',
        param: 'name',
      })
      const taken = await createAccount({
        name: uniqueName('taken'),
        kind: 'openai',
        baseUrl: 'https://x.test/v1',
      })
      expect(await attempt({ name: taken.name })).toMatchObject({
        status: 409,
        code: 'provider_name_taken',
      })
      const patch = await h.request({
        method: 'PATCH',
        url: `/providers/${taken.providerAccountId}`,
        as: owner(),
        body: { settings: { nope: 1 } },
      })
      expect(patch.statusCode).toBe(400)
      expect(patch.json<{ error: { param: string } }>().error.param).toBe('settings')
    })

    it('lists configured accounts (the built-in mock) read-only', async () => {
      const list = await h.request({ method: 'GET', url: '/providers', as: owner() })
      const mock = list
        .json<{ data: ProviderBody[] }>()
        .data.find((a) => a.providerAccountId === 'prv_config_mock')
      expect(mock).toMatchObject({ name: 'mock', source: 'config', hasCredential: false })
      const get = await h.request({ method: 'GET', url: '/providers/prv_config_mock', as: owner() })
      expect(get.json()).toMatchObject({ kind: 'mock', source: 'config' })
      for (const spec of [
        { method: 'PATCH', url: '/providers/prv_config_mock', body: { status: 'disabled' } },
        {
          method: 'PUT',
          url: '/providers/prv_config_mock/credential',
          body: { credential: 'abc', ...reason('test_case') },
        },
        {
          method: 'DELETE',
          url: '/providers/prv_config_mock',
          headers: { 'x-ferry-reason-code': 'test_case' },
        },
      ] as const) {
        const res = await h.request({ ...spec, as: owner() })
        expect(res.statusCode, `${spec.method} ${res.body}`).toBe(409)
        expectOpenAIError(res.json(), { code: 'provider_account_read_only' })
      }
      const missing = await h.request({
        method: 'GET',
        url: '/providers/prv_0000000000000000000000zzzz',
        as: owner(),
      })
      expect(missing.statusCode).toBe(404)
      expectOpenAIError(missing.json(), { code: 'provider_account_not_found' })
      expect(h.runtime.models.resolve('mock?failStatus=429')?.account.kind).toBe('mock')
    })

    it('routes by each committed change as soon as the call returns', async () => {
      const models = h.runtime.models
      const account = await createAccount({
        name: uniqueName('acme'),
        kind: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:9000/v1',
        models: ['acme-large', 'acme-*'],
        aliases: { 'acme-fast': 'acme-small-2025' },
      })
      const id = account.providerAccountId
      expect(models.resolve('acme-large')).toMatchObject({ upstreamModel: 'acme-large' })
      expect(models.resolve('acme-fast')).toMatchObject({ upstreamModel: 'acme-small-2025' })
      expect(models.resolve('acme-medium')?.account.id).toBe(id)
      expect(models.listModels().map((m) => m.id)).toEqual(
        expect.arrayContaining(['acme-large', 'acme-fast']),
      )

      const patch = (body: Record<string, unknown>) =>
        h.request({ method: 'PATCH', url: `/providers/${id}`, as: owner(), body })
      expect((await patch({ status: 'disabled' })).statusCode).toBe(200)
      expect(models.resolve('acme-large')).toBeUndefined()
      expect(models.listModels().map((m) => m.id)).not.toContain('acme-large')
      expect((await patch({ status: 'active', models: ['acme-large'] })).statusCode).toBe(200)
      expect(models.resolve('acme-large')?.account.id).toBe(id)
      expect(models.resolve('acme-medium')).toBeUndefined()

      const deleted = await h.request({
        method: 'DELETE',
        url: `/providers/${id}`,
        as: owner(),
        headers: { 'x-ferry-reason-code': 'provider_retired' },
      })
      expect(deleted.json()).toEqual({ providerAccountId: id, deleted: true })
      expect(models.resolve('acme-large')).toBeUndefined()
      const noReason = await h.request({ method: 'DELETE', url: `/providers/${id}`, as: owner() })
      expectOpenAIError(noReason.json(), { code: 'reason_required' })
    })

    it('keeps a credential on its host: moving to another host needs it cleared first', async () => {
      const account = await createAccount({
        name: uniqueName('bound'),
        kind: 'openai-compatible',
        baseUrl: 'https://llm.example.com/v1',
        credential: 'bound-credential-0123456789abcdef',
      })
      const id = account.providerAccountId
      const move = (baseUrl: string) =>
        h.request({ method: 'PATCH', url: `/providers/${id}`, as: owner(), body: { baseUrl } })
      expect((await move('https://llm.example.com/openai/v1')).statusCode).toBe(200)
      const elsewhere = await move('https://attacker.example.net/v1')
      expect(elsewhere.statusCode).toBe(409)
      expectOpenAIError(elsewhere.json(), { code: 'provider_credential_bound' })
      const cleared = await h.request({
        method: 'PUT',
        url: `/providers/${id}/credential`,
        as: owner(),
        body: { credential: null, ...reason('provider_moved') },
      })
      expect(cleared.json()).toMatchObject({ hasCredential: false, credentialLabel: null })
      expect((await move('https://other.example.net/v1')).statusCode).toBe(200)
    })

    it('needs providers.write to change and providers.read to look', async () => {
      const viewer = await h.createAdmin({ role: 'viewer' })
      const token = await h.createToken(viewer)
      const list = await h.request({ method: 'GET', url: '/providers', as: { token } })
      expect(list.statusCode).toBe(200)
      const create = await h.request({
        method: 'POST',
        url: '/providers',
        as: { token },
        body: { name: uniqueName('nope'), kind: 'openai', baseUrl: 'https://x.test' },
      })
      expect(create.statusCode).toBe(403)
      expectOpenAIError(create.json(), { code: 'permission_denied' })
    })

    it('reaches other instances through the invalidation, and only with the right master key', async () => {
      const invalidation = createLocalInvalidation()
      const clock = createManualClock(Date.UTC(2026, 1, 1))
      const errors: unknown[] = []
      const build = (masterKey: Buffer) =>
        createServices({
          db: h.db,
          clock,
          masterKey,
          invalidation,
          providerAccounts: [],
          onBackgroundError: (err) => errors.push(err),
        })
      const a = build(TEST_MASTER_KEY)
      const b = build(TEST_MASTER_KEY)
      const wrongKey = build(Buffer.alloc(32, 3))
      try {
        await Promise.all([a.models.ready(), b.models.ready(), wrongKey.models.ready()])
        await a.admin.providerAccounts.create(SETUP_AUDIT, {
          name: uniqueName('shared'),
          kind: 'openai-compatible',
          baseUrl: 'http://127.0.0.1:7000/v1',
          models: ['shared-model'],
          credential: 'shared-credential-0123456789abcdef',
        })
        await vi.waitFor(() => {
          expect(b.models.resolve('shared-model')?.account.credential).toBe(
            'shared-credential-0123456789abcdef',
          )
        })
        await wrongKey.models.reload()
        expect(wrongKey.models.resolve('shared-model')).toBeUndefined()
        expect(String(errors[0])).toMatch(/cannot be decrypted/)
        expect(String(errors[0])).not.toContain('shared-credential')
        // No built-in mock when the configuration lists none.
        expect(b.models.resolve('mock')).toBeUndefined()
      } finally {
        for (const services of [a, b, wrongKey]) {
          services.stop()
          await services.providers.close()
        }
      }
    })
  })
}
