import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError } from '../../../contracts/errors.ts';
import { openDatabase } from '../../../storage/database.ts';
import { listTables, migrateToLatest } from '../../../storage/migrator.ts';
import { FaceEmbeddingsRepository } from '../../../storage/repositories/face-embeddings.repository.ts';
import { UsersRepository } from '../../../storage/repositories/users.repository.ts';
import { openTestPostgres, TEST_DATABASE_URL, uniqueSchemaName } from './db-helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'argus-db-spec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function withUrl(url: string | null, schema = 'public') {
  return { dataDir: tmp, database: { url, poolSize: 2, schema } };
}

describe('openDatabase: PostgreSQL server', () => {
  it('opens the server, creates the schema and puts it first in the search_path', async () => {
    const schema = uniqueSchemaName('argus_open');
    const adb = await openTestPostgres({ schema, migrate: false });
    try {
      expect(adb).toMatchObject({ kind: 'postgres', schema, vector: false, trgm: true });
      expect(await adb.ping()).toBe(true);
      const r = await sql<{ s: string; path: string }>`select current_schema() as s, current_setting('search_path') as path`.execute(adb.db);
      expect(r.rows[0]!.s).toBe(schema);
      expect(r.rows[0]!.path.split(',').map((p) => p.trim())).toEqual([schema, 'public']);
      await migrateToLatest(adb);
      const inSchema = await sql<{ n: number }>`
        select count(*)::int as n from pg_tables where schemaname = ${schema} and tablename = 'users'`.execute(adb.db);
      expect(inSchema.rows[0]!.n).toBe(1);
      const inPublic = await sql<{ n: number }>`select count(*)::int as n from pg_tables where schemaname = 'public' and tablename = 'users'`.execute(adb.db);
      expect(inPublic.rows[0]!.n).toBe(0);
    } finally {
      await adb.close();
    }
    // close() of the test helper dropped the schema.
    const check = await openDatabase(withUrl(TEST_DATABASE_URL), { vector: 'off' });
    try {
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = ${schema}`.execute(check.db);
      expect(r.rows[0]!.n).toBe(0);
    } finally {
      await check.close();
    }
  });

  it('ping is false after close, and close can be called twice', async () => {
    const adb = await openDatabase(withUrl(TEST_DATABASE_URL));
    expect(await adb.ping()).toBe(true);
    await adb.close();
    await adb.close();
    expect(await adb.ping()).toBe(false);
  });

  it('says clearly when the server cannot be reached, without the password', async () => {
    const err = await openDatabase(withUrl('postgres://argus:hunter2@127.0.0.1:1/argus')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    const message = (err as Error).message;
    expect(message).toBe(
      'Cannot reach PostgreSQL at postgres://argus:***@127.0.0.1:1/argus: ECONNREFUSED. Start PostgreSQL or unset DATABASE_URL to use the embedded database.',
    );
    expect(message).not.toContain('hunter2');
  });

  it('says clearly when the database does not exist', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = '/argus_no_such_db_' + Date.now();
    const err = await openDatabase(withUrl(url.toString())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/database "argus_no_such_db_\d+" does not exist.*createdb/);
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(openDatabase(withUrl(TEST_DATABASE_URL, 'bad; drop table users'))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('openDatabase: embedded PGlite', () => {
  it('keeps its data in <dataDir>/pglite across restarts, in the configured schema; pgvector joins when turned on later', async () => {
    const config = withUrl(null, 'argus_app');
    const first = await openDatabase(config, { vector: 'off' });
    let userId: string;
    let faceId: string;
    try {
      expect(first).toMatchObject({ kind: 'pglite', schema: 'argus_app', vector: false, trgm: true });
      expect(existsSync(join(tmp, 'pglite', 'PG_VERSION'))).toBe(true);
      expect(await first.ping()).toBe(true);
      await migrateToLatest(first);
      const u = await new UsersRepository(first.db).create({ username: 'persisted', displayName: 'P', passwordHash: 'h', roles: ['admin'] });
      userId = u.id;
      faceId = await new FaceEmbeddingsRepository(first.db, { vector: false }).add({ ownerKind: 'sighting', ownerId: userId, model: 'm', embedding: [1, 2, 2] });
      const where = await sql<{ schemaname: string }>`select schemaname from pg_tables where tablename = 'users'`.execute(first.db);
      expect(where.rows).toEqual([{ schemaname: 'argus_app' }]);
      const vec = await sql`select 1 from information_schema.columns where table_name = 'face_embeddings' and column_name = 'vec'`.execute(first.db);
      expect(vec.rows).toHaveLength(0);
    } finally {
      await first.close();
    }
    expect(await first.ping()).toBe(false);

    const second = await openDatabase(config);
    try {
      expect(second.vector).toBe(true);
      // No migration is pending, but the vector column the first run skipped is added now, filled for old rows.
      expect(await migrateToLatest(second)).toEqual([]);
      expect(await listTables(second)).toContain('users');
      expect((await new UsersRepository(second.db).findByUsername('PERSISTED'))?.id).toBe(userId);
      const [hit] = await new FaceEmbeddingsRepository(second.db, { vector: true }).searchNearest([2, 4, 4], { k: 1, model: 'm' });
      expect(hit?.id).toBe(faceId);
      expect(hit?.similarity).toBeCloseTo(1, 5);
    } finally {
      await second.close();
    }
  });
});
