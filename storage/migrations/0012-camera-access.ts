import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Camera access per user (contracts/access.ts): which cameras the user may watch live, play back and
 * search. `{}` (every kind missing) is no restriction beyond the user's roles.
 */
export function cameraAccessMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('users')
        .addColumn('camera_access', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('users').dropColumn('camera_access').execute();
    },
  };
}
