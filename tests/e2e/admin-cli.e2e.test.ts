import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFerry, startFerry } from '../support/ferry-process.js'
import { createTestDb, testDialects } from '../support/test-db.js'

const PASSWORD = 'e2e owner passphrase 42'

describe('ferry admin (CLI)', () => {
  it('tells how to create the first owner, creates it from stdin, issues a token the API accepts', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-e2e-admin-'))
    const ferry = await startFerry([], { cwd })
    try {
      expect(ferry.stdout.join('')).toContain('ferry admin create --email')

      const create = runFerry(
        [
          'admin',
          'create',
          '--email',
          'Owner@Example.com',
          '--role',
          'owner',
          '--name',
          'Olive',
          '--password-stdin',
        ],
        {
          cwd,
          stdin: `${PASSWORD}\n`,
        },
      )
      expect((await create.exited).code, create.stderr.join('')).toBe(0)
      expect(create.stdout.join('')).toMatch(
        /created owner adm_[0-9a-z]{26} \(Owner@Example\.com\)/,
      )
      expect(create.stdout.join('') + create.stderr.join('')).not.toContain(PASSWORD)

      const token = runFerry(
        [
          'admin',
          'token',
          'create',
          '--email',
          'owner@example.com',
          '--name',
          'deploys',
          '--expires-in',
          '90d',
        ],
        { cwd },
      )
      expect((await token.exited).code, token.stderr.join('')).toBe(0)
      const secret = token.stdout.join('').trim()
      expect(secret).toMatch(/^fadm_[0-9a-z]{26}_[0-9a-f]{64}$/)
      expect(token.stderr.join('')).toContain('shown once')

      const me = await fetch(`${ferry.url}/admin/v1/auth/me`, {
        headers: { authorization: `Bearer ${secret}` },
      })
      expect(me.status).toBe(200)
      expect(await me.json()).toMatchObject({
        admin: { email: 'Owner@Example.com', displayName: 'Olive' },
        role: 'owner',
      })
      const login = await fetch(`${ferry.url}/admin/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'owner@example.com', password: PASSWORD }),
      })
      expect(login.status).toBe(200)

      expect(ferry.stdout.join('')).not.toContain(secret)
      expect(ferry.stdout.join('')).not.toContain(PASSWORD)
    } finally {
      ferry.child.kill('SIGTERM')
      await ferry.exited
    }
  })

  it('refuses a missing password on a non-terminal stdin and a bad --expires-in', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-e2e-admin-'))
    const noTty = runFerry(['admin', 'create', '--email', 'a@example.com', '--role', 'owner'], {
      cwd,
    })
    expect((await noTty.exited).code).not.toBe(0)
    expect(noTty.stderr.join('')).toContain('--password-stdin')
    const weak = runFerry(
      ['admin', 'create', '--email', 'a@example.com', '--role', 'owner', '--password-stdin'],
      { cwd, stdin: 'short' },
    )
    expect((await weak.exited).code).toBe(1)
    expect(weak.stderr.join('')).toContain('12')
    const badDuration = runFerry(
      ['admin', 'token', 'create', '--email', 'a@example.com', '--expires-in', 'soon'],
      { cwd },
    )
    expect((await badDuration.exited).code).toBe(1)
    expect(badDuration.stderr.join('')).toContain('--expires-in')
  })

  for (const dialect of testDialects().filter((d) => d === 'postgres')) {
    it('creates an owner and a token on an empty PostgreSQL database', async () => {
      const testDb = await createTestDb(dialect, { migrate: false })
      try {
        const env = { FERRY_DATABASE_URL: testDb.url, FERRY_MASTER_KEY: 'ab'.repeat(32) }
        const create = runFerry(
          ['admin', 'create', '--email', 'pg@example.com', '--role', 'owner', '--password-stdin'],
          {
            cwd: testDb.dataDir,
            env,
            stdin: PASSWORD,
          },
        )
        expect((await create.exited).code, create.stderr.join('')).toBe(0)
        const token = runFerry(['admin', 'token', 'create', '--email', 'pg@example.com'], {
          cwd: testDb.dataDir,
          env,
        })
        expect((await token.exited).code, token.stderr.join('')).toBe(0)
        const rows = await testDb.db
          .selectFrom('audit_events')
          .select(['action', 'actor_type', 'actor_id', 'reason_code'])
          .execute()
        expect(rows.map((r) => r.action)).toEqual(
          expect.arrayContaining(['admin.create', 'admin.token_create']),
        )
        for (const row of rows.filter((r) => r.action.startsWith('admin.'))) {
          expect(row.actor_type).toBe('cli')
          expect(row.actor_id).toMatch(/^cli:/)
        }
      } finally {
        await testDb.destroy()
      }
    })
  }
})
