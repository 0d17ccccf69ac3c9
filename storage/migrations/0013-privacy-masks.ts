import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Privacy masks per camera (contracts/api.ts privacyMasksSchema): polygons blacked out of the live
 * view, the recording and the analytics frames, as `[[[x, y], ...], ...]` normalised to 0..1.
 * `[]`: no mask (the video is forwarded and recorded as the camera sends it).
 */
export function privacyMasksMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('cameras')
        .addColumn('privacy_masks', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('cameras').dropColumn('privacy_masks').execute();
    },
  };
}
