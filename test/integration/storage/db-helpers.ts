/**
 * Real databases for integration tests: a migrated in-memory PGlite, and a migrated schema of its
 * own in the machine's PostgreSQL server. Nothing is mocked and nothing is skipped: when PostgreSQL
 * cannot be reached, opening fails with a message saying so, and the tests fail.
 *
 * API
 *   TEST_DATABASE_URL                      process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
 *   TEST_DATABASE_KINDS                    ['pglite', 'postgres'] (for describe.each)
 *   openTestPglite({ vector?, migrate? })  in-memory PGlite; vector 'auto' (pgvector on) or 'off'
 *   openTestPostgres({ vector?, migrate?, schema? })
 *                                          a fresh schema `argus_test_<random>` in TEST_DATABASE_URL;
 *                                          close() drops the schema (CASCADE) and ends the pool
 *   openTestDatabase(kind, options?)       one of the two above
 *   dropTestSchema(schema)                 drops a schema of the server (for startTestSystem({ database: 'postgres' }))
 *   openTestDatabases(options?)            both: { pglite, postgres, get(kind), close() }
 *   useTestDatabases(options?)             registers beforeAll/afterAll in the calling test file and
 *                                          returns { get(kind) } (one instance of each per file)
 *   migrate defaults to true (migrateToLatest); pass { migrate: false } for an empty database.
 *
 * Usage (one PGlite and one schema per test file, shared by its tests; give rows unique names,
 * e.g. with uniqueName(), since tests in a file share the database):
 *
 *   import { TEST_DATABASE_KINDS, useTestDatabases } from '../storage/db-helpers.ts';
 *   const dbs = useTestDatabases();
 *   describe.each(TEST_DATABASE_KINDS)('cameras on %s', (kind) => {
 *     it('creates', async () => {
 *       const repo = new CamerasRepository(dbs.get(kind).db);
 *       ...
 *     });
 *   });
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../../config/schema.ts';
import { openDatabase, type ArgusDatabase } from '../../../storage/database.ts';
import { migrateToLatest } from '../../../storage/migrator.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type TestDatabaseKind = ArgusDatabase['kind'];
export const TEST_DATABASE_KINDS: readonly TestDatabaseKind[] = ['pglite', 'postgres'];

export interface TestDatabaseOptions {
  /** Run migrateToLatest after opening (default true). */
  migrate?: boolean;
  /** 'auto' (default) or 'off' (forces the plain-SQL face search on PGlite). */
  vector?: 'auto' | 'off';
}

export interface TestPostgresOptions extends TestDatabaseOptions {
  /** Schema name; default a fresh `argus_test_<random>`. It is dropped on close. */
  schema?: string;
}

/** A schema name no other test file uses. */
export function uniqueSchemaName(prefix = 'argus_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A short unique suffix for names in shared databases (user names, camera names). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

function dbConfig(url: string | null, schema: string): Pick<Config, 'dataDir' | 'database'> {
  return { dataDir: '/nonexistent-argus-test-data-dir', database: { url, poolSize: 4, schema } };
}

export async function openTestPglite(options: TestDatabaseOptions = {}): Promise<ArgusDatabase> {
  const adb = await openDatabase(dbConfig(null, 'public'), { pgliteDir: null, vector: options.vector ?? 'auto' });
  try {
    if (options.migrate ?? true) await migrateToLatest(adb);
  } catch (err) {
    await adb.close();
    throw err;
  }
  return adb;
}

export async function openTestPostgres(options: TestPostgresOptions = {}): Promise<ArgusDatabase> {
  const schema = options.schema ?? uniqueSchemaName();
  let adb: ArgusDatabase;
  try {
    adb = await openDatabase(dbConfig(TEST_DATABASE_URL, schema), { vector: options.vector ?? 'auto' });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Integration tests need the machine's PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). ${message}`,
      { cause: err },
    );
  }
  const inner = adb;
  const dropAndClose = async () => {
    try {
      await inner.db.schema.dropSchema(schema).ifExists().cascade().execute();
    } finally {
      await inner.close();
    }
  };
  let closing: Promise<void> | undefined;
  const wrapped: ArgusDatabase = { ...inner, close: () => (closing ??= dropAndClose()) };
  try {
    if (options.migrate ?? true) await migrateToLatest(wrapped);
  } catch (err) {
    await wrapped.close();
    throw err;
  }
  return wrapped;
}

/** Drops a schema (and all in it) from the test PostgreSQL server: for systems started on a schema of their own. */
export async function dropTestSchema(schema: string, url = TEST_DATABASE_URL): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

export function openTestDatabase(kind: TestDatabaseKind, options: TestPostgresOptions = {}): Promise<ArgusDatabase> {
  return kind === 'pglite' ? openTestPglite(options) : openTestPostgres(options);
}

export interface TestDatabases {
  pglite: ArgusDatabase;
  postgres: ArgusDatabase;
  get(kind: TestDatabaseKind): ArgusDatabase;
  close(): Promise<void>;
}

export async function openTestDatabases(options: TestDatabaseOptions = {}): Promise<TestDatabases> {
  const [pglite, postgres] = await Promise.allSettled([openTestPglite(options), openTestPostgres(options)]);
  if (pglite.status === 'rejected' || postgres.status === 'rejected') {
    if (pglite.status === 'fulfilled') await pglite.value.close();
    if (postgres.status === 'fulfilled') await postgres.value.close();
    throw pglite.status === 'rejected' ? pglite.reason : (postgres as PromiseRejectedResult).reason;
  }
  const dbs = { pglite: pglite.value, postgres: postgres.value };
  return {
    ...dbs,
    get: (kind) => dbs[kind],
    close: async () => {
      await Promise.all([dbs.pglite.close(), dbs.postgres.close()]);
    },
  };
}

/**
 * Open both databases before the tests of the calling file and close them after. `get(kind)`
 * throws if called before beforeAll ran (e.g. at collection time, outside a test or hook).
 */
export function useTestDatabases(options: TestDatabaseOptions = {}): { get(kind: TestDatabaseKind): ArgusDatabase } {
  let dbs: TestDatabases | undefined;
  beforeAll(async () => {
    dbs = await openTestDatabases(options);
  });
  afterAll(async () => {
    await dbs?.close();
  });
  return {
    get(kind) {
      if (!dbs) throw new Error('useTestDatabases: the databases are not open yet (use get() inside a test or hook)');
      return dbs.get(kind);
    },
  };
}
