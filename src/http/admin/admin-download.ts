import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'

/**
 * What a handler returns to answer with a file instead of JSON (exports): a content type, a
 * file name for `content-disposition: attachment`, extra headers, and the body as an async
 * iterable that is streamed with backpressure, so memory stays constant whatever its size.
 */
export class AdminDownload {
  constructor(
    readonly file: {
      contentType: string
      filename: string
      headers?: Readonly<Record<string, string>>
      body: AsyncIterable<string>
    },
  ) {}
}

/** Stream a download. A failure mid-stream ends the response early (Fastify logs it). */
export function sendDownload(reply: FastifyReply, download: AdminDownload): FastifyReply {
  const { file } = download
  void reply
    .header('content-type', file.contentType)
    .header('content-disposition', `attachment; filename="${file.filename}"`)
    .header('cache-control', 'no-store')
  for (const [name, value] of Object.entries(file.headers ?? {})) void reply.header(name, value)
  return reply.send(Readable.from(file.body, { objectMode: false }))
}
