import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import type { ArgusDatabase } from '../../../storage/database.ts';
import { EvidenceStore } from '../../../storage/evidence-store.ts';
import { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import { RetentionRepository } from '../../../storage/repositories/retention.repository.ts';
import { openRedis } from '../../../storage/redis.ts';
import { RetentionRunner, removeRetiredJobSchedules, type RetentionCounts, type RetentionPolicy } from '../../../storage/retention.ts';
import { JOB_QUEUE } from '../../../contracts/jobs.ts';
import { TEST_REDIS_URL } from '../../helpers/system.ts';
import { TEST_DATABASE_KINDS, uniqueName, useTestDatabases } from './db-helpers.ts';

/**
 * Retention of every data class (storage/retention.ts, the retention.run job) on the embedded PGlite
 * and on the PostgreSQL server: rows and files older than their period go, younger ones stay; images an
 * alert or incident still holds stay; alerts of an open incident stay; the append-only tables still
 * refuse a plain DELETE; one audit entry with the counts; a second run deletes nothing. Times are set
 * directly in the database; batches are tiny so that every class takes several.
 */
const dbs = useTestDatabases();

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);

const POLICY: RetentionPolicy = { recordings: 3, sightings: 90, faceCrops: 30, alerts: 365, incidents: 730, positions: 30, audit: 365, batchSize: 2 };

describe.each(TEST_DATABASE_KINDS)('retention on %s', (kind) => {
  const adb = (): ArgusDatabase => dbs.get(kind);
  let base: string;
  let evidence: EvidenceStore;
  let recordingsDir: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'argus-retention-'));
    evidence = new EvidenceStore(join(base, 'evidence'));
    recordingsDir = join(base, 'recordings');
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const runner = () =>
    new RetentionRunner({
      retention: new RetentionRepository(adb().db),
      audit: new AuditRepository(adb().db),
      evidence,
      recordingsDir,
      policy: POLICY,
      log: createLogger(
        { log: { level: 'info', pretty: false } },
        new Writable({
          write(chunk: Buffer, _enc, done) {
            logLines.push(chunk.toString());
            done();
          },
        }),
      ),
    });

  const one = async <T>(q: RawBuilder<T>): Promise<T> => (await q.execute(adb().db)).rows[0]!;
  const count = async (table: string, where = sql`true`) =>
    Number((await one(sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)} where ${where}`)).n);

  /** A sighting with both images on disk; returns its id and image paths. */
  const sighting = async (cameraId: string, kindOf: 'plate' | 'face', days: number) => {
    const id = randomUUID();
    const observedAt = ago(days);
    const crop = await evidence.save({ cameraId, sightingId: id, observedAt }, 'crop', JPEG);
    const frame = await evidence.save({ cameraId, sightingId: id, observedAt }, 'frame', JPEG);
    await sql`insert into sightings (id, observed_at, camera_id, kind, score, crop_path, frame_path, created_at)
              values (${id}, ${observedAt}, ${cameraId}, ${kindOf}, 0.9, ${crop}, ${frame}, ${observedAt})`.execute(adb().db);
    if (kindOf === 'face') {
      await sql`insert into face_embeddings (owner_kind, owner_id, model, dims, embedding, created_at)
                values ('sighting', ${id}, 'mobilefacenet', 2, '{0.6,0.8}', ${observedAt})`.execute(adb().db);
    }
    return { id, crop, frame, paths: [crop, frame] };
  };
  /** Images with no sighting row any more (the alert or incident holds the only reference). */
  const imagesOnly = async (cameraId: string, days: number) => {
    const id = randomUUID();
    const observedAt = ago(days);
    const crop = await evidence.save({ cameraId, sightingId: id, observedAt }, 'crop', JPEG);
    const frame = await evidence.save({ cameraId, sightingId: id, observedAt }, 'frame', JPEG);
    return { id, crop, frame, paths: [crop, frame] };
  };
  const alert = async (days: number, images: { crop: string; frame: string } | null, actions = 0) => {
    const detail = { cropPath: images?.crop ?? null, framePath: images?.frame ?? null, watchlist: { id: randomUUID(), name: 'w', covert: false } };
    const { id } = await one(sql<{ id: string }>`
      insert into alerts (level, status, kind, created_at, detail) values ('red', 'new', 'plate', ${ago(days)}, ${JSON.stringify(detail)}::jsonb) returning id`);
    for (let i = 0; i < actions; i++) {
      await sql`insert into alert_actions (alert_id, action, at) values (${id}, 'note', ${ago(days)})`.execute(adb().db);
    }
    return id;
  };
  const incident = async (o: { createdDays: number; closedDays: number | null; sourceAlertId?: string; images?: { crop: string; frame: string } }) => {
    const evidenceJson = o.images ? JSON.stringify({ alertId: o.sourceAlertId ?? randomUUID(), cameraId: null, cameraName: null, cropPath: o.images.crop, framePath: o.images.frame, summary: 's' }) : null;
    const { id } = await one(sql<{ id: string }>`
      insert into incidents (type, priority, title, status, created_at, closed_at, source_alert_id, evidence)
      values ('theft', 'P3', ${uniqueName('inc')}, ${o.closedDays === null ? 'open' : 'closed'}, ${ago(o.createdDays)},
              ${o.closedDays === null ? null : ago(o.closedDays)}, ${o.sourceAlertId ?? null}, ${evidenceJson}::jsonb)
      returning id`);
    await sql`insert into incident_events (incident_id, kind, username, at) values (${id}, 'created', 'dispatcher', ${ago(o.createdDays)})`.execute(adb().db);
    return id;
  };
  const audit = async (days: number, marker: string) => {
    await sql`insert into audit_log (action, username, at, detail) values ('system.notice', 'retention-test', ${ago(days)}, ${JSON.stringify({ marker })}::jsonb)`.execute(adb().db);
  };
  const onDisk = (paths: string[]) => paths.map((p) => existsSync(join(evidence.root, p)));

  it('deletes what is older than its period, keeps what is younger or still held, audits the counts, and a second run deletes nothing', async () => {
    const db = adb().db;
    const cameraId = (await one(sql<{ id: string }>`insert into cameras (name, source_kind, source_url) values (${uniqueName('cam')}, 'file', 'file:///x') returning id`)).id;

    // Recordings: ended 5 days ago (goes, with its file) and yesterday (stays).
    await mkdir(join(recordingsDir, cameraId), { recursive: true });
    const oldSegment = join(recordingsDir, cameraId, '20250101T000000Z.mp4');
    const newSegment = join(recordingsDir, cameraId, '20250102T000000Z.mp4');
    await writeFile(oldSegment, 'old');
    await writeFile(newSegment, 'new');
    await sql`insert into recordings (camera_id, started_at, ended_at, path, bytes) values
      (${cameraId}, ${ago(5.1)}, ${ago(5)}, ${oldSegment}, 3), (${cameraId}, ${ago(1.1)}, ${ago(1)}, ${newSegment}, 3)`.execute(db);

    // Sightings: plates 100 days old (one also held by a kept alert), 10 days old; faces 40 and 5 days old.
    const oldPlate = await sighting(cameraId, 'plate', 100);
    const heldPlate = await sighting(cameraId, 'plate', 100);
    const youngPlate = await sighting(cameraId, 'plate', 10);
    const oldFace = await sighting(cameraId, 'face', 40);
    const heldFace = await sighting(cameraId, 'face', 40);
    const youngFace = await sighting(cameraId, 'face', 5);
    const keptAlert = await alert(100, heldPlate, 1);

    // Alerts: 400 days old, with two actions and images (goes, images too); of an open incident (stays);
    // of a closed incident kept for its own period, which holds the same images (alert goes, images stay).
    const oldAlertImages = await imagesOnly(cameraId, 400);
    const oldAlert = await alert(400, oldAlertImages, 2);
    const openIncidentAlert = await alert(400, null, 1);
    const openIncident = await incident({ createdDays: 400, closedDays: null, sourceAlertId: openIncidentAlert });
    const sharedImages = await imagesOnly(cameraId, 400);
    const closedIncidentAlert = await alert(400, sharedImages);
    const keptIncident = await incident({ createdDays: 400, closedDays: 10, sourceAlertId: closedIncidentAlert, images: sharedImages });
    // ...and one that holds the images of a face whose own images have expired.
    const faceIncident = await incident({ createdDays: 40, closedDays: 20, images: heldFace });

    // Incidents: closed 800 days ago, with a dispatch, a checklist step and images (all go); an open
    // one created 800 days ago (stays).
    const oldIncidentImages = await imagesOnly(cameraId, 800);
    const oldIncident = await incident({ createdDays: 801, closedDays: 800, images: oldIncidentImages });
    const unitId = (await one(sql<{ id: string }>`insert into units (call_sign, kind) values (${uniqueName('U').slice(0, 30)}, 'patrol_car') returning id`)).id;
    await sql`insert into dispatches (incident_id, unit_id, status, sent_at) values (${oldIncident}, ${unitId}, 'cleared', ${ago(801)})`.execute(db);
    await sql`insert into incident_plan_steps (incident_id, step_index, text) values (${oldIncident}, 0, 'seal the scene')`.execute(db);
    const oldOpenIncident = await incident({ createdDays: 800, closedDays: null });

    // Unit positions: 40 days old (goes), yesterday (stays).
    await sql`insert into unit_positions (unit_id, at, latitude, longitude) values (${unitId}, ${ago(40)}, 31.2, 121.4), (${unitId}, ${ago(1)}, 31.2, 121.4)`.execute(db);

    // Audit: three entries 400 days old (go, in two batches), one 200 days old (stays).
    for (const m of ['a1', 'a2', 'a3']) await audit(400, m);
    await audit(200, 'a4');

    // A file listed by a run that stopped between its commit and the file deletion.
    const orphan = await imagesOnly(cameraId, 120);
    await sql`insert into retention_files (path, kind) values (${orphan.crop}, 'evidence')`.execute(db);

    // The append-only tables refuse a plain DELETE before the run...
    await expect(sql`delete from audit_log where username = 'retention-test'`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`delete from alerts where id = ${oldAlert}`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`delete from incidents where id = ${oldIncident}`.execute(db)).rejects.toThrow(/append-only: DELETE/);

    const { counts, failedFiles } = await runner().run();

    const expected: RetentionCounts = {
      recordings: 1,
      sightings: 2,
      faceImages: 2,
      faceEmbeddings: 2,
      alerts: 2,
      alertActions: 2,
      incidents: 1,
      incidentEvents: 1,
      dispatches: 1,
      positions: 1,
      audit: 3,
      // old plate 2 + old face 2 + old alert 2 + old incident 2 + the orphan 1
      evidenceFiles: 9,
      recordingFiles: 1,
    };
    expect(counts).toEqual(expected);
    expect(failedFiles).toBe(0);

    // Recordings.
    expect(await count('recordings', sql`camera_id = ${cameraId}`)).toBe(1);
    expect(existsSync(oldSegment)).toBe(false);
    expect(existsSync(newSegment)).toBe(true);

    // Sightings and their images.
    const ids = (await sql<{ id: string }>`select id from sightings where camera_id = ${cameraId}`.execute(db)).rows.map((r) => r.id).sort();
    expect(ids).toEqual([youngPlate.id, oldFace.id, heldFace.id, youngFace.id].sort());
    expect(onDisk(oldPlate.paths)).toEqual([false, false]);
    expect(onDisk(heldPlate.paths)).toEqual([true, true]); // its alert is kept
    expect(onDisk(youngPlate.paths)).toEqual([true, true]);
    // Faces past faceCrops: row kept without images or embedding; images gone unless an incident holds them.
    const faces = await sql<{ id: string; crop_path: string | null; frame_path: string | null }>`
      select id, crop_path, frame_path from sightings where id in (${oldFace.id}, ${heldFace.id}, ${youngFace.id})`.execute(db);
    const face = (id: string) => faces.rows.find((r) => r.id === id)!;
    expect([face(oldFace.id).crop_path, face(oldFace.id).frame_path, face(heldFace.id).crop_path]).toEqual([null, null, null]);
    expect(face(youngFace.id).crop_path).toBe(youngFace.crop);
    expect(onDisk(oldFace.paths)).toEqual([false, false]);
    expect(onDisk(heldFace.paths)).toEqual([true, true]); // faceIncident holds them
    expect(onDisk(youngFace.paths)).toEqual([true, true]);
    const embeddingOwners = (await sql<{ owner_id: string }>`select owner_id from face_embeddings where owner_kind = 'sighting' and owner_id in (${oldFace.id}, ${heldFace.id}, ${youngFace.id})`.execute(db)).rows;
    expect(embeddingOwners.map((r) => r.owner_id)).toEqual([youngFace.id]);

    // Alerts.
    const alertIds = (await sql<{ id: string }>`select id from alerts where id in (${keptAlert}, ${oldAlert}, ${openIncidentAlert}, ${closedIncidentAlert})`.execute(db)).rows.map((r) => r.id).sort();
    expect(alertIds).toEqual([keptAlert, openIncidentAlert].sort());
    expect(await count('alert_actions', sql`alert_id = ${oldAlert}`)).toBe(0);
    expect(await count('alert_actions', sql`alert_id = ${openIncidentAlert}`)).toBe(1);
    expect(onDisk(oldAlertImages.paths)).toEqual([false, false]);
    expect(onDisk(sharedImages.paths)).toEqual([true, true]); // keptIncident holds them

    // Incidents.
    const incidentIds = (await sql<{ id: string }>`select id from incidents where id in (${openIncident}, ${keptIncident}, ${faceIncident}, ${oldIncident}, ${oldOpenIncident})`.execute(db)).rows.map((r) => r.id).sort();
    expect(incidentIds).toEqual([openIncident, keptIncident, faceIncident, oldOpenIncident].sort());
    expect(await count('incident_events', sql`incident_id = ${oldIncident}`)).toBe(0);
    expect(await count('dispatches', sql`incident_id = ${oldIncident}`)).toBe(0);
    expect(await count('incident_plan_steps', sql`incident_id = ${oldIncident}`)).toBe(0);
    expect(onDisk(oldIncidentImages.paths)).toEqual([false, false]);
    expect((await one(sql<{ s: string | null }>`select source_alert_id as s from incidents where id = ${keptIncident}`)).s).toBeNull();

    // Positions, audit, the orphan, the list of files.
    expect(await count('unit_positions', sql`unit_id = ${unitId}`)).toBe(1);
    const markers = (await sql<{ m: string }>`select detail->>'marker' as m from audit_log where username = 'retention-test'`.execute(db)).rows.map((r) => r.m);
    expect(markers).toEqual(['a4']);
    expect(onDisk([orphan.crop, orphan.frame])).toEqual([false, true]); // only the listed one
    expect(await count('retention_files')).toBe(0);

    // One audit entry with the counts, and the same counts logged at info.
    const entries = await new AuditRepository(db).list({ action: 'retention.run' });
    expect(entries.total).toBe(1);
    expect(entries.items[0]).toMatchObject({ username: 'system', detail: { counts: expected } });
    const logged = logLines.map((l) => JSON.parse(l) as { msg: string; level: number; counts?: RetentionCounts }).filter((l) => l.msg === 'retention run');
    expect(logged.at(-1)).toMatchObject({ level: 30, counts: expected });

    // ...and still refuse a plain DELETE after it (the setting was local to the job's transactions).
    await expect(sql`delete from audit_log where username = 'retention-test'`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`delete from alerts where id = ${keptAlert}`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`delete from alert_actions where alert_id = ${openIncidentAlert}`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`delete from incidents where id = ${keptIncident}`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`delete from incident_events where incident_id = ${keptIncident}`.execute(db)).rejects.toThrow(/append-only: DELETE/);

    // A second run deletes nothing and writes no audit entry.
    const again = await runner().run();
    expect(Object.values(again.counts).every((n) => n === 0)).toBe(true);
    expect((await new AuditRepository(db).list({ action: 'retention.run' })).total).toBe(1);
    expect(onDisk([...heldPlate.paths, ...youngPlate.paths, ...heldFace.paths, ...youngFace.paths, ...sharedImages.paths]).every(Boolean)).toBe(true);
  });

  it('even with the retention setting, the audit log keeps entries younger than 180 days and never allows UPDATE or TRUNCATE', async () => {
    const db = adb().db;
    await audit(179, 'young');
    await audit(400, 'old-for-update');
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select set_config('argus.retention', 'on', true)`.execute(trx);
        await sql`delete from audit_log where detail->>'marker' = 'young'`.execute(trx);
      }),
    ).rejects.toThrow(/keeps every row for 180 days/);
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select set_config('argus.retention', 'on', true)`.execute(trx);
        await sql`update audit_log set action = 'forged' where detail->>'marker' = 'old-for-update'`.execute(trx);
      }),
    ).rejects.toThrow(/append-only: UPDATE/);
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select set_config('argus.retention', 'on', true)`.execute(trx);
        await sql`truncate audit_log`.execute(trx);
      }),
    ).rejects.toThrow(/append-only: TRUNCATE/);
    // The repository's own method cannot go below the floor either: the whole batch is refused.
    await expect(new RetentionRepository(db).deleteAudit(ago(10), 100)).rejects.toThrow(/keeps every row for 180 days/);
    const markers = (await sql<{ m: string }>`select detail->>'marker' as m from audit_log where detail->>'marker' in ('young', 'old-for-update') order by 1`.execute(db)).rows.map((r) => r.m);
    expect(markers).toEqual(['old-for-update', 'young']);
  });
});

describe('the schedules of the jobs retention.run replaced', () => {
  it('are removed from Redis (an earlier version left them there), the others stay', async () => {
    const prefix = `argus-retention-${randomBytes(4).toString('hex')}`;
    const log = createLogger({ log: { level: 'silent', pretty: false } });
    const redis = await openRedis({ redis: { url: TEST_REDIS_URL, startLocal: false, prefix }, dataDir: '/tmp' }, log);
    const connection = redis.connect('test');
    const queue = new Queue(JOB_QUEUE, { connection, prefix });
    try {
      for (const name of ['sightings.prune', 'units.positions.prune', 'sessions.prune']) {
        await queue.upsertJobScheduler(`every:${name}`, { every: 3_600_000 }, { name, data: {} });
      }
      expect(await removeRetiredJobSchedules(redis, prefix)).toBe(2);
      expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['every:sessions.prune']);
      expect(await removeRetiredJobSchedules(redis, prefix)).toBe(0);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      await redis.close();
    }
  });
});
