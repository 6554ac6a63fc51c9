import net from 'node:net'

/** Where the test PostgreSQL and Redis are expected; override with FERRY_TEST_*_URL. */
export const TEST_POSTGRES_URL =
  process.env.FERRY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const TEST_REDIS_URL = process.env.FERRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** True when something accepts TCP connections at the URL's host and port. */
export function isReachable(url: string, defaultPort: number, timeoutMs = 1000): Promise<boolean> {
  const parsed = new URL(url)
  const port = Number(parsed.port || defaultPort)
  return new Promise((resolve) => {
    const socket = net.connect({ host: parsed.hostname, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
