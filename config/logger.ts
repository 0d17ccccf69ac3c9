import { pino, type Logger } from 'pino';
import type { Config } from './schema.ts';

export type { Logger } from 'pino';

/**
 * Field names whose values never reach a log line, wherever they appear (two levels deep).
 * URLs that may hold credentials go through storage/redact.ts before they are logged.
 */
export const REDACTED_FIELDS = [
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'passwordEnc',
  'token',
  'authorization',
  'cookie',
  'secret',
  'key',
  'embedding',
];

const redactPaths = REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `req.headers.${f}`]);

/** The root logger. Modules take a child with their own name: `logger.child({ module: 'cameras' })`. */
export function createLogger(config: Pick<Config, 'log'>, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.log.level,
    base: { app: 'argus' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
