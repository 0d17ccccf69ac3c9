import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector as pgliteVector } from '@electric-sql/pglite/vector';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Config } from '../config/schema.ts';
import { ConfigError, UnavailableError } from '../contracts/errors.ts';
import { redactUrl } from './redact.ts';
import type { Database } from './schema.ts';

/** An open Argus database: the Kysely handle and what the server behind it can do. */
export interface ArgusDatabase {
  db: Kysely<Database>;
  /** 'pglite': the embedded database in this process; 'postgres': a PostgreSQL server. */
  kind: 'pglite' | 'postgres';
  /** pgvector is installed and in use (face search with `<=>`); false: exact search in plain SQL. */
  vector: boolean;
  /** pg_trgm is installed (fuzzy plate search index). */
  trgm: boolean;
  /** Schema holding the Argus tables (first in search_path). */
  schema: string;
  /** true when the database answers `select 1` within a few seconds. */
  ping(): Promise<boolean>;
  /**
   * Bytes of WebAssembly memory the embedded database holds (it grows with its working set and is
   * never given back while the process runs); null for a PostgreSQL server.
   */
  embeddedMemoryBytes(): number | null;
  /** Closes the pool / the embedded database. Safe to call more than once. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** 'auto' (default): use pgvector where the server has it; 'off': never (exact search in SQL). */
  vector?: 'auto' | 'off';
  /**
   * Folder of the embedded database. Default `<dataDir>/pglite`; null: in memory (tests).
   * Ignored when `database.url` is set.
   */
  pgliteDir?: string | null;
}

const PING_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;
const SCHEMA_RE = /^[a-z_][a-z0-9_]*$/;

/**
 * Open the Argus database: the PostgreSQL server at `database.url`, or, when that is null, the
 * embedded PGlite database in `<dataDir>/pglite` (with pgvector and pg_trgm loaded).
 * The schema `database.schema` is created when missing and put first in the search_path.
 * Migrations are not run here; see `migrateToLatest` in storage/migrator.ts.
 */
export async function openDatabase(
  config: Pick<Config, 'dataDir' | 'database'>,
  options: OpenDatabaseOptions = {},
): Promise<ArgusDatabase> {
  const schema = config.database.schema;
  if (!SCHEMA_RE.test(schema)) {
    throw new ConfigError(`database.schema ${JSON.stringify(schema)} must be a lower-case identifier`, [
      { path: 'database.schema', message: 'lower-case identifier' },
    ]);
  }
  const wantVector = (options.vector ?? 'auto') !== 'off';
  return config.database.url
    ? openPostgres(config.database.url, config.database.poolSize, schema, wantVector)
    : openPglite(options.pgliteDir === undefined ? join(config.dataDir, 'pglite') : options.pgliteDir, schema, wantVector);
}

async function openPglite(dir: string | null, schema: string, wantVector: boolean): Promise<ArgusDatabase> {
  const dataDir = dir === null ? undefined : resolve(dir);
  let client: PGlite;
  try {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    client = await PGlite.create({ dataDir, extensions: { vector: pgliteVector, pg_trgm } });
  } catch (err) {
    throw new UnavailableError(
      `Cannot open the embedded database in ${dataDir ?? 'memory'}: ${errorText(err)}. ` +
        'If the folder is damaged, move it away (the database starts empty) or set DATABASE_URL to use a PostgreSQL server.',
    );
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  try {
    if (schema !== 'public') {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      // One connection only, so a session setting holds for every later query.
      await sql`set search_path to ${sql.id(schema)}, public`.execute(db);
    }
    const trgm = await ensureExtension(db, 'pg_trgm');
    const vector = wantVector && (await ensureExtension(db, 'vector'));
    // PGlite keeps its Emscripten module in a field its types do not show: read the memory size only.
    const wasm = (client as unknown as { mod?: { wasmMemory?: WebAssembly.Memory } }).mod?.wasmMemory;
    return handle(db, 'pglite', schema, vector, trgm, () => wasm?.buffer.byteLength ?? null);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
}

async function openPostgres(url: string, poolSize: number, schema: string, wantVector: boolean): Promise<ArgusDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'argus',
    // search_path for every connection of the pool, set at connection start-up.
    options: `-c search_path=${schema},public`,
  });
  // An idle connection that the server drops must not crash the process; ping() reports the state.
  pool.on('error', () => undefined);
  // Nor one lost during a query: the query is rejected (and the broken client discarded on release),
  // but node-postgres also emits 'error' on the checked-out client, which nothing else listens to.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw connectError(url, err);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
    const trgm = await ensureExtension(db, 'pg_trgm');
    const vector = wantVector && (await ensureExtension(db, 'vector'));
    return handle(db, 'postgres', schema, vector, trgm);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
}

function handle(
  db: Kysely<Database>,
  kind: 'pglite' | 'postgres',
  schema: string,
  vector: boolean,
  trgm: boolean,
  embeddedMemoryBytes: () => number | null = () => null,
): ArgusDatabase {
  let closing: Promise<void> | undefined;
  return {
    db,
    kind,
    vector,
    trgm,
    schema,
    embeddedMemoryBytes,
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((done) => {
        timer = setTimeout(() => done(false), PING_TIMEOUT_MS);
      });
      const query = sql<{ ok: number }>`select 1 as ok`
        .execute(db)
        .then((r) => Number(r.rows[0]?.ok) === 1)
        .catch(() => false);
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };
}

/**
 * Make the extension usable: true when it is installed, or available and this user may create it.
 * Extensions go to `public` so that dropping an Argus schema never drops them under someone else.
 */
async function ensureExtension(db: Kysely<Database>, name: 'vector' | 'pg_trgm'): Promise<boolean> {
  const state = async () => {
    const r = await sql<{ installed: boolean; available: boolean }>`
      select exists (select 1 from pg_extension where extname = ${name}) as installed,
             exists (select 1 from pg_available_extensions where name = ${name}) as available`.execute(db);
    return r.rows[0] ?? { installed: false, available: false };
  };
  const before = await state();
  if (before.installed) return true;
  if (!before.available) return false;
  try {
    await sql`create extension if not exists ${sql.id(name)} with schema public`.execute(db);
    return true;
  } catch {
    // No privilege, or another process created it at the same moment: look again.
    return (await state()).installed;
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

function connectError(url: string, err: unknown): UnavailableError {
  const where = redactUrl(url);
  const e = err as { code?: unknown; errors?: Array<{ code?: unknown }>; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errors?.[0]?.code === 'string' ? (e.errors[0]!.code as string) : undefined;
  const text = errorText(err);
  if ((code && UNREACHABLE_CODES.has(code)) || /timeout/i.test(text)) {
    return new UnavailableError(
      `Cannot reach PostgreSQL at ${where}: ${code ?? text}. Start PostgreSQL or unset DATABASE_URL to use the embedded database.`,
    );
  }
  if (code === '28P01' || code === '28000') {
    return new UnavailableError(`PostgreSQL at ${where} refused the login: ${text}. Check the user and password in DATABASE_URL.`);
  }
  if (code === '3D000') {
    return new UnavailableError(
      `PostgreSQL at ${where}: ${text}. Create it (createdb) or point DATABASE_URL at an existing database.`,
    );
  }
  return new UnavailableError(`Cannot connect to PostgreSQL at ${where}: ${code ? `${code} ` : ''}${text}`);
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code;
  return redactUrl(message || (typeof code === 'string' ? code : 'unknown error'));
}
