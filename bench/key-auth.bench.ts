/**
 * Micro-benchmark of customer key authentication on a cache hit: parse and checksum the
 * presented secret, look the key up in the cache, HMAC it, compare in constant time. The
 * budget is well under 10 µs per request (DESIGN: the hot path waits only on the upstream).
 *
 *   npm run bench:keys            (KEYS=100000 ITERATIONS=2000000 to change the load)
 *
 * A benchmark, not a test: it prints numbers and fails no build.
 */
import { randomBytes } from 'node:crypto'
import { systemClock } from '../src/lib/clock.js'
import { createKeyCache, type CachedKey } from '../src/keys/key-cache.js'
import {
  generateKeySecret,
  hashKeySecret,
  matchKeyHash,
  parseKeySecret,
} from '../src/keys/key-secret.js'

const KEYS = Number(process.env.KEYS ?? 10_000)
const ITERATIONS = Number(process.env.ITERATIONS ?? 1_000_000)

const hashKey = randomBytes(32)
const cache = createKeyCache<CachedKey>({ clock: systemClock, maxEntries: KEYS, ttlMs: 3_600_000 })
const secrets: string[] = []
for (let i = 0; i < KEYS; i++) {
  const key = generateKeySecret({ environment: i % 2 === 0 ? 'live' : 'test', hashKey })
  secrets.push(key.secret)
  cache.set({ keyId: key.keyId, organizationId: `org_${i % 100}`, hash: key.hash })
}

/** The request path on a hit, synchronous: what the gateway does before calling upstream. */
function authenticate(presented: string, nowMs: number): boolean {
  const parsed = parseKeySecret(presented)
  if (parsed === undefined) return false
  const found = cache.peek(parsed.keyId)
  if (found.status !== 'hit') return false
  return matchKeyHash(hashKeySecret(presented, hashKey), found.key, nowMs) !== undefined
}

/** The same through the async `load` (a promise per request), as a service may call it. */
async function authenticateAsync(presented: string, nowMs: number): Promise<boolean> {
  const parsed = parseKeySecret(presented)
  if (parsed === undefined) return false
  const key = await cache.load(parsed.keyId, () => Promise.resolve(undefined))
  return (
    key !== undefined && matchKeyHash(hashKeySecret(presented, hashKey), key, nowMs) !== undefined
  )
}

function measure(label: string, run: (i: number) => void, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 100_000); i++) run(i) // warm up the JIT
  const started = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) run(i)
  const usPerOp = Number(process.hrtime.bigint() - started) / 1_000 / iterations
  process.stdout.write(`${label.padEnd(44)} ${usPerOp.toFixed(3)} µs/op\n`)
  return usPerOp
}

async function measureAsync(label: string, iterations: number): Promise<number> {
  const now = Date.now()
  for (let i = 0; i < 100_000; i++) await authenticateAsync(secrets[i % KEYS]!, now)
  const started = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await authenticateAsync(secrets[i % KEYS]!, now)
  const usPerOp = Number(process.hrtime.bigint() - started) / 1_000 / iterations
  process.stdout.write(`${label.padEnd(44)} ${usPerOp.toFixed(3)} µs/op\n`)
  return usPerOp
}

process.stdout.write(
  `key-auth bench: ${KEYS} cached keys, ${ITERATIONS} iterations, node ${process.version}\n`,
)
const now = Date.now()
let sink = 0
measure(
  'parseKeySecret (shape + CRC32)',
  (i) => {
    if (parseKeySecret(secrets[i % KEYS]!)) sink++
  },
  ITERATIONS,
)
measure(
  'hashKeySecret (HMAC-SHA256)',
  (i) => {
    sink += hashKeySecret(secrets[i % KEYS]!, hashKey)[0]!
  },
  ITERATIONS,
)
const total = measure(
  'authenticate on a cache hit (sync peek)',
  (i) => {
    if (authenticate(secrets[i % KEYS]!, now)) sink++
  },
  ITERATIONS,
)
await measureAsync('authenticate on a cache hit (async load)', ITERATIONS)
const garbage = `fk_live_${'x'.repeat(55)}`
measure(
  'reject a malformed key',
  () => {
    if (!authenticate(garbage, now)) sink++
  },
  ITERATIONS,
)
process.stdout.write(
  `\n${total < 10 ? 'OK' : 'OVER BUDGET'}: ${total.toFixed(2)} µs per authentication (budget 10 µs)` +
    ` [checksum ${sink > 0 ? 'ok' : '-'}]\n`,
)
