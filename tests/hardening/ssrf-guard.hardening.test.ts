import type { LookupAddress, LookupOptions } from 'node:dns'
import type { LookupFunction } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_MOCK_PROVIDER_ACCOUNT } from '../../src/config/resolve-provider-accounts.js'
import { createUndiciTransport, type UpstreamAddressPolicy } from '../../src/providers/index.js'
import { SETUP_AUDIT, createAdminHarness, type AdminHarness } from '../support/admin-harness.js'
import {
  startOpenAIUpstream,
  type OpenAIUpstream,
} from '../support/mock-upstreams/openai-upstream.js'
import { expectOpenAIError } from '../support/openai-shape.js'
import { recordReliability } from '../support/reliability-log.js'
import { buildTestApp } from '../support/test-app.js'
import { createTestDb, testDialects } from '../support/test-db.js'

/**
 * Issue 11, SSRF guard: provider base URLs set by admins (and in the configuration) cannot point
 * at link-local, cloud metadata or reserved addresses, in any spelling, unless the operator lists
 * them; with `providers.allowPrivateBaseUrls: false` private addresses are refused too. Checked at
 * write time (400 naming `baseUrl`) and again on every connection, after DNS (rebinding).
 */

const SEED = 20260111

/** A forbidden IPv4 address in one of the spellings a URL parser accepts. */
type Spelled = { host: string; spelling: string }

function spellIPv4(octets: readonly number[]): Spelled[] {
  const [a, b, c, d] = octets as [number, number, number, number]
  const int = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d
  const hex = (n: number, w = 2) => n.toString(16).padStart(w, '0')
  const mapped = `${hex((a << 8) | b, 1)}:${hex((c << 8) | d, 1)}`
  return [
    { host: `${a}.${b}.${c}.${d}`, spelling: 'dotted decimal' },
    { host: String(int), spelling: 'decimal integer' },
    { host: `0x${int.toString(16)}`, spelling: 'hex integer' },
    { host: octets.map((o) => `0${o.toString(8)}`).join('.'), spelling: 'octal octets' },
    { host: octets.map((o) => `0x${hex(o)}`).join('.'), spelling: 'hex octets' },
    { host: `${a}.${b}.${(c << 8) | d}`, spelling: 'a.b.16-bit' },
    { host: `[::ffff:${a}.${b}.${c}.${d}]`, spelling: 'IPv4-mapped IPv6' },
    { host: `[::ffff:${mapped}]`, spelling: 'IPv4-mapped IPv6 (hex)' },
    { host: `[64:ff9b::${mapped}]`, spelling: 'NAT64' },
    { host: `[2002:${mapped}::1]`, spelling: '6to4' },
  ]
}

const octet = fc.integer({ min: 0, max: 255 })
const linkLocalV4 = fc.tuple(octet, octet).map(([c, d]) => [169, 254, c, d])
const thisNetworkV4 = fc.tuple(octet, octet, octet).map(([b, c, d]) => [0, b, c, d])
const multicastV4 = fc
  .tuple(fc.integer({ min: 224, max: 239 }), octet, octet, octet)
  .map(([a, b, c, d]) => [a, b, c, d])
const linkLocalV6 = fc
  .tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), fc.integer({ min: 1, max: 0xffff }))
  .map(([first, last]) => ({
    host: `[${first.toString(16)}::${last.toString(16)}]`,
    spelling: 'IPv6',
  }))

/** Every forbidden host tried, with the class it belongs to (for the report's breakdown). */
function forbiddenHosts(): { host: string; kind: string; spelling: string }[] {
  const out: { host: string; kind: string; spelling: string }[] = []
  const add = (kind: string, spelled: Spelled[]) =>
    out.push(...spelled.map((s) => ({ ...s, kind })))
  add('metadata', spellIPv4([169, 254, 169, 254]))
  add('metadata', spellIPv4([100, 100, 100, 200]))
  add('metadata', [
    { host: '[fd00:ec2::254]', spelling: 'IPv6' },
    { host: 'metadata.google.internal', spelling: 'name' },
    { host: 'METADATA.Google.Internal.', spelling: 'name, mixed case, trailing dot' },
    { host: 'metadata.goog', spelling: 'name' },
    { host: 'instance-data.ec2.internal', spelling: 'name' },
  ])
  for (const v4 of fc.sample(linkLocalV4, { numRuns: 6, seed: SEED }))
    add('link-local', spellIPv4(v4))
  add('link-local', fc.sample(linkLocalV6, { numRuns: 6, seed: SEED }))
  for (const v4 of fc.sample(thisNetworkV4, { numRuns: 2, seed: SEED }))
    add('unspecified / this network', spellIPv4(v4))
  add('unspecified / this network', [
    { host: '0', spelling: 'decimal integer' },
    { host: '[::]', spelling: 'IPv6' },
  ])
  for (const v4 of fc.sample(multicastV4, { numRuns: 2, seed: SEED }))
    add('multicast / broadcast / reserved', spellIPv4(v4))
  add('multicast / broadcast / reserved', [
    ...spellIPv4([255, 255, 255, 255]),
    ...spellIPv4([240, 0, 0, 1]),
    { host: '[ff02::1]', spelling: 'IPv6' },
  ])
  return out
}

const PRIVATE_HOSTS = [
  '127.0.0.1',
  '2130706433', // 127.0.0.1 as an integer
  'localhost',
  '[::1]',
  '[::ffff:127.0.0.1]',
  '10.20.30.40',
  '172.16.0.9',
  '192.168.1.10',
  '100.64.0.1',
  '[fd12:3456::1]',
]
const PUBLIC_HOSTS = ['api.openai.com', '93.184.216.34', '[2606:4700:4700::1111]', '172.32.0.1']

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1
  return out
}

let nameCounter = 0
const accountName = () => `ssrf-${(nameCounter += 1)}`

/** Create an account through the admin API and say what happened. */
async function tryCreate(h: AdminHarness, baseUrl: string) {
  return h.request({
    method: 'POST',
    url: '/providers',
    as: { token: h.ownerToken },
    body: { name: accountName(), kind: 'openai-compatible', baseUrl, models: ['m'] },
  })
}

/** A refusal as the guard must give it: 400, OpenAI's shape, naming baseUrl, nothing written. */
function isProperRefusal(res: { statusCode: number; json: () => unknown }): boolean {
  if (res.statusCode !== 400) return false
  const error = (res.json() as { error?: Record<string, unknown> }).error
  if (!error) return false
  try {
    expectOpenAIError(res.json(), { type: 'invalid_request_error', code: 'base_url_forbidden' })
  } catch {
    return false
  }
  return error.param === 'baseUrl'
}

async function stateOf(h: AdminHarness) {
  const accounts = await h.db.selectFrom('provider_accounts').selectAll().execute()
  const events = await h.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow()
  return { accounts: JSON.stringify(accounts), events: String(events.n) }
}

for (const dialect of testDialects()) {
  describe(`${dialect}: SSRF guard on admin writes of provider base URLs`, () => {
    let h: AdminHarness
    beforeAll(async () => {
      h = await createAdminHarness(dialect)
    })
    afterAll(() => h.close())

    it('refuses every link-local, metadata and reserved host, in every spelling, on create and update', async () => {
      const hosts = forbiddenHosts()
      const existing = await tryCreate(h, 'http://127.0.0.1:8000/v1')
      expect(existing.statusCode, existing.body).toBe(201)
      const accountId = existing.json<{ providerAccountId: string }>().providerAccountId
      const failures: string[] = []
      for (const { host, kind, spelling } of hosts) {
        const baseUrl = `http://${host}:8080/v1`
        const before = await stateOf(h)
        const created = await tryCreate(h, baseUrl)
        const updated = await h.request({
          method: 'PATCH',
          url: `/providers/${accountId}`,
          as: { token: h.ownerToken },
          body: { baseUrl },
        })
        const after = await stateOf(h)
        if (!isProperRefusal(created))
          failures.push(`create ${baseUrl} (${kind}, ${spelling}): ${created.statusCode}`)
        if (!isProperRefusal(updated))
          failures.push(`update ${baseUrl} (${kind}, ${spelling}): ${updated.statusCode}`)
        if (after.accounts !== before.accounts || after.events !== before.events)
          failures.push(`${baseUrl}: a refused write changed state`)
      }
      recordReliability({
        area: 'ssrf',
        check: `${dialect}: admin create and update of provider base URLs on link-local, metadata and reserved hosts (decimal, octal, hex, IPv4-mapped, NAT64, 6to4 spellings)`,
        cases: hosts.length * 2,
        failures: failures.length,
        expectation:
          "400 base_url_forbidden in OpenAI's shape naming baseUrl; no account written or changed, no audit event",
        breakdown: countBy(hosts, (x) => x.kind),
      })
      expect(failures).toEqual([])
    })

    it('accepts loopback, private and public hosts by default (self-hosted models, the local mock)', async () => {
      const failures: string[] = []
      for (const host of [...PRIVATE_HOSTS, ...PUBLIC_HOSTS]) {
        const res = await tryCreate(h, `http://${host}:8000/v1`)
        if (res.statusCode !== 201) failures.push(`${host}: ${res.statusCode} ${res.body}`)
      }
      recordReliability({
        area: 'ssrf',
        check: `${dialect}: provider base URLs on loopback, RFC 1918, CGNAT, unique-local and public hosts with the default policy`,
        cases: PRIVATE_HOSTS.length + PUBLIC_HOSTS.length,
        failures: failures.length,
        expectation: '201: the default allows private networks, where self-hosted models live',
      })
      expect(failures).toEqual([])
    })
  })
}

describe('SSRF guard: operator options', () => {
  const dialect = testDialects()[0] ?? 'sqlite'

  it('refuses private hosts when providers.allowPrivateBaseUrls is false, and still allows public ones', async () => {
    const h = await createAdminHarness(dialect, {
      app: { upstreamAddresses: { allowPrivateBaseUrls: false, allowedBaseUrlHosts: [] } },
    })
    try {
      const failures: string[] = []
      for (const host of PRIVATE_HOSTS) {
        const res = await tryCreate(h, `http://${host}:8000/v1`)
        if (!isProperRefusal(res)) failures.push(`${host}: ${res.statusCode}`)
      }
      for (const host of PUBLIC_HOSTS) {
        const res = await tryCreate(h, `https://${host}/v1`)
        if (res.statusCode !== 201) failures.push(`${host}: ${res.statusCode}`)
      }
      recordReliability({
        area: 'ssrf',
        check: 'provider base URLs with providers.allowPrivateBaseUrls: false',
        cases: PRIVATE_HOSTS.length + PUBLIC_HOSTS.length,
        failures: failures.length,
        expectation: 'private and loopback hosts 400 base_url_forbidden; public hosts 201',
        breakdown: { private: PRIVATE_HOSTS.length, public: PUBLIC_HOSTS.length },
      })
      expect(failures).toEqual([])
    } finally {
      await h.close()
    }
  })

  it('allows exactly what providers.allowedBaseUrlHosts lists', async () => {
    const h = await createAdminHarness(dialect, {
      app: {
        upstreamAddresses: {
          allowPrivateBaseUrls: true,
          allowedBaseUrlHosts: ['169.254.10.0/24', 'metadata.goog'],
        },
      },
    })
    try {
      expect((await tryCreate(h, 'http://169.254.10.7:8000/v1')).statusCode).toBe(201)
      expect((await tryCreate(h, 'http://metadata.goog/v1')).statusCode).toBe(201)
      expect(isProperRefusal(await tryCreate(h, 'http://169.254.169.254/v1'))).toBe(true)
      expect(isProperRefusal(await tryCreate(h, 'http://169.254.11.7/v1'))).toBe(true)
    } finally {
      await h.close()
    }
  })

  it('refuses to start with a configured account on a metadata address', async () => {
    const testDb = await createTestDb(dialect)
    try {
      expect(() =>
        buildTestApp({
          db: testDb.db,
          providerAccounts: [
            BUILTIN_MOCK_PROVIDER_ACCOUNT,
            {
              ...BUILTIN_MOCK_PROVIDER_ACCOUNT,
              name: 'imds',
              kind: 'openai-compatible',
              baseUrl: 'http://[::ffff:169.254.169.254]/v1',
              models: ['imds'],
              origin: 'file',
            },
          ],
        }),
      ).toThrow(/account 'imds': baseUrl: points at a cloud instance metadata service/)
    } finally {
      await testDb.destroy()
    }
  })
})

/** A DNS lookup that answers from a table the test changes (what a rebinding attacker controls). */
function scriptedLookup(answers: { current: string[] }): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    const addresses: LookupAddress[] = answers.current.map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }))
    if (options.all) callback(null, addresses)
    else callback(null, addresses[0]!.address, addresses[0]!.family)
  }
}

describe('SSRF guard at connect time (after DNS)', () => {
  let upstream: OpenAIUpstream
  beforeAll(async () => {
    upstream = await startOpenAIUpstream()
  })
  afterAll(() => upstream.close())

  const timeouts = { connectMs: 2_000, headersMs: 5_000, bodyIdleMs: 5_000 }
  const policy: UpstreamAddressPolicy = { allowPrivateBaseUrls: true, allowedBaseUrlHosts: [] }

  async function send(transport: ReturnType<typeof createUndiciTransport>, url: string) {
    try {
      const res = await transport.send(
        { method: 'GET', url, headers: {} },
        { signal: new AbortController().signal, timeouts },
      )
      for await (const _ of res.body) void _
      return { status: res.status, code: null }
    } catch (err) {
      return { status: null, code: (err as { code?: string }).code ?? String(err) }
    }
  }

  it('refuses a name that rebinds to a metadata or link-local address, without connecting', async () => {
    const port = new URL(upstream.origin).port
    const answers = { current: ['127.0.0.1'] }
    const transport = createUndiciTransport({
      addressPolicy: policy,
      lookup: scriptedLookup(answers),
    })
    const url = `http://models.rebind.test:${port}/v1/models`
    const rebinds = [
      ['169.254.169.254'],
      ['::ffff:169.254.169.254'],
      ['fd00:ec2::254'],
      ['169.254.3.4'],
      ['fe80::1'],
      ['0.0.0.0'],
      ['127.0.0.1', '169.254.169.254'], // one good answer does not excuse a bad one
    ]
    const failures: string[] = []
    try {
      const first = await send(transport, url)
      if (first.status !== 200) failures.push(`first lookup (127.0.0.1): ${JSON.stringify(first)}`)
      for (const answer of rebinds) {
        await transport.close() // next call opens a new connection, so DNS is asked again
        answers.current = answer
        const connectionsBefore = upstream.connectionCount()
        const result = await send(transport, url)
        if (result.code !== 'FERRY_UPSTREAM_ADDRESS_FORBIDDEN')
          failures.push(`${answer.join(',')}: ${JSON.stringify(result)}`)
        if (upstream.connectionCount() !== connectionsBefore)
          failures.push(`${answer.join(',')}: a connection was opened`)
      }
    } finally {
      await transport.close()
    }
    recordReliability({
      area: 'ssrf',
      check:
        'DNS rebinding: an allowed upstream name that later resolves to metadata, link-local or unspecified addresses',
      cases: rebinds.length + 1,
      failures: failures.length,
      expectation:
        'the first (loopback) answer connects; every forbidden answer is refused by the connector before a socket opens',
    })
    expect(failures).toEqual([])
  })

  it('refuses IP literals by policy before connecting (private when not allowed)', async () => {
    const port = new URL(upstream.origin).port
    const strict = createUndiciTransport({
      addressPolicy: { allowPrivateBaseUrls: false, allowedBaseUrlHosts: [] },
    })
    const before = upstream.connectionCount()
    try {
      for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]']) {
        expect((await send(strict, `http://${host}:${port}/v1/models`)).code).toBe(
          'FERRY_UPSTREAM_ADDRESS_FORBIDDEN',
        )
      }
      expect(upstream.connectionCount()).toBe(before)
    } finally {
      await strict.close()
    }
  })

  it('answers /v1 with a 502 in OpenAI shape for a stored account the tightened policy forbids', async () => {
    const dialect = testDialects()[0] ?? 'sqlite'
    const testDb = await createTestDb(dialect)
    // Saved while private addresses were allowed…
    const lenient = buildTestApp({ db: testDb.db })
    await lenient.services.admin.providerAccounts.create(SETUP_AUDIT, {
      name: 'self-hosted',
      kind: 'openai-compatible',
      baseUrl: `${upstream.origin}/v1`,
      models: ['self-hosted-model'],
    })
    const org = await lenient.services.admin.organizations.create(SETUP_AUDIT, { name: 'Acme' })
    const { secret } = await lenient.services.admin.keys.create(SETUP_AUDIT, {
      organizationId: org.organizationId,
      name: 'k',
      environment: 'live',
    })
    await lenient.app.close()
    // …then the operator sets providers.allowPrivateBaseUrls: false.
    const strict = buildTestApp({
      db: testDb.db,
      upstreamAddresses: { allowPrivateBaseUrls: false, allowedBaseUrlHosts: [] },
    })
    try {
      await strict.services.models.ready()
      await strict.app.ready()
      const before = upstream.connectionCount()
      const res = await strict.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${secret}` },
        payload: { model: 'self-hosted-model', messages: [{ role: 'user', content: 'hi' }] },
      })
      const held =
        res.statusCode === 502 &&
        upstream.connectionCount() === before &&
        !res.body.includes(new URL(upstream.origin).port)
      recordReliability({
        area: 'ssrf',
        check: 'a /v1 request routed to a stored account whose base URL the policy now forbids',
        cases: 1,
        failures: held ? 0 : 1,
        expectation:
          "502 upstream_unavailable in OpenAI's shape, no connection to the upstream, no address in the answer",
      })
      expect(res.statusCode, res.body).toBe(502)
      expectOpenAIError(res.json(), { type: 'server_error', code: 'upstream_unavailable' })
      expect(res.headers['x-should-retry']).toBe('false')
      expect(upstream.connectionCount()).toBe(before)
      expect(res.body).not.toContain(new URL(upstream.origin).port)
    } finally {
      await strict.app.close()
      await testDb.destroy()
    }
  })
})
