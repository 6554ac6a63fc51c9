/**
 * Ferry against the direct-to-upstream baseline, on this machine: non-streaming chat throughput
 * and latency (autocannon, closed loop) and streaming time to first byte (sequential requests).
 * Starts its own fast upstream and a Ferry process (bench-target.ts) with a key; prints a table.
 *
 *   npm run bench                  (DURATION=10 CONNECTIONS=50 STREAMS=500 to change the load)
 *
 * A benchmark, not a test: it prints numbers and fails no build. For the comparison with other
 * gateways use the shared harness (docs/performance.md).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'

const DURATION = Number(process.env.DURATION ?? 10)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50)
const STREAMS = Number(process.env.STREAMS ?? 500)

const chatBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Say hello in five words.' },
  ],
  max_tokens: 32,
})
const streamBody = JSON.stringify({
  ...(JSON.parse(chatBody) as object),
  stream: true,
  stream_options: { include_usage: true },
})

function startChild(
  script: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${String(code)}`)))
    const lines = createInterface({ input: child.stdout })
    lines.once('line', (line) =>
      resolve({ child, info: JSON.parse(line) as Record<string, string> }),
    )
  })
}

async function chat(url: string, headers: Record<string, string>) {
  const options = {
    url: `${url}/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: chatBody,
    connections: CONNECTIONS,
  }
  await autocannon({ ...options, duration: 2 }) // warm-up, discarded
  return autocannon({ ...options, duration: DURATION })
}

/** Time to first body byte of one streamed chat request, in ms. */
function ttfb(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const req = request(
      `${url}/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let first = 0
        res.on('data', () => {
          if (first === 0) first = performance.now() - started
        })
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(first)
            : reject(new Error(`status ${String(res.statusCode)}`)),
        )
      },
    )
    req.on('error', reject)
    req.end(streamBody)
  })
}

async function streamTtfb(url: string, headers: Record<string, string>) {
  for (let i = 0; i < 50; i++) await ttfb(url, headers)
  const times: number[] = []
  for (let i = 0; i < STREAMS; i++) times.push(await ttfb(url, headers))
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN
  return { p50: at(0.5), p99: at(0.99) }
}

const upstream = await startChild('bench/bench-upstream.ts', { MOCK_PORT: '0' })
const ferry = await startChild('bench/bench-target.ts', {
  MOCK_BASE_URL: upstream.info.url ?? '',
  PORT: process.env.FERRY_PORT ?? '18791',
})
try {
  const auth = { authorization: `Bearer ${ferry.info.key ?? ''}` }
  const targets = [
    { name: 'direct (mock)', url: upstream.info.url ?? '', headers: {} },
    { name: 'ferry', url: ferry.info.url ?? '', headers: auth },
  ]
  const rows: string[][] = []
  for (const target of targets) {
    const result = await chat(target.url, target.headers)
    const stream = await streamTtfb(target.url, target.headers)
    rows.push([
      target.name,
      result.requests.average.toFixed(0),
      result.latency.p50.toFixed(1),
      result.latency.p99.toFixed(1),
      String(result.non2xx + result.errors),
      stream.p50.toFixed(2),
      stream.p99.toFixed(2),
    ])
  }
  const header = [
    'target',
    'chat req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'stream TTFB p50 ms',
    'TTFB p99 ms',
  ]
  const lines = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`)
  process.stdout.write(
    `\nnon-streaming chat: autocannon, ${CONNECTIONS} connections, ${DURATION} s; streaming: ${STREAMS} sequential requests\n\n${lines.join('\n')}\n`,
  )
} finally {
  ferry.child.kill('SIGTERM')
  upstream.child.kill('SIGTERM')
}
