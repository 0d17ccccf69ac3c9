/**
 * Boots a real Argus in this process for integration and browser tests: a fresh PGlite data
 * folder (or a PostgreSQL schema), the machine's real Redis with a unique key prefix, a free port,
 * and the built web app. Redis must be running at $TEST_REDIS_URL or 127.0.0.1:6379: the test
 * fails if it is not, it is never skipped.
 *
 *   const sys = await startTestSystem();
 *   await sys.createUser({ username: 'p1', password: 'patrol-pass-1', roles: ['patrol'] });
 *   const token = await sys.login('p1', 'patrol-pass-1');
 *   ...
 *   await sys.stop();
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArgus, type ArgusInstance } from '../../cli/serve.ts';
import { createLogger } from '../../config/logger.ts';
import { loadConfig } from '../../config/load.ts';
import { ConflictError } from '../../contracts/errors.ts';
import { dropTestSchema, TEST_DATABASE_URL } from '../integration/storage/db-helpers.ts';
import type { Role } from '../../contracts/roles.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestSystem {
  baseUrl: string;
  /** An administrator that does not have to change its password. */
  admin: { username: string; password: string };
  /** The administrator created on first start (must change its password). */
  firstAdmin: { username: string; password: string } | null;
  argus: ArgusInstance;
  dataDir: string;
  createUser(input: { username: string; password: string; roles: Role[]; displayName?: string }): Promise<void>;
  /** Log in over HTTP and return the bearer token. */
  login(username: string, password: string): Promise<string>;
  /** fetch against the system with JSON body and optional bearer token. */
  api(path: string, init?: { method?: string; token?: string | null; body?: unknown }): Promise<{ status: number; body: any }>;
  /** Like api(), for set-up steps: the body of a 2xx answer, else an error with the method, path, status and body. */
  apiOk<T = any>(path: string, init?: { method?: string; token?: string | null; body?: unknown }): Promise<T>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  /** Extra configuration (deep-merged over the test defaults). */
  config?: Record<string, unknown>;
  /** Use an existing data folder (to test restarts); it is then not removed on stop. */
  dataDir?: string;
  /**
   * 'postgres': store in the machine's PostgreSQL server ($TEST_DATABASE_URL), in a schema of its own
   * that stop() drops. Default 'pglite' (the embedded database in the data folder).
   */
  database?: 'pglite' | 'postgres';
}

export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'argus-test-'));
  const prefix = `argus-test-${randomBytes(6).toString('hex')}`;
  // Tests that need cameras pulled or live video ask for the ingest role and the relay themselves.
  const base = {
    roles: ['api', 'worker'],
    relay: { enabled: false },
    dataDir,
    server: { host: '127.0.0.1', port: 0 },
    redis: { url: TEST_REDIS_URL, startLocal: false, prefix },
    secrets: { key: randomBytes(32).toString('hex') },
    log: { level: process.env.ARGUS_TEST_LOG_LEVEL ?? 'error' },
  };
  const schema = options.database === 'postgres' ? `argus_sys_${randomBytes(5).toString('hex')}` : null;
  const overrides = { ...base, ...(schema ? { database: { url: TEST_DATABASE_URL, schema } } : {}), ...(options.config ?? {}) };
  const config = loadConfig({ env: {}, overrides });
  const argus = await startArgus(config, { log: createLogger(config) });
  const baseUrl = argus.url!;
  const admin = { username: 'chief', password: 'chief-password-1' };
  try {
    await argus.services.users.create({ username: admin.username, displayName: 'Chief', password: admin.password, roles: ['admin'] }, null, {
      ip: null,
      userAgent: null,
    });
  } catch (err) {
    // A restart on the same data, or a second system on a shared database: the admin is there already.
    if (!(err instanceof ConflictError)) throw err;
  }

  async function api(path: string, init: { method?: string; token?: string | null; body?: unknown } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
      headers,
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body };
  }

  async function apiOk<T>(path: string, init: { method?: string; token?: string | null; body?: unknown } = {}): Promise<T> {
    const res = await api(path, init);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${init.method ?? (init.body !== undefined ? 'POST' : 'GET')} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body as T;
  }

  return {
    baseUrl,
    admin,
    firstAdmin: argus.firstAdmin,
    argus,
    dataDir,
    api,
    apiOk,
    async createUser(input) {
      await argus.services.users.create(
        { username: input.username, displayName: input.displayName ?? input.username, password: input.password, roles: input.roles },
        null,
        { ip: null, userAgent: null },
      );
    },
    async login(username, password) {
      const res = await api('/api/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async stop() {
      await argus.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropTestSchema(schema);
    },
  };
}
