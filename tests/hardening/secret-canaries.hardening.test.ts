import { randomBytes } from 'node:crypto'
import { readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startOpenAIUpstream,
  type OpenAIUpstream,
} from '../support/mock-upstreams/openai-upstream.js'
import { runFerry, startFerry, type FerryProcess } from '../support/ferry-process.js'
import { recordReliability } from '../support/reliability-log.js'
import {
  describeHits,
  findSecrets,
  scanFile,
  scanPostgresSchema,
  type SecretHit,
} from '../support/secret-scan.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

/**
 * The canary scan (issue 11): unique fake secrets of every kind are planted through every path
 * a real deployment offers — the config's provider credential, a credential set over the admin
 * API, an admin's password (right and wrong), admin and customer tokens, the webhook URL's
 * token, the master key, prompts and tool payloads (JSON, streamed, refused, cut by a SIGKILL)
 * — and then everything the process left behind is searched: the database (SQLite files with
 * their WAL, or every PostgreSQL table), every file in the data directory, stdout and stderr of
 * every run (the crash included), /metrics, the usage and audit exports, the evidence view and
 * every error body. Zero hits.
 */
const tag = randomBytes(6).toString('hex')
const CANARY = {
  providerCredential: `sk-canary-config-credential-${tag}`,
  apiCredential: `sk-canary-admin-api-credential-${tag}`,
  password: `Canary passphrase ${tag} right`,
  wrongPassword: `Canary passphrase ${tag} wrong`,
  prompt: `canary prompt text ${tag}`,
  toolPayload: `canary_tool_payload_${tag}`,
  webhookToken: `canary-webhook-token-${tag}`,
  masterKey: randomBytes(32).toString('base64'),
}

function planted(extra: Record<string, string>) {
  return Object.entries({ ...CANARY, ...extra }).map(([label, value]) => ({ label, value }))
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

describe.each(testDialects())('secret canaries on %s', { timeout: 300_000 }, (dialect) => {
  let testDb: TestDb
  let upstream: OpenAIUpstream
  let configFile: string
  const outputs: { where: string; text: string }[] = []
  const dynamic: Record<string, string> = {}

  const env = () => ({
    FERRY_DATA_DIR: testDb.dataDir,
    FERRY_DATABASE_URL: testDb.url,
    FERRY_MASTER_KEY: CANARY.masterKey,
    FERRY_CONFIG: configFile,
    CANARY_PROVIDER_KEY: CANARY.providerCredential,
    FERRY_WEBHOOKS_URL: `http://127.0.0.1:9/hook?token=${CANARY.webhookToken}`,
    FERRY_LOG_LEVEL: 'debug', // the most a deployment could log
  })
  const keep = (where: string, text: string) => outputs.push({ where, text })
  const processOutput = (name: string, proc: FerryProcess) => {
    keep(`${name} stdout`, proc.stdout.join(''))
    keep(`${name} stderr`, proc.stderr.join(''))
  }

  beforeAll(async () => {
    testDb = await createTestDb(dialect)
    upstream = await startOpenAIUpstream({ apiKey: CANARY.providerCredential })
    configFile = join(testDb.dataDir, 'ferry.config.yaml')
    writeFileSync(
      configFile,
      [
        'providers:',
        '  accounts:',
        '    - name: canary-openai',
        '      kind: openai-compatible',
        `      baseUrl: ${upstream.baseUrl}`,
        '      credentialEnv: CANARY_PROVIDER_KEY',
        '      models: [gpt-4o-mini, text-embedding-3-small]',
        '',
      ].join('\n'),
    )
  })
  afterAll(async () => {
    await upstream?.close()
    await testDb?.destroy()
  })

  it('leaves no planted secret in the database, files, logs, metrics, exports, errors or crash output', async () => {
    const create = runFerry(
      ['admin', 'create', '--email', 'owner@canary.test', '--role', 'owner', '--password-stdin'],
      { env: env(), stdin: `${CANARY.password}\n` },
    )
    expect((await create.exited).code, create.stderr.join('')).toBe(0)
    processOutput('admin create', create)
    const tokenRun = runFerry(['admin', 'token', 'create', '--email', 'owner@canary.test'], {
      env: env(),
    })
    expect((await tokenRun.exited).code, tokenRun.stderr.join('')).toBe(0)
    const token = tokenRun.stdout.join('').trim()
    dynamic.adminToken = token
    keep('admin token create stderr', tokenRun.stderr.join(''))

    let ferry = await startFerry([], { env: env(), timeoutMs: 90_000 })
    // Every admin call carries the owner's API token (sign-in ignores it).
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${ferry.url}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      const text = await res.text()
      keep(`admin ${method} ${path} → ${res.status}`, text)
      return { status: res.status, text, headers: res.headers }
    }
    const v1 = async (path: string, body: unknown, authorization: string) => {
      const res = await fetch(`${ferry.url}/v1${path}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      const text = await res.text()
      keep(`v1 ${path} → ${res.status}`, text)
      return { status: res.status, text }
    }

    // Admin sign-in: a wrong password, then the right one (the session token is a secret too).
    const wrong = await admin('POST', '/auth/login', {
      email: 'owner@canary.test',
      password: CANARY.wrongPassword,
    })
    expect(wrong.status).toBe(401)
    const login = await admin('POST', '/auth/login', {
      email: 'owner@canary.test',
      password: CANARY.password,
    })
    expect(login.status).toBe(200)
    dynamic.sessionToken = login.headers.get('set-cookie')!.split(';')[0]!.split('=')[1]!

    // A credential through the admin API, and a refused request carrying one (not echoed).
    const reason = { code: 'canary_test' }
    const account = await admin('POST', '/providers', {
      name: 'canary-api',
      kind: 'openai-compatible',
      baseUrl: upstream.baseUrl,
      models: ['canary-api-model'],
      credential: CANARY.apiCredential,
      reason,
    })
    expect(account.status, account.text).toBe(201)
    const refusedAccount = await admin('POST', '/providers', {
      name: 'Not A Slug!',
      kind: 'nope',
      baseUrl: 'ftp://x',
      credential: CANARY.apiCredential,
    })
    expect(refusedAccount.status).toBe(400)
    // An account whose credential the upstream refuses: its 401 quotes the credential's tail.
    const wrongCredential = `${CANARY.apiCredential}-wrong`
    dynamic.wrongCredential = wrongCredential
    const badAccount = await admin('POST', '/providers', {
      name: 'canary-wrong',
      kind: 'openai-compatible',
      baseUrl: upstream.baseUrl,
      models: ['canary-wrong-model'],
      credential: wrongCredential,
      reason,
    })
    expect(badAccount.status, badAccount.text).toBe(201)

    // A customer and its key (shown once, in that one response).
    const org = JSON.parse((await admin('POST', '/orgs', { name: 'Canary Co' })).text) as {
      organizationId: string
    }
    const keyPath = `/orgs/${org.organizationId}/keys`
    const key = JSON.parse((await admin('POST', keyPath, { name: 'canary' })).text) as {
      secret: string
    }
    dynamic.customerKey = key.secret
    const bearer = `Bearer ${key.secret}`

    const tools = [
      {
        type: 'function',
        function: {
          name: CANARY.toolPayload,
          description: CANARY.toolPayload,
          parameters: {
            type: 'object',
            properties: { [CANARY.toolPayload]: { type: 'string', description: CANARY.prompt } },
          },
        },
      },
    ]
    const messages = [
      {
        role: 'user',
        content: `${CANARY.prompt}; my provider key is ${CANARY.providerCredential}`,
      },
    ]
    const chat = { model: 'gpt-4o-mini', messages }
    expect(
      (await v1('/chat/completions', { ...chat, tools, tool_choice: 'required' }, bearer)).status,
    ).toBe(200)
    const stream = { ...chat, stream: true, stream_options: { include_usage: true } }
    expect((await v1('/chat/completions', stream, bearer)).status).toBe(200)
    const embedding = { model: 'text-embedding-3-small', input: CANARY.prompt }
    expect((await v1('/embeddings', embedding, bearer)).status).toBe(200)
    // Refused requests: the prompt where messages belong, an unknown model, a tampered key, a key
    // in the wrong scheme. Their errors name the problem without repeating what was sent.
    expect(
      (await v1('/chat/completions', { ...chat, messages: CANARY.prompt }, bearer)).status,
    ).toBe(400)
    expect(
      (await v1('/chat/completions', { ...chat, model: 'no-such-model' }, bearer)).status,
    ).toBe(404)
    const tampered = `${key.secret.slice(0, -1)}${key.secret.endsWith('A') ? 'B' : 'A'}`
    dynamic.tamperedKey = tampered
    expect((await v1('/chat/completions', chat, `Bearer ${tampered}`)).status).toBe(401)
    expect((await v1('/chat/completions', chat, `Basic ${key.secret}`)).status).toBe(401)
    const upstreamRefused = await v1(
      '/chat/completions',
      { ...chat, model: 'canary-wrong-model' },
      bearer,
    )
    expect(upstreamRefused.status).toBeGreaterThanOrEqual(400)
    expect(upstreamRefused.text).not.toContain(wrongCredential.slice(-8))

    // Exports, evidence, metrics: what operators copy out of the system.
    const month = new Date().toISOString().slice(0, 7)
    const orgQuery = `organizationId=${org.organizationId}`
    const usageCsv = await admin('GET', `/usage/export?${orgQuery}&month=${month}`, undefined)
    expect(usageCsv.status, usageCsv.text).toBe(200)
    const auditExport = await admin('GET', '/audit-events/export?format=jsonl')
    expect(auditExport.status, auditExport.text).toBe(200)
    const usage = await admin('GET', `/usage?${orgQuery}`)
    const events = JSON.parse(usage.text) as { data: { requestId: string }[] }
    expect(events.data.length).toBeGreaterThan(0)
    for (const event of events.data.slice(0, 3)) {
      await admin('GET', `/evidence/requests/${event.requestId}`)
    }
    keep('metrics', await (await fetch(`${ferry.url}/metrics`)).text())

    // A crash mid-stream: SIGKILL while a prompt is in flight, then a restart and a clean stop.
    const res = await fetch(`${ferry.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'mock?completionTokens=400&chunkDelayMs=20',
        messages,
        stream: true,
      }),
    })
    const reader = res.body!.getReader()
    await reader.read() // the first chunk: the request is past its hold and streaming
    ferry.child.kill('SIGKILL')
    await ferry.exited
    await reader.cancel().catch(() => undefined)
    processOutput('crashed gateway', ferry)
    ferry = await startFerry([], { env: env(), timeoutMs: 90_000 })
    ferry.child.kill('SIGTERM')
    expect((await ferry.exited).code).toBe(0)
    processOutput('restarted gateway', ferry)

    // The scan, surface by surface.
    const secrets = planted(dynamic)
    const schema = new URL(testDb.url).searchParams.get('options')?.replace('-c search_path=', '')
    const isOutput = (o: { where: string }) => / std(out|err)$/.test(o.where)
    const surfaces: Record<string, SecretHit[]> = {
      // SQLite's files (with WAL) are scanned with everything else in the data directory.
      'database tables':
        dialect === 'postgres' && schema
          ? await scanPostgresSchema(testDb.url.split('?')[0]!, schema, secrets)
          : [],
      'data directory files': filesUnder(testDb.dataDir)
        .filter((path) => path !== configFile)
        .flatMap((path) => scanFile(path, secrets)),
      'process output (logs and crash)': outputs
        .filter(isOutput)
        .flatMap((o) => findSecrets(o.text, o.where, secrets)),
      'responses (errors, exports, evidence, metrics)': outputs
        .filter((o) => !isOutput(o))
        // The one admin response that must carry a secret: key creation shows it once. A
        // served /v1 response is the caller's own completion (it may quote its own tools).
        .filter((o) => !o.where.startsWith(`admin POST ${keyPath} →`))
        .filter((o) => !/^v1 .* → 2\d\d$/.test(o.where))
        .flatMap((o) => findSecrets(o.text, o.where, secrets)),
    }
    for (const [surface, hits] of Object.entries(surfaces)) {
      recordReliability({
        area: 'secrets',
        check: `canaries planted through every path, then the ${surface} searched (${dialect})`,
        cases: secrets.length,
        failures: new Set(hits.map((h) => h.what)).size,
        expectation: 'zero hits for any planted secret or full Ferry key',
        breakdown: { 'outputs searched': outputs.length },
      })
    }
    expect(describeHits(Object.values(surfaces).flat())).toBe('')
  })
})
