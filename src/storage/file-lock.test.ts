import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tryTakeFileLock } from './file-lock.js'

describe('tryTakeFileLock', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const lockPath = () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-lock-'))
    return join(dir, 'ferry.db.lock')
  }

  it('names the live process that holds the lock, and lets go on release', () => {
    const path = lockPath()
    // Held by another live process (this test's parent, for instance).
    writeFileSync(path, JSON.stringify({ pid: process.ppid }))
    expect(tryTakeFileLock(path)).toEqual({ heldByPid: process.ppid })
    rmSync(path)
    const lock = tryTakeFileLock(path)
    expect('release' in lock).toBe(true)
    if ('release' in lock) lock.release()
    expect(existsSync(path)).toBe(false)
  })

  it('takes over a lock left by a process that no longer runs', () => {
    const path = lockPath()
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    writeFileSync(path, JSON.stringify({ pid: Number(gone.stdout.toString()) }))
    const lock = tryTakeFileLock(path)
    expect('release' in lock).toBe(true)
    if ('release' in lock) lock.release()
  })

  it('takes over a lock of its own process id (a restarted container is pid 1 again)', () => {
    const path = lockPath()
    writeFileSync(path, JSON.stringify({ pid: process.pid }))
    expect('release' in tryTakeFileLock(path)).toBe(true)
  })
})
