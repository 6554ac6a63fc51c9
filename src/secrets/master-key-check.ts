import { insertSettingIfAbsent, type Db } from '../storage/index.js'
import { masterKeyFingerprint } from './derive-key.js'

/**
 * Remember the master key's fingerprint on first use and compare it afterwards: true when the
 * key is the one this database was set up with. `ferry start` and every CLI command that
 * touches secrets call it, so a wrong key stops them before anything is hashed or encrypted.
 */
export async function matchesStoredMasterKey(
  db: Db,
  options: { masterKey: Buffer; updatedAt: string },
): Promise<boolean> {
  const fingerprint = masterKeyFingerprint(options.masterKey)
  const stored = await insertSettingIfAbsent(db, {
    name: 'master_key_fingerprint',
    value: fingerprint,
    updatedAt: options.updatedAt,
  })
  return stored === fingerprint
}
