import { sql, type Kysely, type Migration } from 'kysely';
import { literalList } from './capabilities.ts';

/**
 * Enum values as of this migration, copied (not imported) from contracts/sightings.ts and
 * contracts/analytics.ts; test/unit/storage/migration-enums.spec.ts compares them.
 */
export const MIGRATION_0005_ENUMS = {
  sightingKinds: ['plate', 'face', 'object'],
  sightingStages: ['early', 'final'],
  plateColours: ['black', 'blue', 'green', 'white', 'yellow'],
} as const;

const E = MIGRATION_0005_ENUMS;

/**
 * The recognition pipeline's storage:
 *
 * - sightings gain `stage` ('early': the first confident read of a track, stored and pushed at once;
 *   'final': refined when the track ended), `quality` (faces) and `updated_at`, check constraints on
 *   kind, stage, plate colour and layers, and indexes for the searches: kind by time, and plate
 *   prefixes (`text_pattern_ops`, so `like 'ABC%'` uses an index whatever the collation).
 * - `camera_analytics`: per-camera analytics settings, one row per configured camera (jsonb, the
 *   shape of contracts/sightings.ts analyticsSettingsSchema). A camera without a row uses the
 *   defaults of the code, so new cameras and future defaults need no data migration; the row goes
 *   with its camera.
 */
export function analyticsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('sightings')
        .addColumn('stage', 'text', (c) => c.notNull().defaultTo('final'))
        .addColumn('quality', 'real')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`alter table sightings add constraint sightings_kind_check check (kind in (${literalList(E.sightingKinds)}))`.execute(db);
      await sql`alter table sightings add constraint sightings_stage_check check (stage in (${literalList(E.sightingStages)}))`.execute(db);
      await sql`alter table sightings add constraint sightings_plate_colour_check check (plate_colour is null or plate_colour in (${literalList(E.plateColours)}))`.execute(db);
      await sql`alter table sightings add constraint sightings_plate_layers_check check (plate_layers is null or plate_layers in (1, 2))`.execute(db);
      await sql`alter table sightings add constraint sightings_quality_check check (quality is null or (quality >= 0 and quality <= 1))`.execute(db);
      await db.schema.createIndex('sightings_kind_observed_idx').on('sightings').columns(['kind', 'observed_at']).execute();
      await sql`create index sightings_plate_text_pattern_idx on sightings (plate_text text_pattern_ops)`.execute(db);

      await db.schema
        .createTable('camera_analytics')
        .addColumn('camera_id', 'uuid', (c) => c.primaryKey().references('cameras.id').onDelete('cascade'))
        .addColumn('settings', 'jsonb', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addCheckConstraint('camera_analytics_settings_check', sql`jsonb_typeof(settings) = 'object'`)
        .execute();
      await db.schema.createIndex('camera_analytics_updated_idx').on('camera_analytics').column('updated_at').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('camera_analytics').ifExists().execute();
      await sql`drop index if exists sightings_plate_text_pattern_idx`.execute(db);
      await sql`drop index if exists sightings_kind_observed_idx`.execute(db);
      for (const name of ['sightings_quality_check', 'sightings_plate_layers_check', 'sightings_plate_colour_check', 'sightings_stage_check', 'sightings_kind_check']) {
        await sql`alter table sightings drop constraint if exists ${sql.id(name)}`.execute(db);
      }
      for (const column of ['updated_at', 'quality', 'stage']) {
        await sql`alter table sightings drop column if exists ${sql.ref(column)}`.execute(db);
      }
    },
  };
}
