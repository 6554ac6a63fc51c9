import { setTimeout as sleep } from 'node:timers/promises'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../../tests/support/test-app.js'
import { createTestDb, type TestDb } from '../../tests/support/test-db.js'
import { closeGracefully } from './close-gracefully.js'

describe('closeGracefully', () => {
  let testDb: TestDb
  beforeAll(async () => {
    testDb = await createTestDb('sqlite')
  })
  afterAll(() => testDb.destroy())

  async function listening(register: (app: ReturnType<typeof buildTestApp>['app']) => void) {
    const built = buildTestApp({ db: testDb.db })
    register(built.app)
    await built.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = built.app.server.address() as AddressInfo
    return { ...built, base: `http://127.0.0.1:${port}` }
  }

  it('lets an in-flight request finish, then refuses new connections', async () => {
    const { app, base } = await listening((a) =>
      a.get('/test/slow', async () => {
        await sleep(300)
        return { done: true }
      }),
    )
    const inFlight = fetch(`${base}/test/slow`)
    await sleep(50)
    const closed = closeGracefully(app, { graceMs: 5000 })
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ done: true })
    await closed
    await expect(fetch(`${base}/healthz`)).rejects.toThrow()
  })

  it('streams that outlive the grace period are cut so shutdown completes', async () => {
    const { app, base } = await listening((a) =>
      a.get('/test/forever', (_request, reply) => {
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' })
        reply.raw.write('data: {}\n\n')
        return reply
      }),
    )
    const res = await fetch(`${base}/test/forever`)
    const reader = res.body!.getReader()
    await reader.read()
    const started = Date.now()
    await closeGracefully(app, { graceMs: 200 })
    expect(Date.now() - started).toBeLessThan(5000)
    await expect(reader.read()).rejects.toThrow()
  })
})
