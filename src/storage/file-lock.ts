import { readFileSync, statSync, unlinkSync } from 'node:fs'
import Database from 'better-sqlite3'

/** A lock on a file this process holds until `release` (or until it exits, however it exits). */
export interface FileLock {
  /** Let go. Idempotent. */
  release(): void
}

/**
 * `exclusive`: no other holder of either kind. `shared`: any number of shared holders, no
 * exclusive one.
 */
export type FileLockMode = 'exclusive' | 'shared'

/**
 * Take a lock on `path` (created empty if missing), or answer the process that holds the
 * conflicting one (`heldByPid`, -1 when it cannot be named).
 *
 * The lock is the operating system's (SQLite's byte-range locks on the file, through a
 * connection of its own: an exclusive or a shared transaction left open), not the file's
 * contents: the kernel drops it when its process ends, killed or not, so there is no stale lock
 * to detect and no race between two processes that both found one — the weakness of a lock file
 * that holds a process id. The file stays in place on release (removing it would let a process
 * that opened the old file and one that creates a new one both hold "the" lock), and it stays
 * empty: nothing is ever written to it (an exclusive holder's SQLite keeps a small
 * `<path>-journal` beside it, with nothing to roll back). Only meaningful for processes on one
 * machine (a SQLite database file is).
 */
export function tryTakeFileLock(
  path: string,
  mode: FileLockMode = 'exclusive',
): FileLock | { heldByPid: number } {
  const legacyOwner = takeOverLegacyLockFile(path)
  if (legacyOwner !== null) return { heldByPid: legacyOwner }
  // No busy timeout: a lock that is held is answered at once, not waited for.
  const connection = new Database(path, { timeout: 0 })
  try {
    if (mode === 'exclusive') connection.exec('BEGIN EXCLUSIVE')
    else {
      connection.exec('BEGIN')
      // A read is what takes SQLite's shared lock; it is held until the transaction ends.
      connection.prepare('SELECT count(*) AS n FROM sqlite_master').get()
    }
  } catch (err) {
    connection.close()
    if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') throw err
    return { heldByPid: lockHolderPid(path, mode) ?? -1 }
  }
  let released = false
  return {
    release: () => {
      if (released) return
      released = true
      connection.close()
    },
  }
}

/**
 * Earlier versions wrote `{"pid": …}` into the lock file and held nothing in the kernel. Such a
 * file's live process still owns the lock (answered); a dead one's file is removed so the file
 * can be locked. Null: go on and take the lock.
 */
function takeOverLegacyLockFile(path: string): number | null {
  let text: string
  try {
    if (statSync(path).size === 0) return null
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  let pid: unknown
  try {
    pid = (JSON.parse(text) as { pid?: unknown }).pid
  } catch {
    pid = undefined
  }
  if (typeof pid === 'number' && Number.isInteger(pid) && pid !== process.pid && isRunning(pid))
    return pid
  try {
    unlinkSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return null
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

/**
 * The process holding the lock that refused us, for the error message: Linux lists every
 * byte-range lock in /proc/locks with its process and the file's inode. Elsewhere (or if the
 * holder let go meanwhile) null.
 */
function lockHolderPid(path: string, refused: FileLockMode): number | null {
  let listing: string
  let inode: number
  try {
    listing = readFileSync('/proc/locks', 'utf8')
    inode = statSync(path).ino
  } catch {
    return null
  }
  // An exclusive request is refused by either kind; a shared one only by an exclusive holder.
  const conflicting = refused === 'exclusive' ? ['WRITE', 'READ'] : ['WRITE']
  for (const line of listing.split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 17017 fe:00:2165628 1073741824 1073742335"
    const fields = line.trim().split(/\s+/)
    if (fields[1] === '->') continue // a process waiting for the lock, not holding it
    const [kind, pid, device] = [fields[3], fields[4], fields[5]]
    if (kind === undefined || pid === undefined || device === undefined) continue
    if (!conflicting.includes(kind) || Number(device.split(':')[2]) !== inode) continue
    if (Number(pid) !== process.pid) return Number(pid)
  }
  return null
}
