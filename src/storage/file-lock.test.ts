import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tryTakeFileLock, type FileLock } from './file-lock.js'

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3')

/** Another process that takes the lock the way tryTakeFileLock does and holds it until killed. */
async function holdInAnotherProcess(path: string, mode: 'exclusive' | 'shared') {
  const sql =
    mode === 'exclusive'
      ? "db.exec('BEGIN EXCLUSIVE')"
      : "db.exec('BEGIN'); db.prepare('SELECT count(*) FROM sqlite_master').get()"
  const child = spawn(process.execPath, [
    '-e',
    `const db = new (require(${JSON.stringify(BETTER_SQLITE3)}))(${JSON.stringify(path)}); ${sql}; console.log('held'); setInterval(() => {}, 1000)`,
  ])
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`holder exited (${code})`)))
  })
  return child
}

describe('tryTakeFileLock', () => {
  let dir: string
  const held: FileLock[] = []
  afterEach(() => {
    for (const lock of held.splice(0)) lock.release()
    rmSync(dir, { recursive: true, force: true })
  })
  const lockPath = () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-lock-'))
    return join(dir, 'ferry.db.lock')
  }
  const take = (path: string, mode: 'exclusive' | 'shared' = 'exclusive') => {
    const lock = tryTakeFileLock(path, mode)
    if ('release' in lock) held.push(lock)
    return lock
  }

  it('is exclusive within a process too, and free again on release', () => {
    const path = lockPath()
    const first = take(path)
    expect('release' in first).toBe(true)
    expect(take(path)).toEqual({ heldByPid: expect.any(Number) as number })
    expect(take(path, 'shared')).not.toHaveProperty('release')
    if ('release' in first) first.release()
    expect('release' in take(path)).toBe(true)
  })

  it('lets shared holders in together and keeps an exclusive one out until the last leaves', () => {
    const path = lockPath()
    const a = take(path, 'shared')
    const b = take(path, 'shared')
    expect('release' in a && 'release' in b).toBe(true)
    expect(take(path, 'exclusive')).not.toHaveProperty('release')
    if ('release' in a) a.release()
    expect(take(path, 'exclusive')).not.toHaveProperty('release')
    if ('release' in b) b.release()
    expect('release' in take(path, 'exclusive')).toBe(true)
  })

  it('names the live process that holds it, and is free the moment that process is killed', async () => {
    const path = lockPath()
    const holder = await holdInAnotherProcess(path, 'exclusive')
    try {
      expect(tryTakeFileLock(path)).toEqual({ heldByPid: holder.pid })
      expect(tryTakeFileLock(path, 'shared')).toEqual({ heldByPid: holder.pid })
    } finally {
      holder.kill('SIGKILL')
      await new Promise((resolve) => holder.once('exit', resolve))
    }
    expect('release' in take(path)).toBe(true)
  })

  it('refuses an exclusive lock beside another process’s shared one', async () => {
    const path = lockPath()
    const holder = await holdInAnotherProcess(path, 'shared')
    try {
      expect(tryTakeFileLock(path)).toEqual({ heldByPid: holder.pid })
      expect('release' in take(path, 'shared')).toBe(true)
    } finally {
      holder.kill('SIGKILL')
      await new Promise((resolve) => holder.once('exit', resolve))
    }
  })

  it('never writes to the file, and leaves it in place on release', () => {
    const path = lockPath()
    const lock = take(path)
    expect(statSync(path).size).toBe(0)
    if ('release' in lock) lock.release()
    expect(statSync(path).size).toBe(0)
  })

  it('respects a lock file of an earlier version whose process runs, and replaces a dead one’s', () => {
    const path = lockPath()
    writeFileSync(path, JSON.stringify({ pid: process.ppid }))
    expect(take(path)).toEqual({ heldByPid: process.ppid })
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    writeFileSync(path, JSON.stringify({ pid: Number(gone.stdout.toString()) }))
    expect('release' in take(path)).toBe(true)
    expect(statSync(path).size).toBe(0)
  })
})
