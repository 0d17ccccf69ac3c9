import { z } from 'zod';
import { PROCESS_ROLES } from '../contracts/roles.ts';

/**
 * The one configuration schema of Argus. Every field is described; unknown keys are errors.
 * Defaults are the embedded mode: everything on this machine, bound to loopback.
 */
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data').describe('Folder for the embedded database, keys, snapshots and recordings'),
    modelsDir: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('Folder holding the ONNX model files (see `argus models`); null: <dataDir>/models'),
    mediaDir: z.string().min(1).nullable().default(null).describe('Folder with demo media (test images and video); null: <dataDir>/media'),
    roles: z
      .array(z.enum(PROCESS_ROLES))
      .min(1)
      .default([...PROCESS_ROLES])
      .describe('Process roles this process runs: api, ingest, analytics, worker'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP server listens on'),
        port: z.number().int().min(0).max(65535).default(8080).describe('HTTP port (0 picks a free one)'),
        bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Largest request body accepted'),
        trustProxy: z.boolean().default(false).describe('Trust X-Forwarded-* headers from a reverse proxy'),
        webDir: z.string().default('./command-ui/web/dist').describe('Built web application served at /'),
      })
      .strict()
      .prefault({})
      .describe('HTTP API and web application'),
    database: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
          .nullable()
          .default(null)
          .describe('PostgreSQL server URL; when null the embedded PGlite database in dataDir is used'),
        poolSize: z.number().int().min(1).max(200).default(10).describe('Connections in the pool (server mode)'),
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case identifier')
          .default('public')
          .describe('PostgreSQL schema holding Argus tables'),
      })
      .strict()
      .prefault({})
      .describe('Database'),
    redis: z
      .object({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
          .default('redis://127.0.0.1:6379')
          .describe('Redis URL for jobs, leases and pub/sub'),
        startLocal: z
          .boolean()
          .default(true)
          .describe('When Redis at a loopback URL is not answering, start a local redis-server for this process'),
        prefix: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('argus').describe('Key prefix for queues and leases'),
      })
      .strict()
      .prefault({})
      .describe('Redis'),
    auth: z
      .object({
        sessionTtlMinutes: z.number().int().min(5).max(7 * 24 * 60).default(12 * 60).describe('Session length; renewed while in use'),
        maxFailedLogins: z.number().int().min(3).max(100).default(10).describe('Failed logins in a row before the account locks'),
        lockMinutes: z.number().int().min(1).max(24 * 60).default(15).describe('How long a locked account stays locked'),
        loginRateLimitPerMinute: z.number().int().min(1).max(10_000).default(60).describe('Login attempts accepted per client address per minute'),
      })
      .strict()
      .prefault({})
      .describe('Login and sessions'),
    secrets: z
      .object({
        keyFile: z
          .string()
          .nullable()
          .default(null)
          .describe('File holding the 32-byte key (hex) that encrypts camera credentials; null: <dataDir>/secret.key, created on first start'),
        key: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
          .nullable()
          .default(null)
          .describe('The key itself (from ARGUS_SECRET_KEY); takes precedence over keyFile'),
      })
      .strict()
      .prefault({})
      .describe('Encryption of secrets at rest'),
    log: z
      .object({ level: logLevel.default('info').describe('Log level'), pretty: z.boolean().default(false).describe('Human-readable log lines') })
      .strict()
      .prefault({})
      .describe('Logging'),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
/** The validated configuration: paths absolute, defaults derived, frozen. */
export type Config = Readonly<Omit<z.output<typeof configSchema>, 'modelsDir' | 'mediaDir'> & { modelsDir: string; mediaDir: string }>;
