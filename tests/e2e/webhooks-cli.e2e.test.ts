import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { verifyWebhookSignature } from '../../src/lib/webhook-signature.js'
import { outboxSigningKey } from '../../src/outbox/index.js'
import { runFerry, startFerry } from '../support/ferry-process.js'

const masterKey = Buffer.alloc(32, 9)
const env = { FERRY_MASTER_KEY: masterKey.toString('hex') }

describe('ferry webhooks (CLI and gateway)', () => {
  it('prints the outbox signing secret and audits that it did, without the secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-webhooks-cli-'))
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

  it('delivers an audit event the CLI wrote to the webhook, from a running gateway', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = []
    const receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        res.statusCode = 202
        res.end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const { port } = receiver.address() as AddressInfo
    const dir = mkdtempSync(join(tmpdir(), 'ferry-webhooks-e2e-'))
    const webhookEnv = {
      ...env,
      FERRY_WEBHOOKS_URL: `http://127.0.0.1:${port}/ferry`,
      FERRY_WEBHOOKS_TOPICS: 'audit',
      FERRY_WEBHOOKS_POLL_INTERVAL_MS: '100',
    }
    const data = ['--data-dir', join(dir, 'data')]
    const ferry = await startFerry(data, { env: webhookEnv })
    try {
      const created = runFerry(['orgs', 'create', '--name', 'Webhook Co', '--json', ...data], {
        env: webhookEnv,
      })
      expect((await created.exited).code, created.stderr.join('')).toBe(0)
      const org = JSON.parse(created.stdout.join('')) as { organizationId: string }
      const deadline = Date.now() + 10_000
      const isOrgCreate = (r: (typeof received)[number]) =>
        r.body.includes('"action":"organization.create"') && r.body.includes(org.organizationId)
      while (!received.some(isOrgCreate) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      const delivery = received.find(isOrgCreate)
      expect(delivery, 'the organization.create event reached the receiver').toBeDefined()
      expect(
        verifyWebhookSignature({
          key: outboxSigningKey(masterKey),
          header: String(delivery!.headers['x-ferry-signature']),
          body: delivery!.body,
        }),
      ).toBe(true)
      expect(delivery!.headers['x-ferry-topic']).toBe('audit')
    } finally {
      ferry.child.kill('SIGTERM')
      expect((await ferry.exited).code).toBe(0)
      await new Promise<void>((resolve) => receiver.close(() => resolve()))
    }
  })
})
