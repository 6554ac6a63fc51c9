import { PostgresAdapter } from 'kysely'
import type { Dialect } from './database.js'

/** Anything with Kysely's executor: a Kysely instance or a transaction, of any schema. */
interface HasExecutor {
  getExecutor(): { readonly adapter: unknown }
}

/** Which engine a Kysely instance (or transaction) talks to, for the few dialect-specific statements. */
export function dialectOf(db: HasExecutor): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
}
