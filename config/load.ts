import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ErrorIssue } from '../contracts/errors.ts';
import { PROCESS_ROLES } from '../contracts/roles.ts';
import { configSchema, type Config } from './schema.ts';

/** Environment variables that override the configuration file. Only this module reads process.env. */
export const ENV_OVERRIDES = {
  ARGUS_CONFIG: 'configuration file (YAML) to read',
  DATABASE_URL: 'database.url',
  REDIS_URL: 'redis.url',
  ARGUS_DATA_DIR: 'dataDir',
  ARGUS_MODELS_DIR: 'modelsDir',
  ARGUS_MEDIA_DIR: 'mediaDir',
  ARGUS_LISTEN: 'server.host and server.port as host:port',
  ARGUS_HOST: 'server.host',
  ARGUS_PORT: 'server.port',
  ARGUS_ROLES: 'roles, comma-separated, or "all"',
  ARGUS_LOG_LEVEL: 'log.level',
  ARGUS_LOG_PRETTY: 'log.pretty (1/true: readable lines instead of JSON)',
  ARGUS_SECRET_KEY: 'secrets.key (64 hex characters)',
  ARGUS_DEMO: 'demo.cameras and demo.fleet (1/true: serve and add demo cameras, simulate the demo fleet)',
} as const;

export interface LoadConfigOptions {
  /** Environment to read; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Configuration file; defaults to $ARGUS_CONFIG, else none. */
  file?: string | null;
  /** Values that win over file and environment (command-line flags). */
  overrides?: Record<string, unknown>;
  /** Folder relative paths are resolved against; defaults to the working directory. */
  cwd?: string;
}

type Tree = Record<string, unknown>;

function setPath(target: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[keys[keys.length - 1]!] = value;
}

function deepMerge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b)
        ? deepMerge(b as Tree, v as Tree)
        : v;
  }
  return out;
}

function parsePort(raw: string, source: string, issues: ErrorIssue[]): number | string {
  if (/^\d{1,5}$/.test(raw)) return Number(raw);
  issues.push({ path: 'server.port', message: `${source}=${JSON.stringify(raw)} is not a port number` });
  return raw;
}

function fromEnv(env: Record<string, string | undefined>, issues: ErrorIssue[]): Tree {
  const out: Tree = {};
  const str = (name: string, path: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(out, path, v);
  };
  str('DATABASE_URL', 'database.url');
  str('REDIS_URL', 'redis.url');
  str('ARGUS_DATA_DIR', 'dataDir');
  str('ARGUS_MODELS_DIR', 'modelsDir');
  str('ARGUS_MEDIA_DIR', 'mediaDir');
  str('ARGUS_HOST', 'server.host');
  str('ARGUS_LOG_LEVEL', 'log.level');
  str('ARGUS_SECRET_KEY', 'secrets.key');
  if (env.ARGUS_DEMO) {
    const on = ['1', 'true', 'yes'].includes(env.ARGUS_DEMO.toLowerCase());
    setPath(out, 'demo.cameras', on);
    setPath(out, 'demo.fleet', on);
  }
  if (env.ARGUS_LOG_PRETTY) setPath(out, 'log.pretty', ['1', 'true', 'yes'].includes(env.ARGUS_LOG_PRETTY.toLowerCase()));
  if (env.ARGUS_PORT) setPath(out, 'server.port', parsePort(env.ARGUS_PORT, 'ARGUS_PORT', issues));
  if (env.ARGUS_LISTEN) {
    const m = /^(.*):(\d{1,5})$/.exec(env.ARGUS_LISTEN);
    if (!m) issues.push({ path: 'server', message: `ARGUS_LISTEN=${JSON.stringify(env.ARGUS_LISTEN)} must be host:port` });
    else {
      setPath(out, 'server.host', m[1]!.replace(/^\[(.*)\]$/, '$1'));
      setPath(out, 'server.port', Number(m[2]));
    }
  }
  if (env.ARGUS_ROLES) setPath(out, 'roles', parseRoles(env.ARGUS_ROLES));
  return out;
}

/** `all` or a comma-separated list of process roles. Unknown names are left for the schema to reject. */
export function parseRoles(raw: string): string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length === 1 && names[0] === 'all' ? [...PROCESS_ROLES] : names;
}

function readFile(file: string, issues: ErrorIssue[]): Tree {
  if (!existsSync(file)) {
    issues.push({ path: '', message: `configuration file ${file} does not exist` });
    return {};
  }
  try {
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      issues.push({ path: '', message: `configuration file ${file} must hold a mapping of settings` });
      return {};
    }
    return parsed as Tree;
  } catch (err) {
    issues.push({ path: '', message: `configuration file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}` });
    return {};
  }
}

/**
 * Read, merge (defaults < file < environment < overrides) and validate the configuration.
 * Throws a ConfigError listing every problem with its path; never returns a half-valid config.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const issues: ErrorIssue[] = [];
  const file = options.file === undefined ? (env.ARGUS_CONFIG ?? null) : options.file;
  let merged: Tree = file ? readFile(resolve(cwd, file), issues) : {};
  merged = deepMerge(merged, fromEnv(env, issues));
  if (options.overrides) merged = deepMerge(merged, options.overrides);

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const i of result.error.issues) issues.push({ path: i.path.map(String).join('.'), message: i.message });
  }
  if (issues.length > 0 || !result.success) {
    throw new ConfigError(`The configuration has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
  }
  const c = result.data;
  const dataDir = resolve(cwd, c.dataDir);
  const config = {
    ...c,
    dataDir,
    modelsDir: c.modelsDir ? resolve(cwd, c.modelsDir) : join(dataDir, 'models'),
    mediaDir: c.mediaDir ? resolve(cwd, c.mediaDir) : join(dataDir, 'media'),
    server: { ...c.server, webDir: resolve(cwd, c.server.webDir) },
    secrets: { ...c.secrets, keyFile: c.secrets.keyFile ? resolve(cwd, c.secrets.keyFile) : null },
  };
  return deepFreeze(config) as Config;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** One line per problem, for the terminal. */
export function formatConfigError(err: ConfigError): string {
  const lines = err.issues.map((i) => `  - ${i.path || '(file)'}: ${i.message}`);
  return `${err.message}:\n${lines.join('\n')}\nFix them in the configuration file or environment (see config/argus.sample.yaml) and start again.`;
}
