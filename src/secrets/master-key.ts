import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../lib/errors.js'

export const MASTER_KEY_BYTES = 32
export const MASTER_KEY_FILE = 'master.key'

export interface MasterKey {
  readonly key: Buffer
  /** Where it came from, for logs and `ferry doctor`: never the key itself. */
  readonly source: 'config' | 'file' | 'generated'
  readonly path?: string
  /** A data-directory key file readable by group or others. */
  readonly looseFileMode?: boolean
}

/**
 * Decode a configured master key: 32 bytes as 64 hex digits or as base64/base64url.
 * Anything else is refused, so a truncated or mistyped key never silently weakens encryption.
 */
export function parseMasterKey(text: string): Buffer {
  const value = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(value)
      ? Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
      : undefined
  if (key === undefined || key.length !== MASTER_KEY_BYTES) {
    throw new ConfigError([
      'masterKey: must be 32 bytes written as 64 hex digits or 44 base64 characters (generate one with `openssl rand -base64 32`)',
    ])
  }
  return key
}

/**
 * The configured key, else the one in <dataDir>/master.key, else a new one written there with
 * mode 0600. A generated key is a warning: losing the data directory loses every encrypted
 * credential, and several processes on one PostgreSQL database need the same configured key.
 */
export function loadOrCreateMasterKey(options: {
  configured?: string
  dataDir: string
}): MasterKey {
  if (options.configured !== undefined) {
    return { key: parseMasterKey(options.configured), source: 'config' }
  }
  const path = join(options.dataDir, MASTER_KEY_FILE)
  if (existsSync(path)) {
    const looseFileMode = (statSync(path).mode & 0o077) !== 0
    return { key: parseMasterKey(readFileSync(path, 'utf8')), source: 'file', path, looseFileMode }
  }
  mkdirSync(options.dataDir, { recursive: true })
  const key = randomBytes(MASTER_KEY_BYTES)
  // 'wx': if another process created it first, fail rather than overwrite its key.
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  return { key, source: 'generated', path }
}
