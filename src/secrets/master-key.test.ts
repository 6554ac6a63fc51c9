import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../lib/errors.js'
import { deriveKey, masterKeyFingerprint } from './derive-key.js'
import { loadOrCreateMasterKey, parseMasterKey } from './master-key.js'

describe('master key', () => {
  it('accepts 32 bytes as hex or base64 and refuses anything else', () => {
    expect(parseMasterKey('ab'.repeat(32))).toHaveLength(32)
    expect(parseMasterKey(Buffer.alloc(32, 7).toString('base64'))).toHaveLength(32)
    expect(parseMasterKey(Buffer.alloc(32, 7).toString('base64url'))).toHaveLength(32)
    expect(() => parseMasterKey('short')).toThrow(ConfigError)
    expect(() => parseMasterKey('ab'.repeat(31))).toThrow(ConfigError)
  })

  it('generates a key into the data directory with mode 0600, then reuses it', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ferry-key-')), 'nested')
    const first = loadOrCreateMasterKey({ dataDir })
    expect(first.source).toBe('generated')
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600)
    const second = loadOrCreateMasterKey({ dataDir })
    expect(second.source).toBe('file')
    expect(second.key.equals(first.key)).toBe(true)
    expect(readFileSync(join(dataDir, 'master.key'), 'utf8').trim()).toBe(
      first.key.toString('base64'),
    )
  })

  it('prefers a configured key over the file', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ferry-key-'))
    const key = loadOrCreateMasterKey({ configured: 'cd'.repeat(32), dataDir })
    expect(key.source).toBe('config')
    expect(key.key.toString('hex')).toBe('cd'.repeat(32))
  })

  it('derives distinct subkeys per purpose and a stable fingerprint', () => {
    const master = Buffer.alloc(32, 1)
    expect(deriveKey(master, 'api-key-hash').equals(deriveKey(master, 'audit-signing'))).toBe(false)
    expect(masterKeyFingerprint(master)).toBe(masterKeyFingerprint(Buffer.alloc(32, 1)))
    expect(masterKeyFingerprint(master)).not.toBe(masterKeyFingerprint(Buffer.alloc(32, 2)))
  })
})
