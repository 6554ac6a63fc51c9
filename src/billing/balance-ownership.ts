import {
  tryTakeFileLock,
  tryTakeSessionLock,
  type Dialect,
  type SessionLock,
} from '../storage/index.js'
import type { HoldStrategy } from './balance-holds.js'

/** The advisory lock's name: one per PostgreSQL schema (see `tryTakeSessionLock`). */
const BALANCES_LOCK = 'ferry:balances'

/** Raised at start when this process's hold strategy cannot share the database's balances. */
export class BalancesOwnedElsewhereError extends Error {
  constructor(strategy: HoldStrategy, ownerPid?: number) {
    const owner = ownerPid !== undefined && ownerPid > 0 ? ` (process ${ownerPid})` : ''
    super(
      strategy === 'memory'
        ? `another Ferry process${owner} owns the balances of this database; set billing.holds: database (on every process) to run several`
        : `a Ferry process with billing.holds: memory${owner} owns the balances of this database; stop it, or set billing.holds: database on every process`,
    )
    this.name = 'BalancesOwnedElsewhereError'
  }
}

export interface BalanceOwnership {
  /** Let go of the lock (on shutdown, after the last settlement is written). */
  release(): Promise<void>
}

/**
 * Make "two processes each think they own the balances" impossible on PostgreSQL (ADR 0003).
 * A `memory`-strategy process (its balance book is the authority) takes the balances lock
 * exclusively; `database`-strategy processes take it shared. So a second memory process, or a
 * memory process beside database ones (it would ignore their stored holds and release them at
 * start), is refused at start with `BalancesOwnedElsewhereError`, while any number of database
 * processes run together. SQLite: the same on the lock file `<database file>.lock` (a kernel
 * lock on it, which its process's end releases whatever the cause; see `tryTakeFileLock`): a
 * `memory` process locks it exclusively, `database` processes shared, so a second `ferry start`
 * on the same file is refused at start, and so is a memory process beside database ones.
 *
 * The lock lives on its own connection. When that connection drops (PostgreSQL restarted) the
 * lock is gone: `onLost` hears it, and it is taken again every `retryMs` until it is held
 * (`onRegained`) — or found taken by another process (`onTakenOver`, each attempt).
 */
export async function claimBalanceOwnership(options: {
  dialect: Dialect
  connectionString: string | undefined
  /** SQLite: the database file (DatabaseHandle.location); its lock file sits beside it. */
  sqlitePath?: string
  strategy: HoldStrategy
  retryMs?: number
  onLost?: (err: unknown) => void
  onRegained?: () => void
  onTakenOver?: (err: BalancesOwnedElsewhereError) => void
}): Promise<BalanceOwnership> {
  const { connectionString } = options
  // `:memory:` is private to its process: nothing to share, nothing to lock.
  if (
    options.dialect === 'sqlite' &&
    options.sqlitePath !== undefined &&
    options.sqlitePath !== ':memory:'
  )
    return claimSqliteOwnership(`${options.sqlitePath}.lock`, options.strategy)
  if (options.dialect !== 'postgres' || connectionString === undefined)
    return { release: () => Promise.resolve() }
  const retryMs = options.retryMs ?? 1000
  let lock: SessionLock | null = null
  let stopped = false
  let retryTimer: NodeJS.Timeout | undefined

  const take = () =>
    tryTakeSessionLock({
      connectionString,
      name: BALANCES_LOCK,
      shared: options.strategy === 'database',
      onLost: (err) => {
        lock = null
        if (stopped) return
        options.onLost?.(err)
        scheduleRetry()
      },
    })
  const scheduleRetry = () => {
    if (stopped || retryTimer !== undefined) return
    retryTimer = setTimeout(() => {
      retryTimer = undefined
      take().then(
        (taken) => {
          if (stopped) return void taken?.release()
          if (taken === null) {
            options.onTakenOver?.(new BalancesOwnedElsewhereError(options.strategy))
            return scheduleRetry()
          }
          lock = taken
          options.onRegained?.()
        },
        () => scheduleRetry(), // still unreachable
      )
    }, retryMs)
    retryTimer.unref()
  }

  lock = await take()
  if (lock === null) throw new BalancesOwnedElsewhereError(options.strategy)
  return {
    release: async () => {
      stopped = true
      clearTimeout(retryTimer)
      await lock?.release()
      lock = null
    },
  }
}

/** SQLite (one machine): the lock file, exclusively for a memory owner, shared for database ones. */
function claimSqliteOwnership(lockPath: string, strategy: HoldStrategy): BalanceOwnership {
  const lock = tryTakeFileLock(lockPath, strategy === 'memory' ? 'exclusive' : 'shared')
  if (!('release' in lock)) throw new BalancesOwnedElsewhereError(strategy, lock.heldByPid)
  return {
    release: () => {
      lock.release()
      return Promise.resolve()
    },
  }
}
