export {
  KEY_ENDPOINTS,
  KEY_STATUSES,
  hasEndpointScope,
  hasModelScope,
  type ApiKey,
  type KeyEndpoint,
  type KeyScopes,
  type KeyStatus,
} from './api-key.js'
export { KEY_ENVIRONMENTS, parseKeySecret, type KeyEnvironment } from './key-secret.js'
export { createKeyCache, invalidateKeyCache, type KeyCache } from './key-cache.js'
export { ApiKeyNotFoundError, InvalidApiKeyError, MissingApiKeyError } from './key-errors.js'
export {
  DEFAULT_ROTATION_GRACE_MS,
  MAX_ROTATION_GRACE_MS,
  createKeysService,
  type IssuedApiKey,
  type KeysService,
  type NewApiKey,
} from './keys.service.js'
export {
  createKeyAuthenticator,
  type AuthenticatedKey,
  type KeyAuthenticator,
} from './authenticate-key.js'
