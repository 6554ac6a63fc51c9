import { Writable } from 'node:stream'

/** A pino destination that keeps every line, so tests can read and scan the logs. */
export function createLogCapture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      )
      callback()
    },
  })
  return {
    stream,
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}
