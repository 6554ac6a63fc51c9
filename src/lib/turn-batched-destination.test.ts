import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { TurnBatchedDestination, type FlushableDestination } from './turn-batched-destination.js'

const turnEnds = () => new Promise((resolve) => setImmediate(resolve))

function recordingTarget() {
  const calls: string[] = []
  const target: FlushableDestination = {
    write: (lines: string) => calls.push(`write ${lines}`),
    flush: (cb) => {
      calls.push('flush')
      cb?.()
    },
    flushSync: () => calls.push('flushSync'),
  }
  return { target, calls }
}

describe('TurnBatchedDestination', () => {
  it('hands the lines of one turn over in one write, in order', async () => {
    const { target, calls } = recordingTarget()
    const destination = new TurnBatchedDestination(target)
    destination.write('a\n')
    destination.write('b\n')
    expect(calls).toEqual([])
    await turnEnds()
    destination.write('c\n')
    await turnEnds()
    await turnEnds()
    expect(calls).toEqual(['write a\nb\n', 'write c\n'])
  })

  it('hands over what is pending before a flush, and writes nothing empty', async () => {
    const { target, calls } = recordingTarget()
    const destination = new TurnBatchedDestination(target)
    destination.write('a\n')
    destination.flush()
    destination.write('b\n')
    destination.flushSync()
    destination.flushSync()
    await turnEnds()
    expect(calls).toEqual(['write a\n', 'flush', 'write b\n', 'flushSync', 'flushSync'])
  })

  it('writes every line of a process that exits in the turn that logged them', async () => {
    const logger = new URL('./logger.ts', import.meta.url).href
    const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href
    const script = [
      `const { createLogger } = await import(${JSON.stringify(logger)})`,
      `const log = createLogger({ level: 'info' })`,
      `for (let n = 0; n < 500; n += 1) log.info({ n }, 'line')`,
      `process.exit(3)`,
    ].join('\n')
    const run = promisify(execFile)
    const exited = await run(
      process.execPath,
      ['--import', tsx, '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    ).catch((err: { code: number; stdout: string }) => err)
    expect('code' in exited ? exited.code : 0).toBe(3)
    const lines = exited.stdout.trimEnd().split('\n')
    expect(lines.map((line) => (JSON.parse(line) as { n: number }).n)).toEqual(
      Array.from({ length: 500 }, (_, n) => n),
    )
  })
})
