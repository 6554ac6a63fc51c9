import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runFerry, startFerry, type FerryProcess } from '../support/ferry-process.js'
import { TEST_MASTER_KEY } from '../support/test-app.js'

/**
 * Issue #10: two `ferry start` on one SQLite file with memory holds would each keep the
 * balances in memory and overspend; the second is refused at start with a clear error (a kernel
 * lock on `<database file>.lock`), and a process killed with SIGKILL does not block a restart.
 */
describe('two ferry processes on one SQLite file', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-sqlite-owner-'))
  const env = { FERRY_DATA_DIR: dataDir, FERRY_MASTER_KEY: TEST_MASTER_KEY.toString('hex') }
  const running: FerryProcess[] = []
  afterAll(async () => {
    for (const proc of running) if (proc.child.exitCode === null) proc.child.kill('SIGKILL')
    await Promise.all(running.map((p) => p.exited))
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('refuses the second, names the first, and lets a restart in after a SIGKILL', async () => {
    const first = await startFerry([], { env, timeoutMs: 60_000 })
    running.push(first)
    const lockFile = join(dataDir, 'ferry.db.lock')
    expect(existsSync(lockFile)).toBe(true)

    const second = runFerry(['start', '--port', '0'], { env })
    running.push(second)
    const { code } = await second.exited
    expect(code).not.toBe(0)
    const output = second.stdout.join('') + second.stderr.join('')
    expect(output).toContain(
      `another Ferry process (process ${first.child.pid}) owns the balances of this database`,
    )

    first.child.kill('SIGKILL')
    await first.exited
    // The kernel let go of the killed process's lock: nothing stale to clean up.
    const restarted = await startFerry([], { env, timeoutMs: 60_000 })
    running.push(restarted)
    restarted.child.kill('SIGTERM')
    expect((await restarted.exited).code).toBe(0)
    // Released on a clean stop: the next start takes it at once.
    const again = await startFerry([], { env, timeoutMs: 60_000 })
    running.push(again)
    again.child.kill('SIGTERM')
    expect((await again.exited).code).toBe(0)
  }, 180_000)
})
