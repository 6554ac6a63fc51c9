import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFerry, startFerry } from '../support/ferry-process.js'
import { createTestDb, testDialects } from '../support/test-db.js'

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

describe('ferry CLI', () => {
  it('prints its version and help', async () => {
    const version = runFerry(['--version'])
    expect((await version.exited).code).toBe(0)
    expect(version.stdout.join('').trim()).toBe(PACKAGE_VERSION)
    const help = runFerry(['--help'])
    expect((await help.exited).code).toBe(0)
    expect(help.stdout.join('')).toMatch(/start\b[\s\S]*migrate\b/)
  })

  it('starts on the SQLite default, generates the master key, is ready, and drains on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-e2e-'))
    const ferry = await startFerry([], { cwd })
    expect(existsSync(join(cwd, 'data', 'ferry.db'))).toBe(true)
    expect(statSync(join(cwd, 'data', 'master.key')).mode & 0o777).toBe(0o600)
    expect(ferry.stdout.join('')).toContain('generated a new master key')
    const ready = await fetch(`${ferry.url}/readyz`)
    expect(ready.status).toBe(200)
    ferry.child.kill('SIGTERM')
    const exit = await ferry.exited
    expect(exit.code).toBe(0)
    expect(ferry.stdout.join('')).toContain('shutdown complete')
  })

  it('lists every configuration problem and exits non-zero', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-e2e-'))
    const bad = runFerry(['start'], {
      cwd,
      env: { FERRY_PORT: 'eighty', FERRY_LOG_LEVEL: 'loud', FERRY_DATABASE_URL: 'mysql://x' },
    })
    const exit = await bad.exited
    expect(exit.code).toBe(2)
    const stderr = bad.stderr.join('')
    expect(stderr).toContain('FERRY_PORT')
    expect(stderr).toContain('FERRY_LOG_LEVEL')
    expect(stderr).toContain('FERRY_DATABASE_URL')
    expect(existsSync(join(cwd, 'data'))).toBe(false)
  })

  it('migrates with `ferry migrate` and reports a current schema the second time', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-'))
    const first = runFerry(['migrate', '--data-dir', dataDir])
    expect((await first.exited).code).toBe(0)
    expect(first.stdout.join('')).toContain('applied 0001-settings')
    const second = runFerry(['migrate', '--data-dir', dataDir])
    expect((await second.exited).code).toBe(0)
    expect(second.stdout.join('')).toContain('schema is current')
  })

  for (const dialect of testDialects().filter((d) => d === 'postgres')) {
    it('starts the same binary against PostgreSQL from FERRY_DATABASE_URL', async () => {
      const testDb = await createTestDb(dialect, { migrate: false })
      try {
        const ferry = await startFerry([], {
          cwd: testDb.dataDir,
          env: { FERRY_DATABASE_URL: testDb.url, FERRY_MASTER_KEY: 'ab'.repeat(32) },
        })
        expect((await fetch(`${ferry.url}/readyz`)).status).toBe(200)
        expect(ferry.stdout.join('')).toContain('"database":"postgres"')
        expect(ferry.stdout.join('')).not.toContain('ab'.repeat(32))
        ferry.child.kill('SIGTERM')
        expect((await ferry.exited).code).toBe(0)
      } finally {
        await testDb.destroy()
      }
    })
  }
})
