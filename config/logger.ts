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

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** One readable line per record: `12:00:01 INFO  [http] message key=value`. Redaction has already happened. */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, msg, module, app: _app, ...rest } = rec;
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${clock} ${LEVEL_NAMES[level as number] ?? String(level)} ${module ? `[${String(module)}] ` : ''}${String(msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

/** The root logger. Modules take a child with their own name: `logger.child({ module: 'cameras' })`. */
export function createLogger(config: Pick<Config, 'log'>, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.log.level,
    base: { app: 'argus' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const out = destination ?? process.stdout;
  if (config.log.pretty) {
    const pretty = { write: (line: string) => out.write(prettyLine(line)) };
    return pino(options, pretty as pino.DestinationStream);
  }
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
