import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Retention (the `retention.run` job, storage/retention.ts):
 *
 * - Alerts, alert actions, incidents, the incident timeline and the audit log stay append-only for
 *   everyone, with one exception: a DELETE inside a transaction that has set the transaction-local
 *   setting `argus.retention` to 'on' (`select set_config('argus.retention', 'on', true)`), which only
 *   storage/repositories/retention.repository.ts does. UPDATE (of the guarded columns) and TRUNCATE are
 *   still refused, whatever the setting; a plain DELETE is refused as before.
 * - The audit log has a floor the setting cannot lower: rows younger than 180 days are never deleted
 *   (config retention.audit has the same minimum).
 * - `retention_files`: evidence and recording files whose rows are gone and which are still to be
 *   deleted. Rows are deleted and their files listed here in one transaction; the files go after the
 *   commit, then their line here. A crash in between leaves the list, which the next run works through
 *   first: no row ever points at a deleted file, and no file is forgotten.
 * - Indexes for the retention queries (and for the evidence reference checks).
 */
export const AUDIT_RETENTION_FLOOR_DAYS = 180;

/** Trigger name, table, and its definition (after `create trigger <name>`), as 0001/0006/0007 made them. */
const GUARDED = [
  ['audit_log_append_only', 'audit_log', 'before update or delete on audit_log for each row'],
  ['alerts_no_delete', 'alerts', 'before delete on alerts for each row'],
  ['alert_actions_append_only', 'alert_actions', 'before delete or update of alert_id, at, action, from_status, to_status, note on alert_actions for each row'],
  ['incidents_no_delete', 'incidents', 'before delete on incidents for each row'],
  [
    'incident_events_append_only',
    'incident_events',
    'before delete or update of incident_id, at, kind, detail, username, seq on incident_events for each row',
  ],
] as const;

const INDEXES = [
  ['recordings_ended_idx', sql`create index recordings_ended_idx on recordings (ended_at)`],
  ['face_embeddings_sighting_created_idx', sql`create index face_embeddings_sighting_created_idx on face_embeddings (created_at) where owner_kind = 'sighting'`],
  [
    'sightings_face_evidence_idx',
    sql`create index sightings_face_evidence_idx on sightings (observed_at) where kind = 'face' and (crop_path is not null or frame_path is not null)`,
  ],
  ['alerts_evidence_paths_idx', sql`create index alerts_evidence_paths_idx on alerts using gin ((array[detail->>'cropPath', detail->>'framePath']))`],
  [
    'incidents_evidence_paths_idx',
    sql`create index incidents_evidence_paths_idx on incidents using gin ((array[evidence->>'cropPath', evidence->>'framePath'])) where evidence is not null`,
  ],
  ['incidents_source_alert_idx', sql`create index incidents_source_alert_idx on incidents (source_alert_id) where source_alert_id is not null`],
  ['incidents_closed_idx', sql`create index incidents_closed_idx on incidents (closed_at) where status = 'closed'`],
] as const;

export function retentionMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await sql`
        create function argus_refuse_change_except_retention() returns trigger language plpgsql as $$
        begin
          if tg_op = 'DELETE' and current_setting('argus.retention', true) = 'on' then
            return old;
          end if;
          raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
            using errcode = 'insufficient_privilege';
        end $$`.execute(db);
      await sql`
        create function argus_audit_log_guard() returns trigger language plpgsql as $$
        begin
          if tg_op = 'DELETE' and current_setting('argus.retention', true) = 'on' then
            if old.at < now() - interval '${sql.raw(String(AUDIT_RETENTION_FLOOR_DAYS))} days' then
              return old;
            end if;
            raise exception 'audit_log keeps every row for ${sql.raw(String(AUDIT_RETENTION_FLOOR_DAYS))} days: DELETE is not allowed'
              using errcode = 'insufficient_privilege';
          end if;
          raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
            using errcode = 'insufficient_privilege';
        end $$`.execute(db);
      for (const [name, table, definition] of GUARDED) {
        const fn = table === 'audit_log' ? 'argus_audit_log_guard' : 'argus_refuse_change_except_retention';
        await sql`drop trigger ${sql.id(name)} on ${sql.table(table)}`.execute(db);
        await sql`create trigger ${sql.id(name)} ${sql.raw(definition)} execute function ${sql.raw(fn)}()`.execute(db);
      }

      await db.schema
        .createTable('retention_files')
        .addColumn('path', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('queued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addCheckConstraint('retention_files_kind_check', sql`kind in ('evidence', 'recording')`)
        .execute();

      for (const [, statement] of INDEXES) await statement.execute(db);
    },

    async down(db: Kysely<unknown>) {
      for (const [name] of INDEXES) await sql`drop index if exists ${sql.id(name)}`.execute(db);
      await db.schema.dropTable('retention_files').ifExists().execute();
      for (const [name, table, definition] of GUARDED) {
        await sql`drop trigger if exists ${sql.id(name)} on ${sql.table(table)}`.execute(db);
        await sql`create trigger ${sql.id(name)} ${sql.raw(definition)} execute function argus_refuse_change()`.execute(db);
      }
      await sql`drop function if exists argus_audit_log_guard()`.execute(db);
      await sql`drop function if exists argus_refuse_change_except_retention()`.execute(db);
    },
  };
}
