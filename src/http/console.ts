import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { NotFoundError, ServiceUnavailableError } from '../lib/errors.js'

/**
 * Where `npm run build` puts the console (web/vite.config.ts). Both src/http/console.ts (tsx)
 * and dist/http/console.js sit two folders below the package root, so one URL serves both.
 */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url))

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/** The console only talks to its own origin; nothing may frame it. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry console not built</title></head>
<body><main><h1>The Ferry console is not built</h1><p>This Ferry has no console bundle. Run <code>npm run build</code>
(or <code>npm start</code>, which builds first) and reload. The admin API at <code>/admin/v1</code> works without it.</p></main></body></html>`

/**
 * Serve the built web console under /console: files of the bundle with their content type,
 * hashed assets cached for a year, index.html (also for every client-side route) never cached,
 * and a clear 503 when the bundle was not built.
 */
export function registerConsole(app: FastifyInstance, options: { dir?: string } = {}): void {
  const dir = normalize(options.dir ?? DEFAULT_CONSOLE_DIR)
  app.get('/console', (_request, reply) => reply.redirect('/console/', 302))
  app.get('/console/*', (request, reply) =>
    serveConsoleFile({ dir, request, reply, path: (request.params as { '*': string })['*'] }),
  )
}

async function serveConsoleFile(options: {
  dir: string
  request: FastifyRequest
  reply: FastifyReply
  path: string
}): Promise<FastifyReply> {
  const { dir, request, reply } = options
  const relative = decodeURIComponentSafe(options.path)
  const file = relative === null ? null : resolveInside(dir, relative)
  if (file !== null && relative !== null && relative !== '' && (await isFile(file))) {
    const immutable = relative.startsWith('assets/')
    return sendFile(reply, {
      file,
      cacheControl: immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
  }
  // A missing file with an extension is a 404; anything else is a client-side route.
  if (relative !== null && extname(relative) !== '') {
    throw new NotFoundError(`The console has no file ${request.url.split('?')[0]}.`)
  }
  const index = join(dir, 'index.html')
  if (!(await isFile(index))) {
    if ((request.headers.accept ?? '').includes('text/html')) {
      return reply
        .status(503)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT_PAGE)
    }
    throw new ServiceUnavailableError(
      'The web console is not built on this Ferry; run `npm run build` and restart.',
      { code: 'console_not_built' },
    )
  }
  return sendFile(reply, { file: index, cacheControl: 'no-cache' })
}

async function sendFile(
  reply: FastifyReply,
  options: { file: string; cacheControl: string },
): Promise<FastifyReply> {
  const body = await readFile(options.file)
  const type = CONTENT_TYPES[extname(options.file)] ?? 'application/octet-stream'
  void reply.header('content-type', type).header('cache-control', options.cacheControl)
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value)
  return reply.send(body)
}

/** The file under `dir` a request path names, or null when it would leave `dir`. */
function resolveInside(dir: string, relative: string): string | null {
  if (relative.includes('\0')) return null
  const file = normalize(join(dir, relative))
  return file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? file : null
}

function decodeURIComponentSafe(text: string): string | null {
  try {
    return decodeURIComponent(text)
  } catch {
    return null
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
