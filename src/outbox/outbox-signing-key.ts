import { deriveKey } from '../secrets/derive-key.js'

/**
 * The key the outbox signs webhook bodies with: HKDF of the master key for the purpose
 * `outbox-webhook-signing`, the same on every instance sharing the master key and different from
 * every other key Ferry derives. `ferry webhooks signing-secret` prints it for the receiver.
 */
export function outboxSigningKey(masterKey: Buffer): Buffer {
  return deriveKey(masterKey, 'outbox-webhook-signing')
}
