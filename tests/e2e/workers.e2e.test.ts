import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runFerry, startFerry, type FerryProcess } from '../support/ferry-process.js'
import { TEST_MASTER_KEY } from '../support/test-app.js'
import { createTestDb, testDialects, type TestDb } from '../support/test-db.js'

/** Issue #10: `ferry start --workers N` runs N full gateways on one port (node:cluster). */
describe('ferry start --workers', () => {
  it('refuses several workers on SQLite, saying why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-workers-'))
    const proc = runFerry(['start', '--port', '0', '--workers', '2', '--data-dir', dataDir])
    const { code } = await proc.exited
    expect(code).toBe(2)
    expect(proc.stderr.join('')).toMatch(/--workers 2 needs PostgreSQL/)
  })

  it('refuses a number that is not one', async () => {
    const proc = runFerry(['start', '--workers', 'many'])
    expect((await proc.exited).code).not.toBe(0)
    expect(proc.stderr.join('')).toMatch(/at least 1, or "auto"/)
  })

  describe.runIf(testDialects().includes('postgres'))('on PostgreSQL', () => {
    let testDb: TestDb
    const running: FerryProcess[] = []
    afterAll(async () => {
      for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL')
      await testDb?.destroy()
    })
    const env = () => ({
      FERRY_DATABASE_URL: testDb.url,
      FERRY_DATA_DIR: testDb.dataDir,
      FERRY_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
    })

    it('refuses memory holds', async () => {
      testDb = await createTestDb('postgres')
      const proc = runFerry(['start', '--port', '0', '--workers', '2'], { env: env() })
      expect((await proc.exited).code).toBe(2)
      expect(proc.stderr.join('')).toMatch(/needs billing\.holds: database/)
    })

    it('serves from every worker on one port and stops them all on SIGTERM', async () => {
      const ferry = await startFerry(['--workers', '2'], {
        env: { ...env(), FERRY_BILLING_HOLDS: 'database' },
        timeoutMs: 90_000,
      })
      running.push(ferry)
      const listening = () =>
        ferry.stdout
          .join('')
          .split('\n')
          .filter((l) => l.includes('"ferry listening"'))
          .map((l) => (JSON.parse(l) as { url: string }).url)
      const deadline = Date.now() + 60_000
      while (listening().length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100))
      const urls = listening()
      expect(urls).toHaveLength(2)
      expect(new Set(urls).size).toBe(1) // one shared port
      for (let i = 0; i < 10; i++) expect((await fetch(`${ferry.url}/readyz`)).status).toBe(200)

      ferry.child.kill('SIGTERM')
      const { code } = await ferry.exited
      expect(code).toBe(0)
      expect(ferry.stdout.join('').match(/"shutdown complete"/g)).toHaveLength(2)
      await expect(fetch(`${ferry.url}/healthz`)).rejects.toThrow()
    })
  })
})
