/**
 * A fast OpenAI-compatible upstream for benchmarks: plain node:http, bodies serialised once.
 * `POST /v1/chat/completions` answers a fixed chat.completion, or with `stream: true` a role
 * chunk, 20 content chunks, a finish chunk, a usage chunk (when asked) and `[DONE]` in one write.
 *
 *   node --import tsx bench/bench-upstream.ts      (MOCK_PORT, default 18080)
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

const MODEL = 'gpt-4o-mini-2024-07-18'
const ID = 'chatcmpl-bench'
const usage = { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 }
const chatJson = JSON.stringify({
  id: ID,
  object: 'chat.completion',
  created: 1_700_000_000,
  model: MODEL,
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'A fixed reply from the bench upstream.',
        refusal: null,
      },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
})
const chunk = (delta: object, finish: string | null) =>
  `data: ${JSON.stringify({ id: ID, object: 'chat.completion.chunk', created: 1_700_000_000, model: MODEL, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`
const streamBody = [
  chunk({ role: 'assistant', content: '' }, null),
  ...Array.from({ length: 20 }, (_, i) => chunk({ content: `tok${i} ` }, null)),
  chunk({}, 'stop'),
].join('')
const usageChunk = `data: ${JSON.stringify({ id: ID, object: 'chat.completion.chunk', created: 1_700_000_000, model: MODEL, choices: [], usage })}\n\n`

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    req.setEncoding('utf8')
    req.on('data', (part: string) => (text += part))
    req.on('end', () => resolve(text))
  })
}

/** Start the upstream on 127.0.0.1; port 0 picks a free one. */
export async function startBenchUpstream(port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            object: 'list',
            data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'bench' }],
          }),
        )
        return
      }
      const body = (text === '' ? {} : JSON.parse(text)) as {
        stream?: boolean
        stream_options?: { include_usage?: boolean }
      }
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.end(
          streamBody + (body.stream_options?.include_usage ? usageChunk : '') + 'data: [DONE]\n\n',
        )
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(chatJson)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const { port: bound } = server.address() as AddressInfo
  return { server, url: `http://127.0.0.1:${bound}/v1` }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await startBenchUpstream(Number(process.env.MOCK_PORT ?? 18080))
  process.stdout.write(`${JSON.stringify({ url })}\n`)
}
