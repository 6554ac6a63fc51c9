import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'

/** An exclusive lock file this process holds. */
export interface FileLock {
  /** Remove the file (if it is still ours). Idempotent. */
  release(): void
}

/** Whether a process with this id runs on this machine (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function ownerOf(path: string): number | null {
  try {
    const pid = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown }).pid
    return typeof pid === 'number' && Number.isInteger(pid) ? pid : null
  } catch {
    return null // unreadable or half-written: nobody we can name
  }
}

/**
 * Take `path` as an exclusive lock file holding this process's id, or answer the id of the
 * live process that holds it. A file left by a process that no longer runs (killed, crashed)
 * — or by this very process id (a container restarted as pid 1) — is taken over, so a restart
 * is never blocked. Only meaningful for processes on one machine (a SQLite file is).
 */
export function tryTakeFileLock(path: string): FileLock | { heldByPid: number } {
  const content = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, content, { flag: 'wx' })
      let released = false
      return {
        release: () => {
          if (released) return
          released = true
          if (ownerOf(path) === process.pid) unlinkSync(path)
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const owner = ownerOf(path)
    if (owner !== null && owner !== process.pid && isRunning(owner)) return { heldByPid: owner }
    try {
      unlinkSync(path) // stale: its process is gone
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  const owner = ownerOf(path)
  return { heldByPid: owner ?? -1 }
}
