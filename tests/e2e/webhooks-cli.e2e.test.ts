import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { outboxSigningKey } from '../../src/outbox/index.js'
import { runFerry } from '../support/ferry-process.js'

describe('ferry webhooks (CLI)', () => {
  it('prints the outbox signing secret and audits that it did, without the secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-webhooks-cli-'))
    const masterKey = Buffer.alloc(32, 9)
    const env = { FERRY_MASTER_KEY: masterKey.toString('hex') }
    const data = ['--data-dir', join(dir, 'data')]
    const shown = runFerry(['webhooks', 'signing-secret', ...data], { env })
    expect((await shown.exited).code, shown.stderr.join('')).toBe(0)
    const secret = outboxSigningKey(masterKey).toString('hex')
    expect(shown.stdout.join('').trim()).toBe(secret)

    const exported = join(dir, 'audit.jsonl')
    const exporting = runFerry(['audit', 'export', '-o', exported, ...data], { env })
    expect((await exporting.exited).code, exporting.stderr.join('')).toBe(0)
    const log = readFileSync(exported, 'utf8')
    expect(log).toContain('"action":"webhook.signing_secret_view"')
    expect(log).not.toContain(secret)
  })
})
