/**
 * The FERRY_* environment variables and where each lands in the config object. A setting marked
 * secret may also come from a file named by FERRY_<NAME>_FILE (Docker and Kubernetes secrets).
 */
export const ENV_SETTINGS = [
  { env: 'FERRY_HOST', path: ['server', 'host'], kind: 'string' },
  { env: 'FERRY_PORT', path: ['server', 'port'], kind: 'int' },
  { env: 'FERRY_BODY_LIMIT_BYTES', path: ['server', 'bodyLimitBytes'], kind: 'int' },
  { env: 'FERRY_TRUSTED_PROXIES', path: ['server', 'trustedProxies'], kind: 'list' },
  { env: 'FERRY_HEADERS_TIMEOUT_MS', path: ['server', 'headersTimeoutMs'], kind: 'int' },
  { env: 'FERRY_REQUEST_TIMEOUT_MS', path: ['server', 'requestTimeoutMs'], kind: 'int' },
  { env: 'FERRY_KEEP_ALIVE_TIMEOUT_MS', path: ['server', 'keepAliveTimeoutMs'], kind: 'int' },
  { env: 'FERRY_MAX_CONNECTIONS', path: ['server', 'maxConnections'], kind: 'int' },
  { env: 'FERRY_DATA_DIR', path: ['dataDir'], kind: 'string' },
  { env: 'FERRY_DATABASE_URL', path: ['database', 'url'], kind: 'string', secret: true },
  { env: 'FERRY_DATABASE_POOL_MAX', path: ['database', 'poolMax'], kind: 'int' },
  {
    env: 'FERRY_DATABASE_CONNECT_TIMEOUT_MS',
    path: ['database', 'connectTimeoutMs'],
    kind: 'int',
  },
  { env: 'FERRY_MIGRATE_ON_START', path: ['database', 'migrateOnStart'], kind: 'bool' },
  { env: 'FERRY_SQLITE_BUSY_TIMEOUT_MS', path: ['database', 'sqliteBusyTimeoutMs'], kind: 'int' },
  { env: 'FERRY_REDIS_URL', path: ['redis', 'url'], kind: 'string', secret: true },
  { env: 'FERRY_REDIS_KEY_PREFIX', path: ['redis', 'keyPrefix'], kind: 'string' },
  { env: 'FERRY_MASTER_KEY', path: ['masterKey'], kind: 'string', secret: true },
  { env: 'FERRY_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { env: 'FERRY_SHUTDOWN_GRACE_MS', path: ['shutdown', 'graceMs'], kind: 'int' },
  {
    env: 'FERRY_AUDIT_CHECKPOINT_INTERVAL_MS',
    path: ['audit', 'checkpointIntervalMs'],
    kind: 'int',
  },
  {
    env: 'FERRY_REQUEST_LOGS_PURGE_INTERVAL_MS',
    path: ['requestLogs', 'purgeIntervalMs'],
    kind: 'int',
  },
  {
    env: 'FERRY_REQUEST_LOGS_FLUSH_INTERVAL_MS',
    path: ['requestLogs', 'flushIntervalMs'],
    kind: 'int',
  },
  { env: 'FERRY_PROVIDERS_BUILTIN_MOCK', path: ['providers', 'builtinMock'], kind: 'bool' },
  {
    env: 'FERRY_PROVIDERS_ALLOW_PRIVATE_BASE_URLS',
    path: ['providers', 'allowPrivateBaseUrls'],
    kind: 'bool',
  },
  {
    env: 'FERRY_PROVIDERS_ALLOWED_BASE_URL_HOSTS',
    path: ['providers', 'allowedBaseUrlHosts'],
    kind: 'list',
  },
  {
    env: 'FERRY_BUDGETS_WEBHOOK_URL',
    path: ['budgets', 'webhookUrl'],
    kind: 'string',
    secret: true,
  },
  {
    env: 'FERRY_BUDGETS_WEBHOOK_TIMEOUT_MS',
    path: ['budgets', 'webhookTimeoutMs'],
    kind: 'int',
  },
  { env: 'FERRY_WEBHOOKS_URL', path: ['webhooks', 'url'], kind: 'string', secret: true },
  { env: 'FERRY_WEBHOOKS_TOPICS', path: ['webhooks', 'topics'], kind: 'list' },
  { env: 'FERRY_WEBHOOKS_TIMEOUT_MS', path: ['webhooks', 'timeoutMs'], kind: 'int' },
  { env: 'FERRY_WEBHOOKS_MAX_ATTEMPTS', path: ['webhooks', 'maxAttempts'], kind: 'int' },
  {
    env: 'FERRY_WEBHOOKS_POLL_INTERVAL_MS',
    path: ['webhooks', 'pollIntervalMs'],
    kind: 'int',
  },
  { env: 'FERRY_BILLING_CURRENCY', path: ['billing', 'currency'], kind: 'string' },
  { env: 'FERRY_BILLING_HOLDS', path: ['billing', 'holds'], kind: 'string' },
  { env: 'FERRY_BILLING_HOLD_TTL_MS', path: ['billing', 'holdTtlMs'], kind: 'int' },
  {
    env: 'FERRY_BILLING_HOLD_WINDOW_TOKENS',
    path: ['billing', 'holdWindowTokens'],
    kind: 'int',
  },
  {
    env: 'FERRY_BILLING_APPROVAL_THRESHOLD_MICROS',
    path: ['billing', 'approvalThresholdMicros'],
    kind: 'int',
  },
  { env: 'FERRY_USAGE_CUSTOMER_READ', path: ['usage', 'customerReadEnabled'], kind: 'bool' },
  {
    env: 'FERRY_ADMIN_SESSION_IDLE_TIMEOUT_MS',
    path: ['admin', 'sessionIdleTimeoutMs'],
    kind: 'int',
  },
  {
    env: 'FERRY_ADMIN_SESSION_ABSOLUTE_TIMEOUT_MS',
    path: ['admin', 'sessionAbsoluteTimeoutMs'],
    kind: 'int',
  },
] as const satisfies readonly EnvSetting[]

export interface EnvSetting {
  env: string
  path: readonly string[]
  kind: 'string' | 'int' | 'bool' | 'list'
  secret?: boolean
}

/** Variables Ferry reads that are not settings of the config object. */
export const OTHER_ENV_VARS = ['FERRY_CONFIG'] as const
