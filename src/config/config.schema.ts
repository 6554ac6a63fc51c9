import { z } from 'zod'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const DATABASE_URL = /^(postgres|postgresql|sqlite|file):/

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
        /** @default 5000 */
        keepAliveTimeoutMs: z.number().int().min(100).default(5_000),
      })
      .strict()
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
    shutdown: z
      .object({
        /** @default 30000 — how long in-flight requests (streams too) may run after SIGTERM. */
        graceMs: z.number().int().min(0).default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()

export type Config = z.infer<typeof ConfigSchema> & {
  /** The config file that was read, if any (not part of the file's own schema). */
  readonly configFile?: string
}
export type LogLevel = (typeof LOG_LEVELS)[number]
