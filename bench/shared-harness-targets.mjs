#!/usr/bin/env node
// Prepares Ferry (the built dist/, started by its own CLI as in production) and the harness's
// bare pass-through proxy as targets for ../shared/bench, in one targets file:
//
//   npm run build && node bench/shared-harness-targets.mjs /path/to/bench-copy
//   cd /path/to/bench-copy && node run.mjs --targets-file ferry-targets.json \
//     --targets direct,minimal,ferry,portkey
//
// The file also names `floor` (bench/ledger-floor.mjs): the least a priced gateway can do, to
// compare Ferry with in the same run (docs/performance.md, round 10).
//
// A fresh data directory (SQLite) gets one organization and one live key; Ferry serves
// gpt-4o-mini and text-embedding-3-small from the harness's mock upstream and logs one access
// line per request to a file, as a production deployment would.
//
// BENCH_PRICED=1 (issue 7's benchmark condition): the deployment is also priced and the
// organization funded, so every request counts its prompt, holds its maximum cost, and settles
// (with its usage event) before its last byte. There is no CLI for prices or credit, so the
// script bootstraps an owner and an admin token with the CLI, starts the gateway once, and uses
// the admin REST API as an operator would, then stops it.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { withGatewayNodeFlags } from '../dist/cli/gateway-node-flags.js'

const harness = resolve(process.argv[2] ?? '.')
const repo = resolve(import.meta.dirname, '..')
const ferry = join(repo, 'bin', 'ferry.js')
const dir = mkdtempSync(join(tmpdir(), 'ferry-harness-'))
const env = {
  ...process.env,
  FERRY_DATA_DIR: join(dir, 'data'),
  FERRY_MASTER_KEY: randomBytes(32).toString('base64'),
  FERRY_CONFIG: join(dir, 'ferry.config.yaml'),
  BENCH_UPSTREAM_KEY: 'sk-bench-upstream',
}
writeFileSync(
  env.FERRY_CONFIG,
  [
    'server: { host: 127.0.0.1, port: 18790 }',
    'providers:',
    '  accounts:',
    '    - name: bench-openai',
    '      kind: openai-compatible',
    '      baseUrl: http://127.0.0.1:18080/v1',
    '      credentialEnv: BENCH_UPSTREAM_KEY',
    '      models: [gpt-4o-mini, text-embedding-3-small]',
    '',
  ].join('\n'),
)
const cli = (...args) => execFileSync(process.execPath, [ferry, ...args], { env, encoding: 'utf8' })
cli('migrate')
const org = JSON.parse(cli('orgs', 'create', '--name', 'Bench', '--json'))
const key = JSON.parse(cli('keys', 'create', '--org', org.organizationId, '--json'))
if (process.env.BENCH_PRICED === '1') await priceAndFund(org.organizationId)

const start = join(dir, 'start.sh')
const quoted = (value) => `'${String(value).replaceAll("'", "'\\''")}'`
writeFileSync(
  start,
  [
    '#!/bin/sh',
    ...['FERRY_DATA_DIR', 'FERRY_MASTER_KEY', 'FERRY_CONFIG', 'BENCH_UPSTREAM_KEY'].map(
      (name) => `export ${name}=${quoted(env[name])}`,
    ),
    // With the V8 flags `npm start` gives the gateway (src/cli/gateway-node-flags.ts).
    `exec ${[process.execPath, ...withGatewayNodeFlags([], undefined), ferry].map(quoted).join(' ')} start > ${quoted(join(dir, 'ferry.log'))} 2>&1`,
    '',
  ].join('\n'),
  { mode: 0o755 },
)
const targets = [
  {
    name: 'minimal',
    baseUrl: 'http://127.0.0.1:18791/v1',
    headers: { Authorization: 'Bearer sk-bench' },
    cmd: 'PROXY_PORT=18791 node examples/minimal-proxy.mjs',
    cwd: harness,
  },
  {
    name: 'ferry',
    baseUrl: 'http://127.0.0.1:18790/v1',
    headers: { Authorization: `Bearer ${key.secret}` },
    cmd: start,
    cwd: dir,
  },
  // The least a priced gateway must do (bench/ledger-floor.mjs): count, hold, settle durably.
  {
    name: 'floor',
    baseUrl: 'http://127.0.0.1:18792/v1',
    headers: { Authorization: 'Bearer sk-floor' },
    cmd: [
      process.execPath,
      ...withGatewayNodeFlags([], undefined),
      join(repo, 'bench', 'ledger-floor.mjs'),
    ]
      .map(quoted)
      .join(' '),
    cwd: repo,
  },
]
const file = join(harness, 'ferry-targets.json')
writeFileSync(file, `${JSON.stringify(targets, null, 2)}\n`)
process.stdout.write(`${file}\n`)

/** Publish a price table covering every served model and credit the organization $900. */
async function priceAndFund(organizationId) {
  const email = 'bench-owner@example.com'
  execFileSync(
    process.execPath,
    [ferry, 'admin', 'create', '--email', email, '--role', 'owner', '--password-stdin'],
    { env, input: `${randomBytes(18).toString('base64')}\n`, stdio: ['pipe', 'ignore', 'inherit'] },
  )
  const token = cli('admin', 'token', 'create', '--email', email, '--name', 'bench setup').trim()
  const gateway = spawn(process.execPath, [ferry, 'start'], { env, stdio: 'ignore' })
  const base = 'http://127.0.0.1:18790'
  try {
    await waitUntilReady(`${base}/readyz`)
    const admin = async (path, body) => {
      const res = await fetch(`${base}/admin/v1${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-ferry-reason-code': 'benchmark_setup',
        },
        body: JSON.stringify(body),
      })
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`)
    }
    // gpt-4o-mini's list prices; the embedding model is served too, so the row is a wildcard.
    await admin('/price-tables', {
      rows: [{ model: '*', inputMicrosPer1M: '150000', outputMicrosPer1M: '600000' }],
    })
    await admin(`/orgs/${organizationId}/billing/credits`, {
      environment: 'live',
      amountMicros: '900000000',
      category: 'paid',
      idempotencyKey: 'bench-funding',
    })
  } finally {
    gateway.kill('SIGTERM')
    await new Promise((done) => gateway.once('exit', done))
  }
}

async function waitUntilReady(url) {
  for (let tries = 0; tries < 200; tries += 1) {
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    )
    if (ok) return
    await new Promise((done) => setTimeout(done, 100))
  }
  throw new Error(`${url} did not become ready`)
}
