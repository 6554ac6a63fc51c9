import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createInfoLineWriter } from './log-line.js'
import { createLogger } from './logger.js'

function captured(level = 'info') {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'))
      callback()
    },
  })
  return { logger: createLogger({ level, destination }), lines }
}

/** The line with its time replaced, so two lines written a millisecond apart compare. */
const untimed = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"')

describe('createInfoLineWriter', () => {
  it('writes exactly the line pino writes for the same fields', () => {
    const { logger, lines } = captured()
    const write = createInfoLineWriter(logger, 'request completed')
    const fields = {
      requestId: 'req_1',
      path: '/v1/chat/completions',
      status: 200,
      durationMs: 1.25,
      cached: false,
      keyLabel: 'back"end\\ \u2028 é',
      priceTableVersion: null,
    }
    logger.info(fields, 'request completed')
    write(fields)
    expect(lines).toHaveLength(2)
    expect(untimed(lines[1]!)).toBe(untimed(lines[0]!))
    const line = JSON.parse(lines[1]!) as Record<string, unknown>
    expect(line).toMatchObject({ level: 'info', service: 'ferry', ...fields })
    expect(new Date(line.time as string).toISOString()).toBe(line.time)
  })

  it('writes a line with no fields, and nothing when info is off', () => {
    const { logger, lines } = captured()
    const write = createInfoLineWriter(logger, 'tick')
    write({})
    logger.info('tick')
    expect(untimed(lines[0]!)).toBe(untimed(lines[1]!))
    logger.level = 'warn'
    write({ a: 1 })
    expect(lines).toHaveLength(2)
  })

  it('goes through pino for a destination that needs its per-line metadata', () => {
    const seen: { line: string; level: number }[] = []
    const multi = pino.multistream([
      {
        stream: {
          write(line: string) {
            seen.push({ line, level: (multi as unknown as { lastLevel: number }).lastLevel })
          },
        },
        level: 'info',
      },
    ])
    const logger = pino({ base: null }, multi)
    createInfoLineWriter(logger, 'request completed')({ status: 200 })
    expect(seen).toHaveLength(1)
    expect(seen[0]!.level).toBe(30)
    expect(JSON.parse(seen[0]!.line)).toMatchObject({ status: 200, msg: 'request completed' })
  })
})
