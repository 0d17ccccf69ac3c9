import { sql, type Kysely, type Migration } from 'kysely';
import { literalList } from './capabilities.ts';

/**
 * Enum values as of this migration, copied (not imported) from contracts/alerts.ts;
 * test/unit/storage/migration-enums.spec.ts compares them.
 */
export const MIGRATION_0006_ENUMS = {
  dispositions: ['intercepted', 'released', 'false_match', 'not_found'],
  alertKinds: ['plate', 'face'],
  alertActions: ['acknowledge', 'inspect', 'resolve', 'note', 'escalate'],
} as const;

const E = MIGRATION_0006_ENUMS;

/**
 * Watchlists and checkpoint alerts:
 *
 * - watchlists gain `ignore_province` (plate lists: a wrong province character is not a misread);
 *   tolerance is limited to 0..2.
 * - alerts gain `seq` (bigserial, unique: the replay order for reconnecting terminals), `kind`,
 *   `escalated_at`, a disposition check, and one alert per (sighting, entry) at most.
 * - alerts are never deleted and alert actions are append-only: triggers refuse DELETE on both and
 *   UPDATE of an action's content (its user may still become null when the user is removed).
 *
 * Face photos of a watchlist person are face_embeddings rows with owner_kind 'watchlist_entry'
 * (their quality and model are listed in the entry's attributes.photos).
 */
export function alertsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('watchlists').addColumn('ignore_province', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
      await sql`alter table watchlists add constraint watchlists_tolerance_max_check check (tolerance <= 2)`.execute(db);
      await sql`alter table watchlists add constraint watchlists_threshold_check check (threshold is null or (threshold >= 0 and threshold <= 1))`.execute(db);

      await sql`alter table alerts add column seq bigserial`.execute(db);
      await db.schema
        .alterTable('alerts')
        .addColumn('kind', 'text', (c) => c.notNull().defaultTo('plate'))
        .addColumn('escalated_at', 'timestamptz')
        .execute();
      await sql`alter table alerts add constraint alerts_kind_check check (kind in (${literalList(E.alertKinds)}))`.execute(db);
      await sql`alter table alerts add constraint alerts_disposition_check check (disposition is null or disposition in (${literalList(E.dispositions)}))`.execute(db);
      await sql`create unique index alerts_seq_idx on alerts (seq)`.execute(db);
      await sql`create unique index alerts_sighting_entry_idx on alerts (sighting_id, entry_id) where sighting_id is not null and entry_id is not null`.execute(db);
      await sql`create index alerts_camera_created_idx on alerts (camera_id, created_at)`.execute(db);
      await sql`create index alerts_escalation_idx on alerts (created_at) where status = 'new' and escalated_at is null`.execute(db);
      await sql`alter table alert_actions add constraint alert_actions_action_check check (action in (${literalList(E.alertActions)}))`.execute(db);

      await sql`
        create trigger alerts_no_delete before delete on alerts
        for each row execute function argus_refuse_change()`.execute(db);
      await sql`
        create trigger alerts_no_truncate before truncate on alerts
        for each statement execute function argus_refuse_change()`.execute(db);
      await sql`
        create trigger alert_actions_append_only before delete or update of alert_id, at, action, from_status, to_status, note on alert_actions
        for each row execute function argus_refuse_change()`.execute(db);
      await sql`
        create trigger alert_actions_no_truncate before truncate on alert_actions
        for each statement execute function argus_refuse_change()`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const [trigger, table] of [
        ['alert_actions_no_truncate', 'alert_actions'],
        ['alert_actions_append_only', 'alert_actions'],
        ['alerts_no_truncate', 'alerts'],
        ['alerts_no_delete', 'alerts'],
      ] as const) {
        await sql`drop trigger if exists ${sql.id(trigger)} on ${sql.table(table)}`.execute(db);
      }
      await sql`alter table alert_actions drop constraint if exists alert_actions_action_check`.execute(db);
      for (const index of ['alerts_escalation_idx', 'alerts_camera_created_idx', 'alerts_sighting_entry_idx', 'alerts_seq_idx']) {
        await sql`drop index if exists ${sql.id(index)}`.execute(db);
      }
      for (const name of ['alerts_disposition_check', 'alerts_kind_check']) {
        await sql`alter table alerts drop constraint if exists ${sql.id(name)}`.execute(db);
      }
      for (const column of ['escalated_at', 'kind', 'seq']) {
        await sql`alter table alerts drop column if exists ${sql.ref(column)}`.execute(db);
      }
      for (const name of ['watchlists_threshold_check', 'watchlists_tolerance_max_check']) {
        await sql`alter table watchlists drop constraint if exists ${sql.id(name)}`.execute(db);
      }
      await sql`alter table watchlists drop column if exists ignore_province`.execute(db);
    },
  };
}
