import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFerry } from '../support/ferry-process.js'

interface DoctorReport {
  counts: Record<'high' | 'medium' | 'low' | 'ok', number>
  findings: { id: string; severity: string; summary: string; fix: string }[]
}

async function doctor(args: string[], env: Record<string, string> = {}) {
  const run = runFerry(['doctor', '--json', ...args], { env })
  const exit = await run.exited
  return { code: exit.code, report: JSON.parse(run.stdout.join('')) as DoctorReport }
}

// Each case runs the CLI several times; on a loaded 2-core machine one run can take seconds.
describe('ferry doctor', { timeout: 120_000 }, () => {
  it('exits 1 on a generated master key and says what to fix, creating nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-doctor-'))
    const fresh = await doctor(['--data-dir', dataDir])
    expect(fresh.code).toBe(1)
    expect(fresh.report.findings.map((f) => f.id)).toEqual(
      expect.arrayContaining(['master_key.generated', 'database.not_created']),
    )
    // Checking is not starting: no database file and no master key appear.
    expect(existsSync(join(dataDir, 'ferry.db'))).toBe(false)
    expect(existsSync(join(dataDir, 'master.key'))).toBe(false)

    expect((await runFerry(['migrate', '--data-dir', dataDir]).exited).code).toBe(0)
    writeFileSync(join(dataDir, 'master.key'), `${randomBytes(32).toString('base64')}\n`)
    chmodSync(join(dataDir, 'master.key'), 0o644)
    const loose = await doctor(['--data-dir', dataDir])
    expect(loose.code).toBe(1)
    const high = loose.report.findings.filter((f) => f.severity === 'high').map((f) => f.id)
    expect(high).toEqual(['master_key.file_mode', 'master_key.generated'])
    expect(loose.report.findings.every((f) => f.severity === 'ok' || f.fix.length > 0)).toBe(true)
  })

  it('exits 0 when nothing high-risk is found, and 1 behind an untrusted proxy', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-doctor-'))
    const env = { FERRY_MASTER_KEY: randomBytes(32).toString('base64') }
    expect((await runFerry(['migrate', '--data-dir', dataDir], { env }).exited).code).toBe(0)
    const clean = await doctor(['--data-dir', dataDir], env)
    expect(clean.report.counts.high).toBe(0)
    expect(clean.code).toBe(0)
    expect(clean.report.findings.map((f) => f.id)).toContain('master_key.provided')

    const proxied = await doctor(['--data-dir', dataDir, '--behind-proxy'], env)
    expect(proxied.code).toBe(1)
    expect(proxied.report.findings.filter((f) => f.severity === 'high').map((f) => f.id)).toEqual([
      'proxy.untrusted',
    ])
    const trusted = await doctor(['--data-dir', dataDir, '--behind-proxy'], {
      ...env,
      FERRY_TRUSTED_PROXIES: '10.0.0.0/8',
    })
    expect(trusted.code).toBe(0)
  })

  it('prints a readable report without --json', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-doctor-'))
    const run = runFerry(['doctor', '--data-dir', dataDir])
    expect((await run.exited).code).toBe(1)
    const text = run.stdout.join('')
    expect(text).toMatch(/^ferry doctor: /)
    expect(text).toMatch(/HIGH {3}master_key\.generated/)
    expect(text).toContain('fix: ')
  })
})
