import { hash } from 'node:crypto'

/** Presented secrets remembered as verified; the least recently used goes first. */
const DEFAULT_MAX_ENTRIES = 10_000

/** Which of a key's hashes a presented secret matched. */
export type MatchedHash = 'current' | 'previous'

interface Verified<TKey> {
  key: TKey
  matched: MatchedHash
}

/**
 * Secrets that already passed the HMAC check, by a SHA-256 digest of the secret (one native call,
 * cheaper than the keyed HMAC, and nothing secret is kept: the digest cannot be turned back into
 * the secret, and an entry exists only for a secret that matched). An entry speaks only for the
 * very key object it was verified against: when the key cache reloads or invalidates a key (a
 * revocation, a rotation), the new object is verified afresh. The caller still checks the key's
 * status, expiry and, for the previous hash, its grace period on every request.
 */
export interface VerifiedSecrets<TKey extends object> {
  /** The hash the secret matched, if it was verified against this same key object. */
  matchedBefore(presented: string, key: TKey): MatchedHash | undefined
  remember(presented: string, key: TKey, matched: MatchedHash): void
  readonly size: number
}

export function createVerifiedSecrets<TKey extends object>(
  maxEntries = DEFAULT_MAX_ENTRIES,
): VerifiedSecrets<TKey> {
  const entries = new Map<string, Verified<TKey>>()
  const digestOf = (presented: string) => hash('sha256', presented, 'base64')
  return {
    matchedBefore(presented, key) {
      const digest = digestOf(presented)
      const entry = entries.get(digest)
      if (entry === undefined) return undefined
      if (entry.key !== key) {
        entries.delete(digest)
        return undefined
      }
      entries.delete(digest)
      entries.set(digest, entry)
      return entry.matched
    },
    remember(presented, key, matched) {
      const digest = digestOf(presented)
      entries.delete(digest)
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
      entries.set(digest, { key, matched })
    },
    get size() {
      return entries.size
    },
  }
}
