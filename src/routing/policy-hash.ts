import { createHash } from 'node:crypto'
import { canonicalJson } from '../audit/canonical-json.js'
import type { RoutePolicyDocument } from './route-policy.js'

/**
 * The content hash of a validated policy: `sha256:` and the hex SHA-256 of its canonical JSON
 * (RFC 8785). Two documents that mean the same (key order, defaults written out or not) hash
 * the same, so an unchanged config file is recognised and not published again.
 */
export function policyContentHash(policy: RoutePolicyDocument): string {
  return `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex')}`
}
