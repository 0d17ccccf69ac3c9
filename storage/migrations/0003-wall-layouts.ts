import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Video wall layouts saved per user, and one row per recording file (a segment path is recorded
 * once, however often the recordings folder is scanned).
 */
export function wallLayoutsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('wall_layouts')
        .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('grid', 'integer', (c) => c.notNull())
        .addColumn('tiles', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('tour', 'jsonb')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('wall_layouts_pkey', ['user_id', 'name'])
        .addCheckConstraint('wall_layouts_grid_check', sql`grid in (1, 4, 9, 16, 25, 36)`)
        .addCheckConstraint('wall_layouts_name_check', sql`length(name) between 1 and 64`)
        .execute();
      await db.schema.createIndex('recordings_path_key').on('recordings').column('path').unique().execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('recordings_path_key').ifExists().execute();
      await db.schema.dropTable('wall_layouts').ifExists().execute();
    },
  };
}
