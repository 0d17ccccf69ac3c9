import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import { createPlateTrigramIndex, literalList, type MigrationCapabilities } from './capabilities.ts';

/**
 * Enum values as of this migration. They are copied, not imported from contracts: a migration
 * must mean the same thing forever. A unit test (test/unit/storage/migration-enums.spec.ts)
 * fails when contracts gain a value, as a reminder to write a migration that widens the check.
 */
export const MIGRATION_0001_ENUMS = {
  roles: ['admin', 'commander', 'dispatcher', 'analyst', 'checkpoint', 'patrol'],
  cameraSourceKinds: ['rtsp', 'onvif', 'file'],
  cameraStatuses: ['unknown', 'online', 'degraded', 'offline', 'disabled'],
  siteKinds: ['checkpoint', 'virtual_checkpoint', 'station', 'area'],
  watchlistKinds: ['plate', 'face'],
  watchlistLevels: ['red', 'orange', 'yellow', 'blue'],
  alertStatuses: ['new', 'acknowledged', 'inspecting', 'resolved'],
  incidentPriorities: ['P1', 'P2', 'P3', 'P4'],
  faceOwnerKinds: ['sighting', 'watchlist_entry'],
} as const;

const E = MIGRATION_0001_ENUMS;

/** Tables with an updated_at column kept current by a trigger. */
const TOUCHED_TABLES = ['users', 'cameras', 'watchlists', 'alerts', 'units'] as const;

const id = (c: ColumnDefinitionBuilder) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);
const now = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(sql`now()`);
const jsonObject = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(sql`'{}'::jsonb`);

function withPosition<T extends string, C extends string>(
  t: CreateTableBuilder<T, C>,
  table: string,
): CreateTableBuilder<T, C | 'latitude' | 'longitude'> {
  return t
    .addColumn('latitude', 'double precision')
    .addColumn('longitude', 'double precision')
    .addCheckConstraint(`${table}_latitude_check`, sql`latitude between -90 and 90`)
    .addCheckConstraint(`${table}_longitude_check`, sql`longitude between -180 and 180`)
    .addCheckConstraint(`${table}_position_check`, sql`(latitude is null) = (longitude is null)`);
}

export function initialMigration(caps: MigrationCapabilities): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // ---- shared trigger functions ----
      await sql`
        create function argus_touch_updated_at() returns trigger language plpgsql as $$
        begin
          new.updated_at := now();
          return new;
        end $$`.execute(db);
      await sql`
        create function argus_refuse_change() returns trigger language plpgsql as $$
        begin
          raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
            using errcode = 'insufficient_privilege';
        end $$`.execute(db);

      // ---- users and sessions ----
      await db.schema
        .createTable('users')
        .addColumn('id', 'uuid', id)
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('roles', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
        .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('must_change_password', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'timestamptz')
        .addColumn('created_at', 'timestamptz', now)
        .addColumn('updated_at', 'timestamptz', now)
        .addCheckConstraint('users_roles_check', sql`roles <@ array[${literalList(E.roles)}]::text[]`)
        .addCheckConstraint('users_username_check', sql`length(username) between 1 and 64`)
        .addCheckConstraint('users_failed_logins_check', sql`failed_logins >= 0`)
        .execute();
      await db.schema.createIndex('users_username_lower_key').on('users').unique().expression(sql`lower(username)`).execute();

      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'timestamptz', now)
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('last_seen_at', 'timestamptz', now)
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_expires_at_idx').on('sessions').column('expires_at').execute();

      // ---- sites and cameras ----
      await withPosition(
        db.schema
          .createTable('sites')
          .addColumn('id', 'uuid', id)
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('code', 'text')
          .addColumn('created_at', 'timestamptz', now)
          .addCheckConstraint('sites_kind_check', sql`kind in (${literalList(E.siteKinds)})`),
        'sites',
      ).execute();
      await db.schema.createIndex('sites_code_key').on('sites').unique().column('code').where(sql.ref('code'), 'is not', null).execute();

      await withPosition(
        db.schema
          .createTable('cameras')
          .addColumn('id', 'uuid', id)
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('source_kind', 'text', (c) => c.notNull())
          .addColumn('source_url', 'text', (c) => c.notNull())
          .addColumn('sub_stream_url', 'text')
          .addColumn('username', 'text')
          .addColumn('password_enc', 'text')
          .addColumn('site_id', 'uuid', (c) => c.references('sites.id').onDelete('set null')),
        'cameras',
      )
        .addColumn('ptz', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('unknown'))
        .addColumn('status_reason', 'text')
        .addColumn('status_changed_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', now)
        .addColumn('updated_at', 'timestamptz', now)
        .addCheckConstraint('cameras_source_kind_check', sql`source_kind in (${literalList(E.cameraSourceKinds)})`)
        .addCheckConstraint('cameras_status_check', sql`status in (${literalList(E.cameraStatuses)})`)
        .execute();
      await db.schema.createIndex('cameras_site_id_idx').on('cameras').column('site_id').execute();
      await db.schema.createIndex('cameras_name_idx').on('cameras').columns(['name', 'id']).execute();

      // Recordings and sightings are evidence: a camera that has them cannot be deleted (disable it).
      await db.schema
        .createTable('recordings')
        .addColumn('id', 'uuid', id)
        .addColumn('camera_id', 'uuid', (c) => c.notNull().references('cameras.id').onDelete('restrict'))
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('ended_at', 'timestamptz', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', now)
        .addCheckConstraint('recordings_time_check', sql`ended_at >= started_at`)
        .addCheckConstraint('recordings_bytes_check', sql`bytes >= 0`)
        .execute();
      await db.schema.createIndex('recordings_camera_started_idx').on('recordings').columns(['camera_id', 'started_at']).execute();

      // ---- sightings: range-partitioned by observed_at; the key includes it ----
      await db.schema
        .createTable('sightings')
        .addColumn('id', 'uuid', (c) => c.notNull().defaultTo(sql`gen_random_uuid()`))
        .addColumn('observed_at', 'timestamptz', (c) => c.notNull())
        .addColumn('camera_id', 'uuid', (c) => c.notNull().references('cameras.id').onDelete('restrict'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('track_id', 'text')
        .addColumn('label', 'text')
        .addColumn('score', 'real', (c) => c.notNull())
        .addColumn('box', 'jsonb', jsonObject)
        .addColumn('plate_text', 'text')
        .addColumn('plate_colour', 'text')
        .addColumn('plate_layers', 'smallint')
        .addColumn('crop_path', 'text')
        .addColumn('frame_path', 'text')
        .addColumn('attributes', 'jsonb', jsonObject)
        .addColumn('created_at', 'timestamptz', now)
        .addPrimaryKeyConstraint('sightings_pkey', ['id', 'observed_at'])
        .addCheckConstraint('sightings_score_check', sql`score >= 0 and score <= 1`)
        .modifyEnd(sql`partition by range (observed_at)`)
        .execute();
      // Rows outside every dated partition land here; retention adds dated partitions ahead of time.
      await sql`create table sightings_default partition of sightings default`.execute(db);
      await db.schema.createIndex('sightings_camera_observed_idx').on('sightings').columns(['camera_id', 'observed_at']).execute();
      await db.schema.createIndex('sightings_observed_idx').on('sightings').column('observed_at').execute();
      await db.schema.createIndex('sightings_plate_text_idx').on('sightings').column('plate_text').execute();
      if (caps.trgm) await createPlateTrigramIndex(db);

      // ---- face embeddings (owner is a sighting or a watchlist entry: no foreign key) ----
      await db.schema
        .createTable('face_embeddings')
        .addColumn('id', 'uuid', id)
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'uuid', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('dims', 'integer', (c) => c.notNull())
        .addColumn('embedding', sql`real[]`, (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', now)
        .addCheckConstraint('face_embeddings_owner_kind_check', sql`owner_kind in (${literalList(E.faceOwnerKinds)})`)
        .addCheckConstraint('face_embeddings_dims_check', sql`dims > 0 and cardinality(embedding) = dims`)
        .execute();
      await db.schema.createIndex('face_embeddings_model_dims_idx').on('face_embeddings').columns(['model', 'dims', 'owner_kind']).execute();
      await db.schema.createIndex('face_embeddings_owner_idx').on('face_embeddings').columns(['owner_kind', 'owner_id']).execute();

      // ---- watchlists ----
      await db.schema
        .createTable('watchlists')
        .addColumn('id', 'uuid', id)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('covert', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('threshold', 'real')
        .addColumn('tolerance', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('owner_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('valid_from', 'timestamptz')
        .addColumn('valid_to', 'timestamptz')
        .addColumn('created_at', 'timestamptz', now)
        .addColumn('updated_at', 'timestamptz', now)
        .addCheckConstraint('watchlists_kind_check', sql`kind in (${literalList(E.watchlistKinds)})`)
        .addCheckConstraint('watchlists_level_check', sql`level in (${literalList(E.watchlistLevels)})`)
        .addCheckConstraint('watchlists_tolerance_check', sql`tolerance >= 0`)
        .addCheckConstraint('watchlists_validity_check', sql`valid_to is null or valid_from is null or valid_to > valid_from`)
        .execute();

      await db.schema
        .createTable('watchlist_entries')
        .addColumn('id', 'uuid', id)
        .addColumn('watchlist_id', 'uuid', (c) => c.notNull().references('watchlists.id').onDelete('cascade'))
        .addColumn('plate_pattern', 'text')
        .addColumn('person_name', 'text')
        .addColumn('reason', 'text')
        .addColumn('case_number', 'text')
        .addColumn('valid_from', 'timestamptz')
        .addColumn('valid_to', 'timestamptz')
        .addColumn('attributes', 'jsonb', jsonObject)
        .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'timestamptz', now)
        .addCheckConstraint('watchlist_entries_validity_check', sql`valid_to is null or valid_from is null or valid_to > valid_from`)
        .execute();
      await db.schema.createIndex('watchlist_entries_watchlist_idx').on('watchlist_entries').column('watchlist_id').execute();
      await db.schema.createIndex('watchlist_entries_plate_idx').on('watchlist_entries').column('plate_pattern').execute();

      // ---- alerts (the sighting is referenced by key without a foreign key: sightings
      //      partitions are dropped by retention while alerts are kept) ----
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'uuid', id)
        .addColumn('created_at', 'timestamptz', now)
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('new'))
        .addColumn('watchlist_id', 'uuid', (c) => c.references('watchlists.id').onDelete('set null'))
        .addColumn('entry_id', 'uuid', (c) => c.references('watchlist_entries.id').onDelete('set null'))
        .addColumn('sighting_id', 'uuid')
        .addColumn('sighting_observed_at', 'timestamptz')
        .addColumn('camera_id', 'uuid', (c) => c.references('cameras.id').onDelete('set null'))
        .addColumn('site_id', 'uuid', (c) => c.references('sites.id').onDelete('set null'))
        .addColumn('score', 'real')
        .addColumn('disposition', 'text')
        .addColumn('detail', 'jsonb', jsonObject)
        .addColumn('updated_at', 'timestamptz', now)
        .addCheckConstraint('alerts_level_check', sql`level in (${literalList(E.watchlistLevels)})`)
        .addCheckConstraint('alerts_status_check', sql`status in (${literalList(E.alertStatuses)})`)
        .execute();
      await db.schema.createIndex('alerts_created_idx').on('alerts').column('created_at').execute();
      await db.schema.createIndex('alerts_status_created_idx').on('alerts').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('alerts_site_created_idx').on('alerts').columns(['site_id', 'created_at']).execute();

      await db.schema
        .createTable('alert_actions')
        .addColumn('id', 'uuid', id)
        .addColumn('alert_id', 'uuid', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
        .addColumn('at', 'timestamptz', now)
        .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text')
        .addColumn('note', 'text')
        .addCheckConstraint('alert_actions_from_status_check', sql`from_status is null or from_status in (${literalList(E.alertStatuses)})`)
        .addCheckConstraint('alert_actions_to_status_check', sql`to_status is null or to_status in (${literalList(E.alertStatuses)})`)
        .execute();
      await db.schema.createIndex('alert_actions_alert_idx').on('alert_actions').columns(['alert_id', 'at']).execute();

      // ---- incidents and units ----
      await withPosition(
        db.schema
          .createTable('incidents')
          .addColumn('id', 'uuid', id)
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('priority', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('description', 'text'),
        'incidents',
      )
        .addColumn('address', 'text')
        .addColumn('source_alert_id', 'uuid', (c) => c.references('alerts.id').onDelete('set null'))
        .addColumn('created_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'timestamptz', now)
        .addColumn('closed_at', 'timestamptz')
        .addColumn('outcome', 'text')
        .addColumn('report', 'text')
        .addCheckConstraint('incidents_priority_check', sql`priority in (${literalList(E.incidentPriorities)})`)
        .execute();
      await db.schema.createIndex('incidents_status_created_idx').on('incidents').columns(['status', 'created_at']).execute();

      await db.schema
        .createTable('incident_events')
        .addColumn('id', 'uuid', id)
        .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
        .addColumn('at', 'timestamptz', now)
        .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'jsonb', jsonObject)
        .execute();
      await db.schema.createIndex('incident_events_incident_idx').on('incident_events').columns(['incident_id', 'at']).execute();

      await withPosition(
        db.schema
          .createTable('units')
          .addColumn('id', 'uuid', id)
          .addColumn('call_sign', 'text', (c) => c.notNull().unique())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('members', 'jsonb', jsonObject)
          .addColumn('capabilities', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('available')),
        'units',
      )
        .addColumn('position_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', now)
        .addColumn('updated_at', 'timestamptz', now)
        .execute();

      // ---- audit log: append-only. No foreign key on user_id: ON DELETE SET NULL would be an
      //      UPDATE, which the trigger refuses; the user name is kept in the row instead. ----
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'uuid', id)
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
        .addColumn('user_id', 'uuid')
        .addColumn('username', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('detail', 'jsonb', jsonObject)
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at_idx').on('audit_log').columns(['at', 'id']).execute();
      await db.schema.createIndex('audit_log_user_at_idx').on('audit_log').columns(['user_id', 'at']).execute();
      await db.schema.createIndex('audit_log_action_at_idx').on('audit_log').columns(['action', 'at']).execute();
      await sql`
        create trigger audit_log_append_only before update or delete on audit_log
        for each row execute function argus_refuse_change()`.execute(db);
      await sql`
        create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function argus_refuse_change()`.execute(db);

      for (const table of TOUCHED_TABLES) {
        await sql`
          create trigger ${sql.id(`${table}_touch_updated_at`)} before update on ${sql.table(table)}
          for each row execute function argus_touch_updated_at()`.execute(db);
      }
    },

    async down(db: Kysely<unknown>) {
      for (const table of [
        'audit_log',
        'units',
        'incident_events',
        'incidents',
        'alert_actions',
        'alerts',
        'watchlist_entries',
        'watchlists',
        'face_embeddings',
        'sightings',
        'recordings',
        'cameras',
        'sites',
        'sessions',
        'users',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
      await sql`drop function if exists argus_refuse_change()`.execute(db);
      await sql`drop function if exists argus_touch_updated_at()`.execute(db);
    },
  };
}
