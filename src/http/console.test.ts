import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toOpenAIError } from './openai-error.js'
import { registerConsole } from './console.js'

function appServing(dir: string): FastifyInstance {
  const app = Fastify()
  app.setErrorHandler((err, _request, reply) => {
    const { status, body } = toOpenAIError(err, { bodyLimitBytes: 1024 })
    return reply.status(status).send(body)
  })
  registerConsole(app, { dir })
  return app
}

describe('the console handler', () => {
  let dir: string
  let app: FastifyInstance
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-console-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>')
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}')
    app = appServing(dir)
  })
  afterAll(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('redirects /console to /console/', async () => {
    const res = await app.inject({ url: '/console' })
    expect(res.statusCode).toBe(302)
    expect(res.headers.location).toBe('/console/')
  })

  it('serves index.html uncached for the root and every client route', async () => {
    for (const url of ['/console/', '/console/orgs/org_1', '/console/audit?x=1']) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(res.body).toContain('<title>console</title>')
    }
  })

  it('serves hashed assets with their content type and a long cache', async () => {
    const js = await app.inject({ url: '/console/assets/index-abc123.js' })
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const css = await app.inject({ url: '/console/assets/index-abc123.css' })
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8')
  })

  it('answers 404 for a missing file and never leaves the bundle folder', async () => {
    expect((await app.inject({ url: '/console/assets/nope.js' })).statusCode).toBe(404)
    const escape = await app.inject({ url: '/console/..%2f..%2fetc%2fpasswd' })
    expect(escape.statusCode).toBe(200)
    expect(escape.body).toContain('<title>console</title>')
  })

  it('says clearly when the bundle was not built: an HTML page or a JSON error', async () => {
    const empty = appServing(join(dir, 'missing'))
    const page = await empty.inject({ url: '/console/', headers: { accept: 'text/html' } })
    expect(page.statusCode).toBe(503)
    expect(page.body).toContain('npm run build')
    const json = await empty.inject({ url: '/console/', headers: { accept: 'application/json' } })
    expect(json.statusCode).toBe(503)
    expect(json.json()).toMatchObject({ error: { code: 'console_not_built' } })
    await empty.close()
  })
})
