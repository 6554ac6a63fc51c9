import type {
  UpstreamHttpRequest,
  UpstreamHttpResponse,
  UpstreamTransport,
} from '../../../src/providers/index.js'

/** Upstream bytes as recorded on the wire, replayed through an adapter. */
export interface Recording {
  status: number
  headers?: Record<string, string>
  /** The exact body, as UTF-8 text (line endings included). */
  body: string
  /** After the body, the connection fails with this error code (e.g. a reset mid-stream). */
  failAfterBody?: string
}

/** A connection that never got an answer: the transport throws this error code. */
export interface ConnectFailure {
  connectError: string
}

export interface ReplayTransport extends UpstreamTransport {
  /** What the adapter sent. */
  requests: UpstreamHttpRequest[]
}

/**
 * A transport that answers every call with one recording, its body cut at the given byte
 * offsets (so a split can fall inside a UTF-8 character or between CR and LF). No sockets:
 * the contract suite checks decoding and translation byte for byte.
 */
export function replayTransport(
  recording: Recording | ConnectFailure,
  options: { splits?: number[] } = {},
): ReplayTransport {
  const requests: UpstreamHttpRequest[] = []
  return {
    requests,
    send(request, { signal }) {
      requests.push(request)
      if ('connectError' in recording) return Promise.reject(codeError(recording.connectError))
      const { failAfterBody } = recording
      const bytes = Buffer.from(recording.body, 'utf8')
      let destroyed = false
      async function* body(): AsyncGenerator<Uint8Array> {
        for (const part of splitBytes(bytes, options.splits ?? [])) {
          await Promise.resolve()
          if (destroyed) return
          signal.throwIfAborted()
          yield part
        }
        if (failAfterBody !== undefined) throw codeError(failAfterBody)
      }
      const response: UpstreamHttpResponse = {
        status: recording.status,
        headers: { 'content-type': 'application/json', ...recording.headers },
        body: body(),
        destroy: () => {
          destroyed = true
        },
      }
      return Promise.resolve(response)
    },
    close: () => Promise.resolve(),
  }
}

function codeError(code: string): Error {
  return Object.assign(new Error(`replayed failure ${code}`), { code })
}

/** Cut bytes at offsets (taken modulo the length + 1, deduplicated). */
export function splitBytes(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let last = 0
  for (const cut of [...cuts, bytes.length]) {
    if (cut > last) parts.push(bytes.subarray(last, cut))
    last = cut
  }
  return parts
}
