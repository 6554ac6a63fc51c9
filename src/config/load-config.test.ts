import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../lib/errors.js'
import { findUnknownEnvVars, loadConfig } from './load-config.js'

function tempDir() {
  return mkdtempSync(join(tmpdir(), 'ferry-config-'))
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('works with no configuration at all: SQLite under ./data on port 8080', () => {
    const config = loadConfig({ env: {}, cwd: tempDir() })
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080 })
    expect(config.dataDir).toBe('./data')
    expect(config.database.url).toBeUndefined()
    expect(config.database.migrateOnStart).toBe(true)
  })

  it('ranks sources: defaults < config file < environment < command line', () => {
    const cwd = tempDir()
    writeFileSync(
      join(cwd, 'ferry.config.yaml'),
      'server:\n  port: 9000\n  host: 0.0.0.0\nlog:\n  level: debug\ndataDir: /srv/ferry\n',
    )
    const config = loadConfig({
      env: { FERRY_PORT: '9100', FERRY_LOG_LEVEL: 'warn' },
      cwd,
      overrides: { logLevel: 'error' },
    })
    expect(config.server.port).toBe(9100)
    expect(config.server.host).toBe('0.0.0.0')
    expect(config.dataDir).toBe('/srv/ferry')
    expect(config.log.level).toBe('error')
    expect(config.configFile).toBe(join(cwd, 'ferry.config.yaml'))
  })

  it('signs audit checkpoints hourly by default, at most once a second', () => {
    const cwd = tempDir()
    expect(loadConfig({ env: {}, cwd }).audit.checkpointIntervalMs).toBe(3_600_000)
    expect(
      loadConfig({ env: { FERRY_AUDIT_CHECKPOINT_INTERVAL_MS: '5000' }, cwd }).audit
        .checkpointIntervalMs,
    ).toBe(5000)
    expect(
      problemsOf(() => loadConfig({ env: { FERRY_AUDIT_CHECKPOINT_INTERVAL_MS: '999' }, cwd })),
    ).toEqual([expect.stringContaining('audit.checkpointIntervalMs')])
  })

  it('sends no webhooks by default, and both topics once a URL is set', () => {
    const cwd = tempDir()
    const none = loadConfig({ env: {}, cwd }).webhooks
    expect(none.url).toBeUndefined()
    expect(none).toMatchObject({ topics: ['audit', 'usage'], timeoutMs: 10_000, maxAttempts: 20 })
    writeFileSync(join(cwd, 'hook-url'), 'https://siem.example.com/ferry?token=abc\n')
    const set = loadConfig({
      env: {
        FERRY_WEBHOOKS_URL_FILE: join(cwd, 'hook-url'),
        FERRY_WEBHOOKS_TOPICS: 'usage',
        FERRY_WEBHOOKS_POLL_INTERVAL_MS: '250',
      },
      cwd,
    }).webhooks
    expect(set).toMatchObject({
      url: 'https://siem.example.com/ferry?token=abc',
      topics: ['usage'],
      pollIntervalMs: 250,
    })
  })

  it('requires an https webhook URL unless it points at this machine', () => {
    const cwd = tempDir()
    for (const url of ['http://127.0.0.1:9000/hook', 'http://localhost/hook', 'http://[::1]:80/'])
      expect(loadConfig({ env: { FERRY_WEBHOOKS_URL: url }, cwd }).webhooks.url).toBe(url)
    for (const url of ['http://siem.example.com/hook', 'ftp://example.com/x', 'not a url'])
      expect(problemsOf(() => loadConfig({ env: { FERRY_WEBHOOKS_URL: url }, cwd }))).toEqual([
        expect.stringContaining('FERRY_WEBHOOKS_URL (webhooks.url)'),
      ])
    expect(
      problemsOf(() => loadConfig({ env: { FERRY_WEBHOOKS_TOPICS: 'audit,billing' }, cwd })),
    ).toEqual([expect.stringContaining('webhooks.topics')])
  })

  it('allows private provider base URLs by default and reads the SSRF guard options', () => {
    const defaults = loadConfig({ env: {}, cwd: tempDir() })
    expect(defaults.providers).toMatchObject({
      allowPrivateBaseUrls: true,
      allowedBaseUrlHosts: [],
    })
    const set = loadConfig({
      env: {
        FERRY_PROVIDERS_ALLOW_PRIVATE_BASE_URLS: 'false',
        FERRY_PROVIDERS_ALLOWED_BASE_URL_HOSTS: '169.254.10.0/24,vllm.internal',
      },
      cwd: tempDir(),
    })
    expect(set.providers).toMatchObject({
      allowPrivateBaseUrls: false,
      allowedBaseUrlHosts: ['169.254.10.0/24', 'vllm.internal'],
    })
    const problems = problemsOf(() =>
      loadConfig({
        env: { FERRY_PROVIDERS_ALLOWED_BASE_URL_HOSTS: '10.0.0.0/40' },
        cwd: tempDir(),
      }),
    )
    expect(problems.join('\n')).toContain('providers.allowedBaseUrlHosts')
  })

  it('cuts slow clients by default and refuses a request timeout shorter than the headers one', () => {
    const cwd = tempDir()
    expect(loadConfig({ env: {}, cwd }).server).toMatchObject({
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 120_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 0,
    })
    const env = {
      FERRY_HEADERS_TIMEOUT_MS: '2000',
      FERRY_REQUEST_TIMEOUT_MS: '5000',
      FERRY_MAX_CONNECTIONS: '1000',
    }
    expect(loadConfig({ env, cwd }).server).toMatchObject({
      requestTimeoutMs: 5_000,
      maxConnections: 1_000,
    })
    expect(
      problemsOf(() =>
        loadConfig({
          env: { FERRY_HEADERS_TIMEOUT_MS: '10000', FERRY_REQUEST_TIMEOUT_MS: '5000' },
          cwd,
        }),
      ),
    ).toEqual([expect.stringContaining('requestTimeoutMs')])
  })

  it('reads a JSON config file named by FERRY_CONFIG', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'custom.json'), JSON.stringify({ server: { port: 7000 } }))
    expect(loadConfig({ env: { FERRY_CONFIG: 'custom.json' }, cwd }).server.port).toBe(7000)
  })

  it('reads secrets from FERRY_<NAME>_FILE', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'key'), 'a'.repeat(64) + '\n')
    const config = loadConfig({ env: { FERRY_MASTER_KEY_FILE: join(cwd, 'key') }, cwd })
    expect(config.masterKey).toBe('a'.repeat(64))
  })

  it('lists every problem at once, naming where each came from', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'ferry.config.yaml'), 'server:\n  hots: x\nlog:\n  level: loud\n')
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          FERRY_PORT: 'eighty',
          FERRY_DATABASE_URL: 'mysql://x',
          FERRY_MIGRATE_ON_START: 'maybe',
          FERRY_MASTER_KEY: 'k',
          FERRY_MASTER_KEY_FILE: '/nonexistent',
        },
        cwd,
      }),
    )
    const text = problems.join('\n')
    expect(text).toContain("unknown setting 'server.hots'")
    expect(text).toContain('log.level')
    expect(text).toContain('FERRY_PORT: expected a whole number')
    expect(text).toContain('FERRY_DATABASE_URL')
    expect(text).toContain('FERRY_MIGRATE_ON_START')
    expect(text).toContain('FERRY_MASTER_KEY and FERRY_MASTER_KEY_FILE are both set')
    expect(problems.length).toBeGreaterThanOrEqual(6)
  })

  it('never echoes a secret value in a problem', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { FERRY_DATABASE_URL: 'mysql://user:hunter2-canary@db' }, cwd: tempDir() }),
    )
    expect(problems.join('\n')).not.toContain('hunter2-canary')
  })

  it('reports a missing explicit config file', () => {
    expect(
      problemsOf(() => loadConfig({ env: {}, configFile: 'nope.yaml', cwd: tempDir() }))[0],
    ).toMatch(/does not exist/)
  })

  it('returns a frozen object', () => {
    const config = loadConfig({ env: {}, cwd: tempDir() })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.server)).toBe(true)
  })

  it('flags FERRY_* variables that match no setting', () => {
    expect(findUnknownEnvVars({ FERRY_PROT: '1', FERRY_PORT: '1', FERRY_TEST_X: '1' })).toEqual([
      'FERRY_PROT',
    ])
  })
})
