import { Migrator, NO_MIGRATIONS, sql, type MigrationResultSet } from 'kysely';
import { ArgusError, ERROR_CODES } from '../contracts/errors.ts';
import type { ArgusDatabase } from './database.ts';
import { addFaceVectorColumn, createPlateTrigramIndex } from './migrations/capabilities.ts';
import { createMigrationProvider, MIGRATIONS } from './migrations/index.ts';

export const MIGRATION_TABLE = 'argus_migration';
export const MIGRATION_LOCK_TABLE = 'argus_migration_lock';

/** A migration failed; nothing of it was applied (each migration runs in a transaction). */
export class MigrationError extends ArgusError {
  constructor(
    readonly migrationName: string | undefined,
    readonly direction: 'up' | 'down',
    override readonly cause: unknown,
  ) {
    const what = cause instanceof Error ? cause.message : String(cause);
    super(
      ERROR_CODES.INTERNAL,
      migrationName
        ? `Database migration ${migrationName} (${direction}) failed: ${what}`
        : `Database migrations (${direction}) could not run: ${what}`,
    );
    this.name = 'MigrationError';
  }
}

function migrator(adb: ArgusDatabase): Migrator {
  return new Migrator({
    db: adb.db,
    provider: createMigrationProvider({ vector: adb.vector, trgm: adb.trgm }),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    migrationTableSchema: adb.schema,
  });
}

function unwrap(set: MigrationResultSet, direction: 'up' | 'down'): string[] {
  const results = set.results ?? [];
  if (set.error !== undefined) {
    const failed = results.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, direction, set.error);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Kysely's migrator looks for its tables by introspecting every schema of the database, and for each
 * column calls pg_get_serial_sequence('<schema>.<table>', …): when another schema is dropped at that
 * moment (another Argus on the same server being removed, or tests), the call fails with `schema "…"
 * does not exist` naming that other schema. Nothing was applied then (it fails before the first
 * migration), so the run is tried again, up to three times.
 */
export async function withCatalogRetry<T>(adb: ArgusDatabase, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      const other = /schema "([^"]+)" does not exist|relation "([^".]+)\.[^"]+" does not exist/.exec(err instanceof Error ? err.message : String(err));
      const named = other?.[1] ?? other?.[2];
      const raced = err instanceof MigrationError && err.migrationName === undefined && named !== undefined && named !== adb.schema;
      if (!raced || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/**
 * Apply every pending migration; returns the names applied (in order). Afterwards it adds the
 * optional parts a migration skipped when the server could not do them then (pgvector column,
 * trigram index) and can now; both steps are idempotent.
 */
export async function migrateToLatest(adb: ArgusDatabase): Promise<string[]> {
  const applied = await withCatalogRetry(adb, async () => unwrap(await migrator(adb).migrateToLatest(), 'up'));
  try {
    if (adb.trgm) await createPlateTrigramIndex(adb.db);
    if (adb.vector) await addFaceVectorColumn(adb.db);
  } catch (err) {
    throw new MigrationError(undefined, 'up', err);
  }
  return applied;
}

/** Revert the last `steps` applied migrations, or all of them; returns the names reverted (newest first). */
export async function migrateDown(adb: ArgusDatabase, steps: number | 'all'): Promise<string[]> {
  const m = migrator(adb);
  if (steps === 'all') return unwrap(await m.migrateTo(NO_MIGRATIONS), 'down');
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer or 'all', not ${steps}`);
  const reverted: string[] = [];
  for (let i = 0; i < steps; i++) {
    const names = unwrap(await m.migrateDown(), 'down');
    if (names.length === 0) break;
    reverted.push(...names);
  }
  return reverted;
}

export interface MigrationState {
  name: string;
  executedAt: Date | null;
}

/** Every known migration and when it was applied (null: pending). */
export async function listMigrations(adb: ArgusDatabase): Promise<MigrationState[]> {
  const infos = await migrator(adb).getMigrations();
  return infos.map((i) => ({ name: i.name, executedAt: i.executedAt ?? null }));
}

/** Names of all migrations this code knows, oldest first. */
export function knownMigrationNames(): string[] {
  return MIGRATIONS.map(([name]) => name);
}

/** Tables (not partitions) in the Argus schema, excluding the migration bookkeeping. For checks and tests. */
export async function listTables(adb: ArgusDatabase): Promise<string[]> {
  const r = await sql<{ name: string }>`
    select c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${adb.schema} and c.relkind in ('r', 'p') and not c.relispartition
       and c.relname not in (${MIGRATION_TABLE}, ${MIGRATION_LOCK_TABLE})
     order by 1`.execute(adb.db);
  return r.rows.map((row) => row.name);
}
