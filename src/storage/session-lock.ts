import pg from 'pg'

/** A PostgreSQL session-level advisory lock, held on its own connection until released. */
export interface SessionLock {
  /** Unlock and close the connection. */
  release(): Promise<void>
}

/**
 * Take the session-level advisory lock `name` (exclusive or shared) in the connection's current schema, on a
 * dedicated connection, without waiting: null when another session holds it. The lock lives as
 * long as that connection: a process that dies (even by SIGKILL) loses it at once, because the
 * server sees the socket close. Keyed by schema as well as name, so deployments (and test
 * suites) sharing one database in separate schemas never contend. `onLost` hears a connection
 * that dropped while the lock was held (the lock is then gone).
 */
export async function tryTakeSessionLock(options: {
  connectionString: string
  name: string
  /** Take it shared: any number of shared holders, or one exclusive holder. @default false */
  shared?: boolean
  onLost?: (err: unknown) => void
}): Promise<SessionLock | null> {
  const client = new pg.Client({ connectionString: options.connectionString, keepAlive: true })
  let released = false
  let lost = false
  const drop = (err: unknown): void => {
    if (released || lost) return
    lost = true
    client.end().catch(() => undefined)
    options.onLost?.(err)
  }
  client.on('error', drop)
  client.on('end', () => drop(new Error('the lock connection closed')))
  await client.connect()
  try {
    const result = await client.query<{ locked: boolean }>(
      `select pg_try_advisory_lock${options.shared ? '_shared' : ''}(hashtext($1), hashtext(current_schema())) as locked`,
      [options.name],
    )
    if (result.rows[0]?.locked !== true) {
      released = true
      await client.end()
      return null
    }
  } catch (err) {
    released = true
    await client.end().catch(() => undefined)
    throw err
  }
  return {
    release: async () => {
      if (released || lost) return
      released = true
      await client.end().catch(() => undefined) // closing the session releases the lock
    },
  }
}
