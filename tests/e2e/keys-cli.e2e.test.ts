import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFerry, startFerry } from '../support/ferry-process.js'

async function ferryJson<T>(args: string[], cwd: string): Promise<T> {
  const proc = runFerry(args, { cwd })
  const { code } = await proc.exited
  if (code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${code}: ${proc.stderr.join('')}`)
  return JSON.parse(proc.stdout.join('')) as T
}

describe('ferry orgs / keys (CLI) against a running gateway', () => {
  it('issues a key the gateway accepts, and a CLI revocation stops it within a second', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-keys-cli-'))
    const gateway = await startFerry([], { cwd })
    try {
      const org = await ferryJson<{ organizationId: string }>(
        ['orgs', 'create', '--name', 'Acme', '--json'],
        cwd,
      )
      const key = await ferryJson<{ keyId: string; secret: string; label: string }>(
        ['keys', 'create', '--org', org.organizationId, '--name', 'backend', '--json'],
        cwd,
      )
      expect(key.secret).toMatch(/^fk_live_/)
      const call = () =>
        fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key.secret}` } })
      expect((await call()).status).toBe(200)

      const revoke = runFerry(['keys', 'revoke', key.keyId, '--reason', 'key_leaked'], { cwd })
      expect((await revoke.exited).code).toBe(0)
      const revokedAt = Date.now()
      let status = 200
      while (status === 200 && Date.now() - revokedAt < 1500) {
        await new Promise((r) => setTimeout(r, 50))
        status = (await call()).status
      }
      expect(status).toBe(401)
      expect(Date.now() - revokedAt).toBeLessThan(1000)

      const list = await ferryJson<{ status: string }[]>(
        ['keys', 'list', '--org', org.organizationId, '--json'],
        cwd,
      )
      expect(list.map((k) => k.status)).toEqual(['revoked'])
      expect(gateway.stdout.join('')).not.toContain(key.secret)
    } finally {
      gateway.child.kill('SIGTERM')
      await gateway.exited
    }
  })

  it('records a reason for a high-risk CLI action: the one given, or the command’s own', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-keys-cli-'))
    const org = await ferryJson<{ organizationId: string }>(
      ['orgs', 'create', '--name', 'Acme', '--json'],
      cwd,
    )
    const suspend = runFerry(['orgs', 'suspend', org.organizationId], { cwd })
    expect((await suspend.exited).code).toBe(0)
    const reactivate = runFerry(
      ['orgs', 'reactivate', org.organizationId, '--reason', 'invoice_paid'],
      { cwd },
    )
    expect((await reactivate.exited).code).toBe(0)
    const file = join(cwd, 'audit.jsonl')
    const exported = runFerry(['audit', 'export', '--org', org.organizationId, '-o', file], { cwd })
    expect((await exported.exited).code).toBe(0)
    const events = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"type":"event"'))
      .map(
        (line) =>
          JSON.parse(line) as { action: string; reason_code: string | null; actor_type: string },
      )
    expect(
      events.filter((e) => e.action !== 'organization.create' && e.action !== 'audit_log.export'),
    ).toEqual([
      expect.objectContaining({
        action: 'organization.suspend',
        reason_code: 'cli_organization_suspend',
        actor_type: 'cli',
      }),
      expect.objectContaining({
        action: 'organization.reactivate',
        reason_code: 'invoice_paid',
        actor_type: 'cli',
      }),
    ])
  })
})
