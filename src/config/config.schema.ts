import { z } from 'zod'
import type { SecretText } from '../lib/secret-text.js'
import { allowlistEntryProblem } from '../providers/index.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const DATABASE_URL = /^(postgres|postgresql|sqlite|file):/

/** The outbox's topics (src/outbox/outbox-event.ts keeps the same list). */
export const WEBHOOK_TOPICS = ['audit', 'usage'] as const

/** https, or http to this machine only (a local relay, tests). */
function isHttpsOrLoopback(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return true // not a URL at all: z.url() reports that
  }
  if (url.protocol !== 'http:') return true // https, or a scheme z.url() refuses
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * One provider account declared in the config file. Only its shape is checked here; the
 * provider-accounts domain applies the same rules as the admin API (base URL, header names,
 * model patterns, per-kind settings) when the gateway starts. The credential never sits in the
 * file: `credentialEnv` names the environment variable (or `<NAME>_FILE`) that holds it.
 */
const ProviderAccountConfigSchema = z
  .object({
    /** Unique slug, e.g. `openai-prod`. */
    name: z.string().min(1),
    /** `openai`, `openai-compatible`, `azure-openai`, `anthropic` or `mock`. */
    kind: z.string().min(1),
    baseUrl: z.string().min(1),
    /** Name of the environment variable holding the credential. Unset: no credential. */
    credentialEnv: z
      .string()
      .regex(ENV_VAR_NAME, 'must be an environment variable name')
      .optional(),
    /** Exact model names or trailing-`*` prefixes (`gpt-4o*`). */
    models: z.array(z.string()).default([]),
    /** Public model name → upstream model name. */
    aliases: z.record(z.string(), z.string()).default({}),
    extraHeaders: z.record(z.string(), z.string()).default({}),
    timeouts: z
      .object({
        connectMs: z.number().int().optional(),
        headersMs: z.number().int().optional(),
        bodyIdleMs: z.number().int().optional(),
      })
      .strict()
      .default({}),
    settings: z.record(z.string(), z.unknown()).default({}),
    status: z.enum(['active', 'disabled']).default('active'),
  })
  .strict()

/**
 * Every setting Ferry reads, with its default. Sources rank: defaults < config file < FERRY_*
 * environment < CLI flags (see load-config.ts). docs/configuration.md lists the same settings.
 */
export const ConfigSchema = z
  .object({
    server: z
      .object({
        /** @default '127.0.0.1' — bind to every interface with '0.0.0.0' (containers). */
        host: z.string().min(1).default('127.0.0.1'),
        /** @default 8080 — 0 picks a free port (tests). */
        port: z.number().int().min(0).max(65535).default(8080),
        /** @default 10 MiB */
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024 * 1024)
          .default(10 * 1024 * 1024),
        /** Proxies whose X-Forwarded-For is believed (IPs or CIDRs). Empty: only the socket address. */
        trustedProxies: z.array(z.string().min(1)).default([]),
        /** @default 60000 — time allowed to receive the request headers (slowloris guard). */
        headersTimeoutMs: z.number().int().min(1000).default(60_000),
        /**
         * @default 120000 — time allowed to receive the whole request, headers and body (a slow
         * body is cut; answers, streams included, are not limited by it). At least headersTimeoutMs.
         */
        requestTimeoutMs: z.number().int().min(1000).default(120_000),
        /** @default 5000 — an idle keep-alive connection is closed after this. */
        keepAliveTimeoutMs: z.number().int().min(100).default(5_000),
        /**
         * @default 0 (no limit but the OS's) — open connections this process accepts; past it,
         * new connections are closed at once, and the ones already open are still served.
         */
        maxConnections: z.number().int().min(0).default(0),
      })
      .strict()
      .refine((server) => server.requestTimeoutMs >= server.headersTimeoutMs, {
        message: 'must be at least server.headersTimeoutMs',
        path: ['requestTimeoutMs'],
      })
      .prefault({}),
    /** @default './data' — SQLite database, generated master key. */
    dataDir: z.string().min(1).default('./data'),
    database: z
      .object({
        /** Unset: SQLite at <dataDir>/ferry.db. `postgres://…` selects PostgreSQL. */
        url: z
          .string()
          .regex(DATABASE_URL, 'must start with postgres://, postgresql://, sqlite: or file:')
          .optional(),
        /** @default 10 — PostgreSQL pool size per process. */
        poolMax: z.number().int().min(1).max(1000).default(10),
        /**
         * @default 3000 — PostgreSQL: how long a request waits for a connection (a new one, or a
         * free one from the pool) before it is answered 503 `database_unavailable`.
         */
        connectTimeoutMs: z.number().int().min(100).max(120_000).default(3_000),
        /** @default true — apply pending migrations when the gateway starts. */
        migrateOnStart: z.boolean().default(true),
        /** @default 5000 */
        sqliteBusyTimeoutMs: z.number().int().min(0).default(5_000),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
          .optional(),
        /**
         * @default 'ferry:' — prefixes every Redis key and channel Ferry uses (rate-limit
         * counters `<prefix>rl:…`, the invalidation channel `<prefix>cache-invalidation`), so two
         * deployments can share one Redis. The same on every process of one deployment.
         */
        keyPrefix: z
          .string()
          .regex(/^[\x21-\x7e]{1,64}$/, 'must be 1 to 64 printable characters, no spaces')
          .default('ferry:'),
      })
      .strict()
      .prefault({}),
    /** 32 bytes, base64 or hex. Unset: generated into <dataDir>/master.key on first start. */
    masterKey: z.string().min(1).optional(),
    log: z
      .object({
        level: z.enum(LOG_LEVELS).default('info'),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        /** @default 1800000 (30 min) — an admin session unused this long ends. */
        sessionIdleTimeoutMs: z
          .number()
          .int()
          .min(60_000)
          .default(30 * 60_000),
        /** @default 43200000 (12 h) — an admin session ends this long after login. */
        sessionAbsoluteTimeoutMs: z
          .number()
          .int()
          .min(60_000)
          .default(12 * 60 * 60_000),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        /**
         * @default 3600000 (1 h) — how often the gateway signs a checkpoint of every audit chain,
         * also when nothing happened (a quiet hour is then provable, a cut tail detectable).
         */
        checkpointIntervalMs: z
          .number()
          .int()
          .min(1000)
          .default(60 * 60_000),
      })
      .strict()
      .prefault({}),
    requestLogs: z
      .object({
        /**
         * @default 3600000 (1 h) — how often the gateway purges captured request content older
         * than each organization's retention (also once at start).
         */
        purgeIntervalMs: z
          .number()
          .int()
          .min(60_000)
          .default(60 * 60_000),
        /** @default 1000 — how long captured content waits in memory for its batch write. */
        flushIntervalMs: z.number().int().min(10).max(60_000).default(1000),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        /** @default 30000 — how long in-flight requests (streams too) may run after SIGTERM. */
        graceMs: z.number().int().min(0).default(30_000),
      })
      .strict()
      .prefault({}),
    billing: z
      .object({
        /** @default 'USD' — the deployment's one currency (ISO 4217); money is micros of it. */
        currency: z
          .string()
          .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
          .default('USD'),
        /**
         * @default 'memory' — where holds live: 'memory' (in this process; one process owns the
         * database) or 'database' (atomic SQL on the account row; several instances on PostgreSQL).
         */
        holds: z.enum(['memory', 'database']).default('memory'),
        /** @default 600000 (10 min) — a hold not settled by then is released by the reaper. */
        holdTtlMs: z
          .number()
          .int()
          .min(1000)
          .default(10 * 60_000),
        /**
         * @default 4096 — output tokens held per choice for a request that sets no limit
         * (`max_tokens` …); a stream extends its hold by this much as it outgrows it.
         */
        holdWindowTokens: z.number().int().min(1).max(1_000_000).default(4096),
        /** @default 30000 — how often expired holds are released. */
        holdReaperIntervalMs: z.number().int().min(100).default(30_000),
        /**
         * @default 1000000000 (1,000.00 in the currency) — credits, refunds and adjustments above
         * this many micros need a second admin's approval.
         */
        approvalThresholdMicros: z
          .number()
          .int()
          .min(0)
          .max(Number.MAX_SAFE_INTEGER)
          .default(1_000_000_000),
        /**
         * @default 0 — group commit: how long the first settlement after the writer was idle
         * waits for others to share its transaction (0: the next event-loop turn; under load,
         * batches gather while one commits).
         */
        settlementBatchDelayMs: z.number().int().min(0).max(1000).default(0),
        /** @default 256 — group commit: at most this many settlements per transaction. */
        settlementBatchMax: z.number().int().min(1).max(10_000).default(256),
        /**
         * @default true — `ferry start` on a SQLite file with memory holds writes settlement
         * batches on a thread of their own, off the event loop (docs/performance.md).
         */
        settlementThread: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    budgets: z
      .object({
        /**
         * Where budget threshold crossings are POSTed (signed JSON, see docs/budgets.md). Unset:
         * crossings are only in the audit log.
         */
        webhookUrl: z
          .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
          .optional(),
        /** @default 5000 — per delivery attempt. */
        webhookTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
        /** @default 4 — attempts per crossing before it is given up (and logged). */
        webhookMaxAttempts: z.number().int().min(1).max(10).default(4),
      })
      .strict()
      .prefault({}),
    webhooks: z
      .object({
        /**
         * Where the outbox POSTs audit and usage events (signed JSON, see docs/webhooks.md).
         * https, or http to a loopback address. Unset: nothing is enqueued. Secret: it may
         * carry a token.
         */
        url: z
          .url({ protocol: /^https?$/, error: 'must be an https:// URL' })
          .refine(
            isHttpsOrLoopback,
            'must be https:// (http:// only to 127.0.0.1, ::1 or localhost)',
          )
          .optional(),
        /** @default ['audit', 'usage'] — which events are sent. */
        topics: z.array(z.enum(WEBHOOK_TOPICS)).min(1).default(['audit', 'usage']),
        /** @default 10000 — the whole attempt: connect, headers and body. */
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
        /** @default 20 — attempts before a delivery is `dead` (about 9 h of backoff). */
        maxAttempts: z.number().int().min(1).max(100).default(20),
        /** @default 1000 — how often due deliveries are polled. */
        pollIntervalMs: z
          .number()
          .int()
          .min(50)
          .max(60 * 60_000)
          .default(1_000),
      })
      .strict()
      .prefault({}),
    usage: z
      .object({
        /**
         * @default false — serve `GET /v1/ferry/usage`: a customer key reads its own usage
         * events and totals. Off, the route does not exist (404 like any unknown URL).
         */
        customerReadEnabled: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    routing: z
      .object({
        /**
         * Route policies kept in git (docs/routing.md). Only the shape is checked here; the
         * routing domain validates each policy at start, and a changed one is published as a
         * new version by the system actor.
         */
        policies: z
          .object({
            global: z.record(z.string(), z.unknown()).optional(),
            /** Organization id → that organization's override. */
            organizations: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
          })
          .strict()
          .prefault({}),
        circuitBreaker: z
          .object({
            /** @default 5 — consecutive failures that open a provider's circuit. */
            failureThreshold: z.number().int().min(1).max(1000).default(5),
            /** @default 30000 — how long an open circuit skips the provider before a probe. */
            coolDownMs: z.number().int().min(100).default(30_000),
            /** @default 1 — requests let through at once while half-open. */
            halfOpenMaxProbes: z.number().int().min(1).max(100).default(1),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    providers: z
      .object({
        /** @default true — serve the built-in `mock` account (models `mock`, `mock-*`). */
        builtinMock: z.boolean().default(true),
        /** Accounts declared here are read-only in the admin API. @default [] */
        accounts: z.array(ProviderAccountConfigSchema).default([]),
        /**
         * @default true — base URLs may point at loopback, RFC 1918, CGNAT and IPv6 unique-local
         * addresses (self-hosted vLLM, Ollama, the local mock). Link-local and cloud metadata
         * addresses are refused whatever this says (docs/adr/0004-upstream-address-guard.md).
         */
        allowPrivateBaseUrls: z.boolean().default(true),
        /**
         * Hostnames, IP addresses or CIDR networks a base URL may point at whatever their class
         * (a model server on a link-local address, say). @default []
         */
        allowedBaseUrlHosts: z
          .array(
            z
              .string()
              .refine(
                (entry) => allowlistEntryProblem(entry) === null,
                'must be a hostname, an IP address or a CIDR network (10.0.0.0/8)',
              ),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict()

export type Config = z.infer<typeof ConfigSchema> & {
  /** The config file that was read, if any (not part of the file's own schema). */
  readonly configFile?: string
  /**
   * Provider accounts from the config file, the environment (`OPENAI_API_KEY`,
   * `ANTHROPIC_API_KEY`) and the built-in mock, credentials resolved. Set by `loadConfig`; a
   * Config built otherwise has none.
   */
  readonly providerAccounts?: readonly ConfiguredProviderAccount[]
}

/** A provider account the config declares; it lives in memory only, never in the database. */
export interface ConfiguredProviderAccount {
  readonly name: string
  readonly kind: string
  readonly baseUrl: string
  /** Read from the environment; shows `[redacted]` when logged or serialized. */
  readonly credential: SecretText | null
  /** The variable the credential came from, for display. */
  readonly credentialEnv: string | null
  /** Where it was declared: the config file, an env var such as OPENAI_API_KEY, or built in. */
  readonly origin: 'file' | 'environment' | 'builtin'
  readonly models: readonly string[]
  readonly aliases: Readonly<Record<string, string>>
  readonly extraHeaders: Readonly<Record<string, string>>
  readonly timeouts: Readonly<{ connectMs?: number; headersMs?: number; bodyIdleMs?: number }>
  readonly settings: Readonly<Record<string, unknown>>
  readonly status: 'active' | 'disabled'
}
export type LogLevel = (typeof LOG_LEVELS)[number]
