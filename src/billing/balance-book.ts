import type { Micros } from './money.js'

interface BookAccount {
  readonly accountId: string
  readonly key: string
  /** Balance as this process knows it: committed, minus debits decided but not yet committed. */
  balance: Micros
  held: Micros
  /** The account version the balance was loaded at; later committed entries are applied once. */
  readonly loadedVersion: bigint
}

/**
 * The in-process authority over prepaid balances (`billing.holds: memory`): while one process
 * owns the database, every hold, settlement and admin debit of an account is decided here,
 * synchronously, so a hold is atomic against the balance without a database round trip.
 *
 * It stays conservative: a debit (a settlement's charge, an admin debit) is taken from the book
 * *before* its transaction commits and given back if it fails; a credit is added only *after*
 * its transaction commits. The book's balance is therefore never above the database's, and
 * holds admitted against it can never overdraw the account.
 */
export interface BalanceBook {
  /** Load (or replace) an account's committed state; used at start and for new accounts. */
  load(account: BookAccountState): void
  has(accountId: string): boolean
  /** The account of an organization's environment, if the book holds it. */
  findAccountId(organizationId: string, environment: string): string | undefined
  /** Balance and held amount now, or undefined for an account the book does not hold. */
  get(accountId: string): { balanceMicros: Micros; heldMicros: Micros } | undefined
  /** Reserve `amount` if balance − held covers it; false otherwise. Never awaits. */
  tryReserve(accountId: string, amount: Micros): boolean
  unreserve(accountId: string, amount: Micros): void
  /** Apply a debit decided now (settlement charge, admin debit) or give one back (−amount). */
  applyDebit(accountId: string, amount: Micros): void
  /**
   * Apply a committed entry: new accounts are loaded at the entry's balance; for known accounts
   * an entry made after the load is applied once (entries up to the loaded version are in it).
   */
  applyCommitted(entry: {
    accountId: string
    organizationId: string
    environment: string
    amountMicros: Micros
    balanceAfterMicros: Micros
    accountVersion: bigint
  }): void
}

/** What the book loads for an account: its committed balance at a version. */
export interface BookAccountState {
  accountId: string
  organizationId: string
  environment: string
  balanceMicros: Micros
  version: bigint
}

const keyOf = (organizationId: string, environment: string) =>
  `${organizationId}\u0000${environment}`

export function createBalanceBook(): BalanceBook {
  const accounts = new Map<string, BookAccount>()
  const byKey = new Map<string, string>()

  function put(state: BookAccountState): void {
    const key = keyOf(state.organizationId, state.environment)
    accounts.set(state.accountId, {
      accountId: state.accountId,
      key,
      balance: state.balanceMicros,
      held: 0n,
      loadedVersion: state.version,
    })
    byKey.set(key, state.accountId)
  }

  function must(accountId: string): BookAccount {
    const account = accounts.get(accountId)
    if (!account) throw new Error(`balance book: unknown account ${accountId}`)
    return account
  }

  return {
    load: put,
    has: (accountId) => accounts.has(accountId),
    findAccountId: (organizationId, environment) => byKey.get(keyOf(organizationId, environment)),
    get: (accountId) => {
      const account = accounts.get(accountId)
      return account && { balanceMicros: account.balance, heldMicros: account.held }
    },
    tryReserve: (accountId, amount) => {
      const account = accounts.get(accountId)
      if (!account || amount < 0n || account.balance - account.held < amount) return false
      account.held += amount
      return true
    },
    unreserve: (accountId, amount) => {
      const account = must(accountId)
      if (amount > account.held) throw new Error('balance book: unreserving more than is held')
      account.held -= amount
    },
    applyDebit: (accountId, amount) => {
      must(accountId).balance -= amount
    },
    applyCommitted: (entry) => {
      const account = accounts.get(entry.accountId)
      if (!account) {
        put({ ...entry, balanceMicros: entry.balanceAfterMicros, version: entry.accountVersion })
        return
      }
      if (entry.accountVersion > account.loadedVersion) account.balance += entry.amountMicros
    },
  }
}
