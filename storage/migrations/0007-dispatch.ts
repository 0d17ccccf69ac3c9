import { sql, type Kysely, type Migration } from 'kysely';
import { literalList } from './capabilities.ts';

/**
 * Enum values as of this migration, copied (not imported) from contracts/incidents.ts and
 * contracts/roles.ts; test/unit/storage/migration-enums.spec.ts compares them.
 */
export const MIGRATION_0007_ENUMS = {
  incidentStatuses: ['open', 'dispatched', 'on_scene', 'closed'],
  incidentSources: ['call', 'alert', 'manual', 'sos'],
  incidentOutcomes: ['resolved', 'arrested', 'referred', 'false_report', 'no_trace', 'other'],
  incidentEventKinds: ['created', 'updated', 'note', 'plan_proposed', 'plan_step', 'dispatch_created', 'dispatch_status', 'dispatch_overdue', 'closed'],
  unitKinds: ['patrol_car', 'officer', 'motorcycle', 'traffic', 'fire', 'medical', 'special'],
  unitStatuses: ['available', 'dispatched', 'en_route', 'on_scene', 'busy', 'off_duty'],
  dispatchStatuses: ['sent', 'accepted', 'en_route', 'on_scene', 'cleared', 'cancelled', 'reassigned'],
  activeDispatchStatuses: ['sent', 'accepted', 'en_route', 'on_scene'],
  roles: ['admin', 'commander', 'dispatcher', 'analyst', 'checkpoint', 'patrol'],
} as const;

const E = MIGRATION_0007_ENUMS;

/**
 * Emergency command and dispatch:
 *
 * - incidents gain their source (110 call, alert, SOS, by hand), caller, camera and alert evidence,
 *   the SOS unit, the emergency plan proposed for them (a copy, so later edits of the plan do not
 *   change it), updated_at; status and outcome are checked, and closed_at goes with 'closed'.
 *   Incidents are never deleted (trigger).
 * - incident_events (the timeline) gain seq (their order) and the user name, and become
 *   append-only: a trigger refuses DELETE, TRUNCATE and UPDATE of their content (the user may still
 *   become null when the user is removed).
 * - units gain linked users (user_ids: officers who log in on the unit's tablet), position accuracy,
 *   checked kind and status; members is a JSON array.
 * - dispatches: a unit sent to an incident and the time of each step; one active dispatch per unit.
 * - unit_positions: the position history (tracks). Bounded: the 'units.positions.prune' job deletes
 *   rows older than dispatch.positionHistoryDays every hour.
 * - emergency_plans (预案): per incident type, at most one active; incident_plan_steps: the checklist
 *   of a plan on one incident, each step ticked once, by whom and when.
 */
export function dispatchMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // ---- incidents ----
      await db.schema
        .alterTable('incidents')
        .addColumn('source', 'text', (c) => c.notNull().defaultTo('manual'))
        .addColumn('caller_name', 'text')
        .addColumn('caller_phone', 'text')
        .addColumn('camera_id', 'uuid', (c) => c.references('cameras.id').onDelete('set null'))
        .addColumn('evidence', 'jsonb')
        .addColumn('sos_unit_id', 'uuid', (c) => c.references('units.id').onDelete('set null'))
        .addColumn('plan', 'jsonb')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`alter table incidents add constraint incidents_status_check check (status in (${literalList(E.incidentStatuses)}))`.execute(db);
      await sql`alter table incidents add constraint incidents_source_check check (source in (${literalList(E.incidentSources)}))`.execute(db);
      await sql`alter table incidents add constraint incidents_outcome_check check (outcome is null or outcome in (${literalList(E.incidentOutcomes)}))`.execute(db);
      await sql`alter table incidents add constraint incidents_closed_check check ((status = 'closed') = (closed_at is not null))`.execute(db);
      await sql`alter table incidents add constraint incidents_type_check check (type ~ '^[a-z][a-z0-9_]{0,31}$')`.execute(db);
      await sql`create index incidents_created_idx on incidents (created_at)`.execute(db);
      await sql`
        create trigger incidents_touch_updated_at before update on incidents
        for each row execute function argus_touch_updated_at()`.execute(db);
      await sql`
        create trigger incidents_no_delete before delete on incidents
        for each row execute function argus_refuse_change()`.execute(db);

      // ---- the timeline ----
      await sql`alter table incident_events add column seq bigserial`.execute(db);
      await db.schema.alterTable('incident_events').addColumn('username', 'text').execute();
      await sql`create unique index incident_events_seq_idx on incident_events (seq)`.execute(db);
      await sql`create index incident_events_incident_seq_idx on incident_events (incident_id, seq)`.execute(db);
      await sql`alter table incident_events add constraint incident_events_kind_check check (kind in (${literalList(E.incidentEventKinds)}))`.execute(db);
      await sql`
        create trigger incident_events_append_only before delete or update of incident_id, at, kind, detail, username, seq on incident_events
        for each row execute function argus_refuse_change()`.execute(db);
      await sql`
        create trigger incident_events_no_truncate before truncate on incident_events
        for each statement execute function argus_refuse_change()`.execute(db);

      // ---- units ----
      await db.schema
        .alterTable('units')
        .addColumn('user_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'::uuid[]`))
        .addColumn('position_accuracy', 'real')
        .execute();
      await sql`update units set members = '[]'::jsonb where jsonb_typeof(members) <> 'array'`.execute(db);
      await sql`alter table units alter column members set default '[]'::jsonb`.execute(db);
      await sql`alter table units add constraint units_members_check check (jsonb_typeof(members) = 'array')`.execute(db);
      await sql`alter table units add constraint units_kind_check check (kind in (${literalList(E.unitKinds)}))`.execute(db);
      await sql`alter table units add constraint units_status_check check (status in (${literalList(E.unitStatuses)}))`.execute(db);
      await sql`alter table units add constraint units_call_sign_check check (length(call_sign) between 1 and 32)`.execute(db);
      await sql`alter table units add constraint units_accuracy_check check (position_accuracy is null or position_accuracy >= 0)`.execute(db);
      await sql`create index units_user_ids_idx on units using gin (user_ids)`.execute(db);

      await db.schema
        .createTable('unit_positions')
        .addColumn('id', 'bigserial', (c) => c.primaryKey())
        .addColumn('unit_id', 'uuid', (c) => c.notNull().references('units.id').onDelete('cascade'))
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('latitude', 'double precision', (c) => c.notNull())
        .addColumn('longitude', 'double precision', (c) => c.notNull())
        .addColumn('accuracy', 'real')
        .addCheckConstraint('unit_positions_latitude_check', sql`latitude between -90 and 90`)
        .addCheckConstraint('unit_positions_longitude_check', sql`longitude between -180 and 180`)
        .addCheckConstraint('unit_positions_accuracy_check', sql`accuracy is null or accuracy >= 0`)
        .execute();
      await sql`create index unit_positions_unit_at_idx on unit_positions (unit_id, at)`.execute(db);
      await sql`create index unit_positions_at_idx on unit_positions (at)`.execute(db);

      // ---- dispatches ----
      await db.schema
        .createTable('dispatches')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('restrict'))
        .addColumn('unit_id', 'uuid', (c) => c.notNull().references('units.id').onDelete('restrict'))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('sent'))
        .addColumn('note', 'text')
        .addColumn('sent_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('sent_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('accepted_at', 'timestamptz')
        .addColumn('en_route_at', 'timestamptz')
        .addColumn('on_scene_at', 'timestamptz')
        .addColumn('cleared_at', 'timestamptz')
        .addColumn('cancelled_at', 'timestamptz')
        .addColumn('overdue_at', 'timestamptz')
        .addColumn('replaced_by', 'uuid', (c) => c.references('dispatches.id').onDelete('set null'))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addCheckConstraint('dispatches_status_check', sql`status in (${literalList(E.dispatchStatuses)})`)
        .execute();
      await sql`create unique index dispatches_unit_active_idx on dispatches (unit_id) where status in (${literalList(E.activeDispatchStatuses)})`.execute(db);
      await sql`create index dispatches_incident_idx on dispatches (incident_id, sent_at)`.execute(db);
      await sql`create index dispatches_overdue_idx on dispatches (sent_at) where status = 'sent' and overdue_at is null`.execute(db);
      await sql`
        create trigger dispatches_touch_updated_at before update on dispatches
        for each row execute function argus_touch_updated_at()`.execute(db);

      // ---- emergency plans ----
      await db.schema
        .createTable('emergency_plans')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('incident_type', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('steps', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('notify', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
        .addColumn('resources', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('camera_count', 'integer', (c) => c.notNull().defaultTo(4))
        .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addCheckConstraint('emergency_plans_steps_check', sql`jsonb_typeof(steps) = 'array'`)
        .addCheckConstraint('emergency_plans_resources_check', sql`jsonb_typeof(resources) = 'array'`)
        .addCheckConstraint('emergency_plans_notify_check', sql`notify <@ array[${literalList(E.roles)}]::text[]`)
        .addCheckConstraint('emergency_plans_camera_count_check', sql`camera_count between 0 and 64`)
        .addCheckConstraint('emergency_plans_type_check', sql`incident_type ~ '^[a-z][a-z0-9_]{0,31}$'`)
        .execute();
      await sql`create unique index emergency_plans_active_type_idx on emergency_plans (incident_type) where active`.execute(db);
      await sql`
        create trigger emergency_plans_touch_updated_at before update on emergency_plans
        for each row execute function argus_touch_updated_at()`.execute(db);

      await db.schema
        .createTable('incident_plan_steps')
        .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('restrict'))
        .addColumn('step_index', 'integer', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('done_at', 'timestamptz')
        .addColumn('done_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('done_by_name', 'text')
        .addPrimaryKeyConstraint('incident_plan_steps_pkey', ['incident_id', 'step_index'])
        .addCheckConstraint('incident_plan_steps_index_check', sql`step_index >= 0`)
        .execute();
    },

    async down(db: Kysely<unknown>) {
      for (const table of ['incident_plan_steps', 'emergency_plans', 'dispatches', 'unit_positions']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
      for (const [trigger, table] of [
        ['incident_events_no_truncate', 'incident_events'],
        ['incident_events_append_only', 'incident_events'],
        ['incidents_no_delete', 'incidents'],
        ['incidents_touch_updated_at', 'incidents'],
      ] as const) {
        await sql`drop trigger if exists ${sql.id(trigger)} on ${sql.table(table)}`.execute(db);
      }
      await sql`drop index if exists units_user_ids_idx`.execute(db);
      for (const name of ['units_accuracy_check', 'units_call_sign_check', 'units_status_check', 'units_kind_check', 'units_members_check']) {
        await sql`alter table units drop constraint if exists ${sql.id(name)}`.execute(db);
      }
      await sql`alter table units alter column members set default '{}'::jsonb`.execute(db);
      for (const column of ['position_accuracy', 'user_ids']) {
        await sql`alter table units drop column if exists ${sql.ref(column)}`.execute(db);
      }
      await sql`alter table incident_events drop constraint if exists incident_events_kind_check`.execute(db);
      for (const index of ['incident_events_incident_seq_idx', 'incident_events_seq_idx', 'incidents_created_idx']) {
        await sql`drop index if exists ${sql.id(index)}`.execute(db);
      }
      for (const column of ['username', 'seq']) {
        await sql`alter table incident_events drop column if exists ${sql.ref(column)}`.execute(db);
      }
      for (const name of ['incidents_type_check', 'incidents_closed_check', 'incidents_outcome_check', 'incidents_source_check', 'incidents_status_check']) {
        await sql`alter table incidents drop constraint if exists ${sql.id(name)}`.execute(db);
      }
      for (const column of ['updated_at', 'plan', 'sos_unit_id', 'evidence', 'camera_id', 'caller_phone', 'caller_name', 'source']) {
        await sql`alter table incidents drop column if exists ${sql.ref(column)}`.execute(db);
      }
    },
  };
}
