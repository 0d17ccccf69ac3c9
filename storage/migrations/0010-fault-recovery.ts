import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Fault recovery (a process killed, or the database lost, between storing a sighting and storing its
 * watchlist alerts):
 *
 * - `sightings.matched_at`: when watchlist matching last finished for the sighting's current content.
 *   Null for a new sighting and again when it is refined (in the refine's transaction); set after its
 *   alerts are stored (or when nothing matched). The matcher goes through recent rows where it is null
 *   on start and periodically, so a sighting stored just before a crash still gets its alert. Alerts
 *   are unique per (sighting, entry) since 0006, so matching again never raises one twice.
 * - Rows stored before this migration count as matched (the column is added with a default of the
 *   migration time, which PostgreSQL stores without rewriting the table, then the default goes).
 * - A partial index over the unmatched rows (few at any time) by updated_at for that sweep.
 */
export function faultRecoveryMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table sightings add column matched_at timestamptz default now()`.execute(db);
      await sql`alter table sightings alter column matched_at drop default`.execute(db);
      await sql`create index sightings_unmatched_idx on sightings (updated_at) where matched_at is null`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop index if exists sightings_unmatched_idx`.execute(db);
      await sql`alter table sightings drop column if exists matched_at`.execute(db);
    },
  };
}
