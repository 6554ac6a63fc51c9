import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { parseKeySecret } from '../../src/keys/index.js'
import { KEY_SECRET_PATTERN } from '../../src/keys/key-secret.js'

/**
 * Secret canaries (issue 11): text that must never be found at rest or in output. Two kinds:
 * - every real Ferry key secret (the pattern plus a valid checksum, so look-alike text in
 *   fixtures is not a hit): Ferry stores only a keyed hash and a label, so a full secret
 *   anywhere is a leak, whichever test created it;
 * - planted values (provider credentials, passwords, prompts, tool payloads) a suite passes in.
 *
 * A hit is described by where it was and the first characters of what matched, never the whole
 * value, so the failure message does not become the leak.
 */
export interface SecretHit {
  where: string
  /** `fk_live_AbCd…` or the planted canary's label. */
  what: string
}

export function findSecrets(
  text: string,
  where: string,
  planted: readonly { label: string; value: string }[] = [],
): SecretHit[] {
  const hits: SecretHit[] = []
  for (const match of text.matchAll(new RegExp(KEY_SECRET_PATTERN, 'g'))) {
    if (parseKeySecret(match[0]) !== undefined) {
      hits.push({ where, what: `${match[0].slice(0, 12)}… (a Ferry key secret)` })
    }
  }
  for (const canary of planted) {
    if (text.includes(canary.value)) hits.push({ where, what: canary.label })
  }
  return hits
}

/** A file's bytes as text (latin1: every byte maps to one character, so nothing is skipped). */
export function scanFile(
  path: string,
  planted: readonly { label: string; value: string }[] = [],
): SecretHit[] {
  if (!existsSync(path)) return []
  return findSecrets(readFileSync(path).toString('latin1'), path, planted)
}

/** A SQLite database file with its write-ahead log and shared memory (pages live in all three). */
export function scanSqliteFiles(
  path: string,
  planted: readonly { label: string; value: string }[] = [],
): SecretHit[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`].flatMap((p) =>
    scanFile(p, planted),
  )
}

/** Every row of every table in one PostgreSQL schema, read with its own connection. */
export async function scanPostgresSchema(
  connectionString: string,
  schema: string,
  planted: readonly { label: string; value: string }[] = [],
): Promise<SecretHit[]> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    const tables = await client.query<{ name: string }>(
      'select table_name as name from information_schema.tables where table_schema = $1',
      [schema],
    )
    const hits: SecretHit[] = []
    for (const { name } of tables.rows) {
      const rows = await client.query(
        `select * from ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`,
      )
      hits.push(...findSecrets(JSON.stringify(rows.rows), `${schema}.${name}`, planted))
    }
    return hits
  } finally {
    await client.end()
  }
}

export function describeHits(hits: readonly SecretHit[]): string {
  return hits.map((h) => `${h.what} in ${h.where}`).join('; ')
}
