import { Writable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../lib/logger.js'
import type { AuditCheckpointer } from './audit-checkpoints.service.js'
import { startAuditCheckpointJob } from './audit-checkpoint-job.js'
import type { SignedCheckpoint } from './checkpoint.js'

function capturedLogger() {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      callback()
    },
  })
  return { logger: createLogger({ level: 'debug', destination }), lines }
}

/** A checkpointer whose runs the test finishes by hand. */
function manualCheckpointer() {
  const pending: { resolve(written: SignedCheckpoint[]): void; reject(err: Error): void }[] = []
  const checkpointer: AuditCheckpointer = {
    writeCheckpoints: () =>
      new Promise<SignedCheckpoint[]>((resolve, reject) => pending.push({ resolve, reject })),
  }
  return { checkpointer, pending }
}

describe('the periodic audit checkpoint job', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('signs every interval, whether or not anything happened, and stops when told', async () => {
    vi.useFakeTimers()
    const calls: number[] = []
    const checkpointer: AuditCheckpointer = {
      writeCheckpoints: () => {
        calls.push(Date.now())
        return Promise.resolve([])
      },
    }
    const { logger } = capturedLogger()
    const job = startAuditCheckpointJob({ checkpointer, intervalMs: 1000, logger })
    await vi.advanceTimersByTimeAsync(3500)
    expect(calls).toHaveLength(3)
    await job.stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls).toHaveLength(3)
  })

  it('does not start a second run while one is still writing', async () => {
    vi.useFakeTimers()
    const { checkpointer, pending } = manualCheckpointer()
    const { logger } = capturedLogger()
    const job = startAuditCheckpointJob({ checkpointer, intervalMs: 1000, logger })
    await vi.advanceTimersByTimeAsync(3500)
    expect(pending).toHaveLength(1)
    pending[0]!.resolve([])
    await vi.advanceTimersByTimeAsync(1000)
    expect(pending).toHaveLength(2)
    pending[1]!.resolve([])
    await job.stop()
  })

  it('logs a failed run instead of throwing, and runs again at the next tick', async () => {
    const { checkpointer, pending } = manualCheckpointer()
    const { logger, lines } = capturedLogger()
    const job = startAuditCheckpointJob({ checkpointer, intervalMs: 60_000, logger })
    const first = job.runOnce()
    pending[0]!.reject(new Error('database is down'))
    await expect(first).resolves.toBeUndefined()
    expect(lines.find((l) => l.msg === 'writing audit checkpoints failed')).toMatchObject({
      level: 'error',
      err: { message: 'database is down' },
    })
    const second = job.runOnce()
    expect(pending).toHaveLength(2)
    pending[1]!.resolve([])
    await second
    await job.stop()
  })

  it('waits for a run in flight when stopped, so the database can close after it', async () => {
    const { checkpointer, pending } = manualCheckpointer()
    const { logger } = capturedLogger()
    const job = startAuditCheckpointJob({ checkpointer, intervalMs: 60_000, logger })
    void job.runOnce()
    let stopped = false
    const stopping = job.stop().then(() => {
      stopped = true
    })
    await Promise.resolve()
    expect(stopped).toBe(false)
    pending[0]!.resolve([])
    await stopping
    expect(stopped).toBe(true)
  })
})
