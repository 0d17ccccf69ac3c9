import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArgusDatabase } from '../../../storage/database.ts';
import { knownMigrationNames, listMigrations, listTables, migrateDown, migrateToLatest } from '../../../storage/migrator.ts';
import { openTestDatabase, TEST_DATABASE_KINDS, type TestDatabaseKind } from './db-helpers.ts';

const ALL_TABLES = [
  'alert_actions',
  'alert_deliveries',
  'alerts',
  'audit_log',
  'camera_analytics',
  'cameras',
  'dispatches',
  'emergency_plans',
  'exports',
  'face_embeddings',
  'incident_events',
  'incident_plan_steps',
  'incidents',
  'recordings',
  'retention_files',
  'sessions',
  'sightings',
  'sites',
  'unit_positions',
  'units',
  'users',
  'wall_layouts',
  'watchlist_entries',
  'watchlists',
];

async function columnNames(adb: ArgusDatabase, table: string): Promise<string[]> {
  const r = await sql<{ name: string }>`
    select column_name as name from information_schema.columns
     where table_schema = ${adb.schema} and table_name = ${table} order by 1`.execute(adb.db);
  return r.rows.map((row) => row.name);
}

describe.each(TEST_DATABASE_KINDS)('migrations on %s', (kind: TestDatabaseKind) => {
  let adb: ArgusDatabase;
  beforeAll(async () => {
    adb = await openTestDatabase(kind, { migrate: false });
  });
  afterAll(async () => {
    await adb?.close();
  });

  it('round trip: up to latest, down all, up again', async () => {
    expect(await listTables(adb)).toEqual([]);

    const names = knownMigrationNames();
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(await migrateToLatest(adb)).toEqual(names);
    expect(await listTables(adb)).toEqual(ALL_TABLES);
    expect((await listMigrations(adb)).every((m) => m.executedAt instanceof Date)).toBe(true);
    // Nothing pending: a second run applies nothing.
    expect(await migrateToLatest(adb)).toEqual([]);

    // Step by step down: each migration reverts only its own part.
    expect(await migrateDown(adb, 1)).toEqual(['0013-privacy-masks']);
    expect(await columnNames(adb, 'cameras')).not.toContain('privacy_masks');
    expect(await migrateDown(adb, 1)).toEqual(['0012-camera-access']);
    expect(await columnNames(adb, 'users')).not.toContain('camera_access');
    expect(await migrateDown(adb, 1)).toEqual(['0011-delivery']);
    expect(await listTables(adb)).not.toContain('alert_deliveries');
    expect(await migrateDown(adb, 1)).toEqual(['0010-fault-recovery']);
    expect(await columnNames(adb, 'sightings')).not.toContain('matched_at');
    expect(await migrateDown(adb, 1)).toEqual(['0009-retention']);
    expect(await listTables(adb)).not.toContain('retention_files');
    expect(await migrateDown(adb, 1)).toEqual(['0008-exports']);
    expect(await listTables(adb)).not.toContain('exports');
    // From here on the tables of 0007 and later are gone as each step expects.
    const DISPATCH_TABLES = ['dispatches', 'emergency_plans', 'incident_plan_steps', 'unit_positions', 'exports', 'alert_deliveries', 'retention_files'];
    expect(await migrateDown(adb, 1)).toEqual(['0007-dispatch']);
    expect(await listTables(adb)).toEqual(ALL_TABLES.filter((t) => !DISPATCH_TABLES.includes(t)));
    expect(await columnNames(adb, 'incidents')).not.toContain('source');
    expect(await columnNames(adb, 'incident_events')).not.toContain('seq');
    expect(await columnNames(adb, 'units')).not.toContain('user_ids');
    expect(await migrateDown(adb, 1)).toEqual(['0006-alerts']);
    expect(await columnNames(adb, 'alerts')).not.toContain('seq');
    expect(await columnNames(adb, 'watchlists')).not.toContain('ignore_province');
    expect(await migrateDown(adb, 1)).toEqual(['0005-analytics']);
    expect(await listTables(adb)).toEqual(ALL_TABLES.filter((t) => t !== 'camera_analytics' && !DISPATCH_TABLES.includes(t)));
    expect(await columnNames(adb, 'sightings')).not.toContain('stage');
    expect(await migrateDown(adb, 1)).toEqual(['0004-camera-streams']);
    expect(await columnNames(adb, 'cameras')).not.toContain('stream_url');
    expect(await migrateDown(adb, 1)).toEqual(['0003-wall-layouts']);
    expect(await listTables(adb)).toEqual(ALL_TABLES.filter((t) => t !== 'wall_layouts' && t !== 'camera_analytics' && !DISPATCH_TABLES.includes(t)));
    expect(await migrateDown(adb, 1)).toEqual(['0002-face-vector']);
    expect(await columnNames(adb, 'face_embeddings')).not.toContain('vec');

    expect(await migrateDown(adb, 'all')).toEqual(['0001-initial']);
    expect(await listTables(adb)).toEqual([]);
    expect((await listMigrations(adb)).every((m) => m.executedAt === null)).toBe(true);
    expect(await migrateDown(adb, 'all')).toEqual([]);

    expect(await migrateToLatest(adb)).toEqual(names);
    expect(await listTables(adb)).toEqual(ALL_TABLES);
  });

  it('the vector column exists exactly when pgvector is in use', async () => {
    expect(adb.vector).toBe(kind === 'pglite'); // Debian's PostgreSQL here has no pgvector
    const cols = await columnNames(adb, 'face_embeddings');
    expect(cols.includes('vec')).toBe(adb.vector);
  });

  it('sightings is range-partitioned by observed_at with a default partition and the expected indexes', async () => {
    const part = await sql<{ strategy: string; key: string }>`
      select p.partstrat as strategy, pg_get_partkeydef(c.oid) as key
        from pg_partitioned_table p join pg_class c on c.oid = p.partrelid
        join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = ${adb.schema} and c.relname = 'sightings'`.execute(adb.db);
    expect(part.rows).toEqual([{ strategy: 'r', key: 'RANGE (observed_at)' }]);

    const parts = await sql<{ name: string; bound: string }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        join pg_class p on p.oid = i.inhparent join pg_namespace n on n.oid = p.relnamespace
       where n.nspname = ${adb.schema} and p.relname = 'sightings'`.execute(adb.db);
    expect(parts.rows).toEqual([{ name: 'sightings_default', bound: 'DEFAULT' }]);

    const pk = await sql<{ def: string }>`
      select pg_get_constraintdef(co.oid) as def from pg_constraint co
        join pg_class c on c.oid = co.conrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = ${adb.schema} and c.relname = 'sightings' and co.contype = 'p'`.execute(adb.db);
    expect(pk.rows).toEqual([{ def: 'PRIMARY KEY (id, observed_at)' }]);

    const idx = await sql<{ name: string; def: string }>`
      select indexname as name, indexdef as def from pg_indexes
       where schemaname = ${adb.schema} and tablename = 'sightings'`.execute(adb.db);
    const defs = Object.fromEntries(idx.rows.map((r) => [r.name, r.def]));
    expect(defs.sightings_camera_observed_idx).toMatch(/\(camera_id, observed_at\)/);
    expect(defs.sightings_plate_text_idx).toMatch(/\(plate_text\)/);
    expect(adb.trgm).toBe(true); // both PGlite (contrib) and Debian's PostgreSQL have pg_trgm
    expect(defs.sightings_plate_text_trgm_idx).toMatch(/USING gin \(plate_text gin_trgm_ops\)/);
    expect(defs.sightings_plate_text_pattern_idx).toMatch(/\(plate_text text_pattern_ops\)/);
    expect(defs.sightings_kind_observed_idx).toMatch(/\(kind, observed_at\)/);
  });

  it('check constraints refuse values outside the enums and coordinate ranges', async () => {
    const bad = async (statement: ReturnType<typeof sql>) => {
      await expect(statement.execute(adb.db)).rejects.toMatchObject({ code: '23514' });
    };
    await bad(sql`insert into users (username, display_name, password_hash, roles) values ('x1', 'X', 'h', '{admin,root}')`);
    await bad(sql`insert into sites (name, kind) values ('s', 'airport')`);
    await bad(sql`insert into sites (name, kind, latitude, longitude) values ('s', 'area', 91, 0)`);
    await bad(sql`insert into sites (name, kind, latitude, longitude) values ('s', 'area', 0, -180.5)`);
    await bad(sql`insert into cameras (name, source_kind, source_url) values ('c', 'http', 'http://x')`);
    await bad(sql`insert into cameras (name, source_kind, source_url, status) values ('c', 'rtsp', 'rtsp://x', 'broken')`);
    await bad(sql`insert into watchlists (name, kind, level) values ('w', 'car', 'red')`);
    await bad(sql`insert into watchlists (name, kind, level) values ('w', 'plate', 'green')`);
    await bad(sql`insert into alerts (level, status) values ('red', 'closed')`);
    await bad(sql`insert into incidents (type, priority, title) values ('fire', 'P5', 't')`);
    const cam = (await sql<{ id: string }>`insert into cameras (name, source_kind, source_url) values ('chk', 'file', 'file:///x') returning id`.execute(adb.db)).rows[0]!.id;
    await bad(sql`insert into sightings (observed_at, camera_id, kind, score) values (now(), ${cam}, 'car', 0.5)`);
    await bad(sql`insert into sightings (observed_at, camera_id, kind, score, stage) values (now(), ${cam}, 'plate', 0.5, 'draft')`);
    await bad(sql`insert into sightings (observed_at, camera_id, kind, score, plate_text, plate_colour) values (now(), ${cam}, 'plate', 0.5, 'A1', 'red')`);
    await bad(sql`insert into sightings (observed_at, camera_id, kind, score, plate_text, plate_layers) values (now(), ${cam}, 'plate', 0.5, 'A1', 3)`);
    await bad(sql`insert into sightings (observed_at, camera_id, kind, score, quality) values (now(), ${cam}, 'face', 0.5, 1.5)`);
    await bad(sql`insert into camera_analytics (camera_id, settings) values (${cam}, '[1]')`);
    await bad(sql`insert into incidents (type, priority, title, status) values ('fire', 'P1', 't', 'pending')`);
    await bad(sql`insert into incidents (type, priority, title, source) values ('fire', 'P1', 't', 'fax')`);
    await bad(sql`insert into incidents (type, priority, title, status) values ('fire', 'P1', 't', 'closed')`);
    await bad(sql`insert into incidents (type, priority, title) values ('Fire Alarm', 'P1', 't')`);
    await bad(sql`insert into units (call_sign, kind) values ('U-1', 'helicopter')`);
    await bad(sql`insert into units (call_sign, kind, status) values ('U-1', 'patrol_car', 'asleep')`);
    await bad(sql`insert into emergency_plans (incident_type, name, notify) values ('fire', 'p', '{admin,mayor}')`);
    const unit = (await sql<{ id: string }>`insert into units (call_sign, kind) values ('chk-1', 'officer') returning id`.execute(adb.db)).rows[0]!.id;
    await bad(sql`insert into unit_positions (unit_id, at, latitude, longitude) values (${unit}, now(), 91, 0)`);
    // ...and accept the values inside them.
    await sql`insert into users (username, display_name, password_hash, roles) values ('ok-user', 'X', 'h', '{admin,patrol}')`.execute(adb.db);
    await sql`insert into sites (name, kind, latitude, longitude) values ('ok', 'virtual_checkpoint', -90, 180)`.execute(adb.db);
    await sql`insert into incidents (type, priority, title) values ('fire', 'P4', 't')`.execute(adb.db);
  });

  it('user names are unique regardless of case', async () => {
    await sql`insert into users (username, display_name, password_hash) values ('Case-Name', 'A', 'h')`.execute(adb.db);
    await expect(
      sql`insert into users (username, display_name, password_hash) values ('case-name', 'B', 'h')`.execute(adb.db),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('audit_log refuses UPDATE, DELETE and TRUNCATE (trigger)', async () => {
    await sql`insert into audit_log (action, username, detail) values ('test.append', 'auditor', '{"n": 1}')`.execute(adb.db);
    await expect(sql`update audit_log set action = 'forged'`.execute(adb.db)).rejects.toThrow(/append-only: UPDATE/);
    await expect(sql`delete from audit_log`.execute(adb.db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`truncate audit_log`.execute(adb.db)).rejects.toThrow(/append-only: TRUNCATE/);
    const rows = await sql<{ action: string }>`select action from audit_log where username = 'auditor'`.execute(adb.db);
    expect(rows.rows).toEqual([{ action: 'test.append' }]);
  });

  it('the incident timeline refuses UPDATE, DELETE and TRUNCATE; incidents are never deleted; one active dispatch per unit', async () => {
    const inc = (await sql<{ id: string }>`insert into incidents (type, priority, title) values ('theft', 'P3', 'tl') returning id`.execute(adb.db)).rows[0]!.id;
    await sql`insert into incident_events (incident_id, kind, detail, username) values (${inc}, 'created', '{"n": 1}', 'dispatcher')`.execute(adb.db);
    await expect(sql`update incident_events set detail = '{"n": 2}' where incident_id = ${inc}`.execute(adb.db)).rejects.toThrow(/append-only: UPDATE/);
    await expect(sql`update incident_events set kind = 'note' where incident_id = ${inc}`.execute(adb.db)).rejects.toThrow(/append-only: UPDATE/);
    await expect(sql`delete from incident_events where incident_id = ${inc}`.execute(adb.db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`truncate incident_events`.execute(adb.db)).rejects.toThrow(/append-only: TRUNCATE/);
    await expect(sql`delete from incidents where id = ${inc}`.execute(adb.db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`insert into incident_events (incident_id, kind) values (${inc}, 'forged')`.execute(adb.db)).rejects.toMatchObject({ code: '23514' });
    const rows = await sql<{ detail: unknown }>`select detail from incident_events where incident_id = ${inc}`.execute(adb.db);
    expect(rows.rows).toEqual([{ detail: { n: 1 } }]);

    const unit = (await sql<{ id: string }>`insert into units (call_sign, kind) values ('one-active', 'patrol_car') returning id`.execute(adb.db)).rows[0]!.id;
    await sql`insert into dispatches (incident_id, unit_id) values (${inc}, ${unit})`.execute(adb.db);
    await expect(sql`insert into dispatches (incident_id, unit_id, status) values (${inc}, ${unit}, 'en_route')`.execute(adb.db)).rejects.toMatchObject({ code: '23505' });
    await sql`insert into dispatches (incident_id, unit_id, status) values (${inc}, ${unit}, 'cleared')`.execute(adb.db);
  });

  it('updated_at follows updates (trigger)', async () => {
    const before = await sql<{ id: string; updated_at: Date }>`
      insert into cameras (name, source_kind, source_url, updated_at) values ('touch', 'file', 'file:///x', now() - interval '1 hour')
      returning id, updated_at`.execute(adb.db);
    const row = before.rows[0]!;
    const after = await sql<{ updated_at: Date }>`update cameras set name = 'touched' where id = ${row.id} returning updated_at`.execute(adb.db);
    expect(after.rows[0]!.updated_at.getTime()).toBeGreaterThan(row.updated_at.getTime() + 30 * 60_000);
  });
});
