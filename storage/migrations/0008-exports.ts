import { sql, type Kysely, type Migration } from 'kysely';
import { literalList } from './capabilities.ts';

/**
 * Enum values as of this migration, copied (not imported) from contracts/exports.ts;
 * test/unit/storage/migration-enums.spec.ts compares them.
 */
export const MIGRATION_0008_ENUMS = {
  exportStatuses: ['queued', 'running', 'done', 'failed'],
} as const;

/**
 * Evidence exports: one row per requested package (who, which cameras, which range, why), its
 * state while the `export.build` job runs (progress 0..100) and, when done, the package's size,
 * sha256, file name and the fingerprint of the key that signed it. Rows are kept when the package
 * file is deleted by retention (file_deleted_at).
 */
export function exportsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('exports')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_by_name', 'text', (c) => c.notNull())
        .addColumn('camera_ids', sql`uuid[]`, (c) => c.notNull())
        .addColumn('range_from', 'timestamptz', (c) => c.notNull())
        .addColumn('range_to', 'timestamptz', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
        .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('bytes', 'bigint')
        .addColumn('sha256', 'text')
        .addColumn('file_name', 'text')
        .addColumn('key_fingerprint', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('started_at', 'timestamptz')
        .addColumn('finished_at', 'timestamptz')
        .addColumn('file_deleted_at', 'timestamptz')
        .execute();
      await sql`alter table exports add constraint exports_status_check check (status in (${literalList(MIGRATION_0008_ENUMS.exportStatuses)}))`.execute(db);
      await sql`alter table exports add constraint exports_progress_check check (progress between 0 and 100)`.execute(db);
      await sql`alter table exports add constraint exports_range_check check (range_to > range_from)`.execute(db);
      await sql`alter table exports add constraint exports_cameras_check check (cardinality(camera_ids) >= 1)`.execute(db);
      await sql`alter table exports add constraint exports_done_check check ((status = 'done') = (sha256 is not null))`.execute(db);
      await sql`create index exports_created_by_idx on exports (created_by, created_at)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('exports').ifExists().execute();
    },
  };
}
