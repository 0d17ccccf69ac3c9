import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.ts';
import { DEFAULT_ANALYTICS_SETTINGS, sightingSchema, type AnalyticsSettings } from '../../../contracts/sightings.ts';
import type { ArgusDatabase } from '../../../storage/database.ts';
import { CameraAnalyticsRepository } from '../../../storage/repositories/camera-analytics.repository.ts';
import { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import { FaceEmbeddingsRepository } from '../../../storage/repositories/face-embeddings.repository.ts';
import { SightingsRepository, type NewSighting, type SightingRecord } from '../../../storage/repositories/sightings.repository.ts';
import { TEST_DATABASE_KINDS, uniqueName, useTestDatabases } from './db-helpers.ts';

/**
 * Sightings and per-camera analytics settings on the embedded PGlite and on the PostgreSQL server:
 * store, refine in place, search (exact / prefix / contains / fuzzy, by trigram where pg_trgm is
 * there and by one-character substitution where it is not), page, count per hour, expire; a face
 * sighting keeps its embedding in the same transaction.
 */
const dbs = useTestDatabases();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A fixed hour in the past, so that tests in this file can reason about time windows. */
const T0 = new Date('2026-01-15T08:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE);

function unit(dims: number, hot: number): number[] {
  return Array.from({ length: dims }, (_, i) => (i === hot ? 1 : 0.01));
}

describe.each(TEST_DATABASE_KINDS)('sightings on %s', (kind) => {
  const adb = (): ArgusDatabase => dbs.get(kind);
  const repo = (options: { trgm?: boolean } = {}) => new SightingsRepository(adb().db, { trgm: options.trgm ?? adb().trgm, vector: adb().vector });
  const camera = async (name = uniqueName('Gate')) => (await new CamerasRepository(adb().db).create({ name, sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/x' })).id;
  const plate = (cameraId: string, text: string, minutes: number, extra: Partial<NewSighting> = {}): NewSighting => ({
    cameraId,
    observedAt: at(minutes),
    kind: 'plate',
    score: 0.9,
    box: [10, 20, 110, 50],
    plate: { text, colour: 'blue', layers: 1 },
    ...extra,
  });
  /** What a caller of the API would see (URLs aside): the record must satisfy the contract. */
  const asApi = (r: SightingRecord) => sightingSchema.parse({ ...r, cropUrl: null, frameUrl: null, cropPath: undefined, framePath: undefined });

  it('stores a plate read and reads it back with its camera name', async () => {
    const name = uniqueName('东门 Gate');
    const cam = await camera(name);
    const created = await repo().create(plate(cam, '京A12345', 0, { trackId: 't-1', label: 'car', attributes: { lane: 2 }, stage: 'early', cropPath: 'x/crop.jpg' }));
    expect(created).toMatchObject({
      cameraId: cam,
      cameraName: name,
      observedAt: at(0).toISOString(),
      kind: 'plate',
      trackId: 't-1',
      label: 'car',
      box: [10, 20, 110, 50],
      plate: { text: '京A12345', colour: 'blue', layers: 1 },
      quality: null,
      attributes: { lane: 2 },
      stage: 'early',
      cropPath: 'x/crop.jpg',
      framePath: null,
    });
    expect(created.score).toBeCloseTo(0.9, 5);
    expect(() => asApi(created)).not.toThrow();
    expect(await repo().findById(created.id)).toEqual(created);
    expect(await repo().findById(created.id, at(0))).toEqual(created);
    expect(await repo().findById(created.id, at(1))).toBeUndefined();
    expect(await repo().findById(randomUUID())).toBeUndefined();
  });

  it('refuses a sighting of a camera that does not exist, naming the field', async () => {
    const err = await repo()
      .create(plate(randomUUID(), 'A1', 0))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([{ path: 'cameraId', message: 'no such camera' }]);
  });

  it('stores a face sighting and its embedding in one transaction', async () => {
    const cam = await camera();
    const model = uniqueName('mobilefacenet');
    const faces = new FaceEmbeddingsRepository(adb().db, { vector: adb().vector });
    const created = await repo().create({ cameraId: cam, observedAt: at(5), kind: 'face', score: 0.8, quality: 0.7, box: [1, 2, 3, 4], embedding: { model, values: unit(16, 3) } });
    expect(created).toMatchObject({ kind: 'face', quality: expect.closeTo(0.7, 5), plate: null });
    const stored = await sql<{ owner_id: string; model: string; dims: number }>`
      select owner_id, model, dims from face_embeddings where owner_kind = 'sighting' and owner_id = ${created.id}`.execute(adb().db);
    expect(stored.rows).toEqual([{ owner_id: created.id, model, dims: 16 }]);
    const [nearest] = await faces.searchNearest(unit(16, 3), { k: 1, model, ownerKind: 'sighting' });
    expect(nearest).toMatchObject({ ownerId: created.id, ownerKind: 'sighting' });
    expect(nearest!.similarity).toBeCloseTo(1, 4);

    // A bad embedding: neither the sighting nor an embedding is stored.
    const before = await sql<{ n: number }>`select count(*)::int as n from sightings where camera_id = ${cam}`.execute(adb().db);
    await expect(repo().create({ cameraId: cam, observedAt: at(6), kind: 'face', score: 0.8, quality: 0.7, embedding: { model, values: [0, 0, 0] } })).rejects.toBeInstanceOf(ValidationError);
    const after = await sql<{ n: number }>`select count(*)::int as n from sightings where camera_id = ${cam}`.execute(adb().db);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('refines an early read in place: text, score, box, evidence, stage, attributes merged, embedding replaced', async () => {
    const cam = await camera();
    const model = uniqueName('model');
    const early = await repo().create(plate(cam, '沪B1234S', 10, { stage: 'early', attributes: { lane: 1, dir: 'in' } }));
    await new Promise((r) => setTimeout(r, 5));
    const final = await repo().refine(early.id, at(10), {
      plate: { text: '沪B12345' },
      score: 0.97,
      box: [12, 22, 112, 52],
      attributes: { dir: 'out', frames: 14 },
      stage: 'final',
      cropPath: 'c/crop.jpg',
      framePath: 'c/frame.jpg',
    });
    expect(final).toMatchObject({
      id: early.id,
      observedAt: early.observedAt,
      plate: { text: '沪B12345', colour: 'blue', layers: 1 },
      box: [12, 22, 112, 52],
      attributes: { lane: 1, dir: 'out', frames: 14 },
      stage: 'final',
      cropPath: 'c/crop.jpg',
      framePath: 'c/frame.jpg',
      createdAt: early.createdAt,
    });
    expect(final!.score).toBeCloseTo(0.97, 5);
    expect(Date.parse(final!.updatedAt)).toBeGreaterThan(Date.parse(early.updatedAt));
    expect(await repo().refine(early.id, at(11), { score: 0.1 })).toBeUndefined();
    expect(await repo().refine(randomUUID(), at(10), { score: 0.1 })).toBeUndefined();

    const face = await repo().create({ cameraId: cam, observedAt: at(12), kind: 'face', score: 0.6, quality: 0.4, stage: 'early', embedding: { model, values: unit(8, 1) } });
    await repo().refine(face.id, at(12), { quality: 0.9, embedding: { model, values: unit(8, 5) } });
    const rows = await sql<{ embedding: number[] }>`select embedding from face_embeddings where owner_id = ${face.id}`.execute(adb().db);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.embedding.indexOf(Math.max(...rows.rows[0]!.embedding))).toBe(5);
  });

  describe('search', () => {
    let cam1: string;
    let cam2: string;
    const ids: Record<string, string> = {};
    const seed = async () => {
      if (cam1) return;
      cam1 = await camera();
      cam2 = await camera();
      const r = repo();
      ids.a = (await r.create(plate(cam1, '京A12345', 100))).id;
      ids.b = (await r.create(plate(cam1, '京A12845', 101, { score: 0.5 }))).id;
      ids.c = (await r.create(plate(cam2, '粤B88888', 102, { plate: { text: '粤B88888', colour: 'yellow', layers: 2 } }))).id;
      ids.d = (await r.create(plate(cam2, 'WJ1693015', 103))).id;
      ids.e = (await r.create(plate(cam1, 'A1%_X9', 104))).id;
      ids.f = (await r.create({ cameraId: cam1, observedAt: at(105), kind: 'object', label: 'car', score: 0.7 })).id;
      ids.g = (await r.create({ cameraId: cam2, observedAt: at(106), kind: 'face', score: 0.8, quality: 0.6 })).id;
    };
    const find = async (query: Parameters<SightingsRepository['search']>[0], options: { trgm?: boolean } = {}) => {
      await seed();
      const result = await repo(options).search({ cameraIds: [cam1, cam2], ...query });
      return { ...result, ids: result.items.map((i) => Object.entries(ids).find(([, v]) => v === i.id)?.[0]) };
    };

    it('filters by camera, kind, colour, label, time and score, newest first', async () => {
      expect((await find({ limit: 50 })).ids).toEqual(['g', 'f', 'e', 'd', 'c', 'b', 'a']);
      expect((await find({ limit: 50, cameraIds: [cam2] })).ids).toEqual(['g', 'd', 'c']);
      expect((await find({ limit: 50, cameraIds: [] })).ids).toEqual([]);
      expect((await find({ limit: 50, kind: 'plate' })).ids).toEqual(['e', 'd', 'c', 'b', 'a']);
      expect((await find({ limit: 50, kind: 'object', label: 'car' })).ids).toEqual(['f']);
      expect((await find({ limit: 50, plateColour: 'yellow' })).ids).toEqual(['c']);
      expect((await find({ limit: 50, from: at(101), to: at(103) })).ids).toEqual(['c', 'b']);
      expect((await find({ limit: 50, kind: 'plate', minScore: 0.6 })).ids).toEqual(['e', 'd', 'c', 'a']);
    });

    it('matches plates exactly, by prefix, containing, and fuzzily', async () => {
      expect((await find({ limit: 50, plate: { text: '京A12345', mode: 'exact' } })).ids).toEqual(['a']);
      expect((await find({ limit: 50, plate: { text: '京A12', mode: 'prefix' } })).ids).toEqual(['b', 'a']);
      expect((await find({ limit: 50, plate: { text: '88888', mode: 'contains' } })).ids).toEqual(['c']);
      expect((await find({ limit: 50, plate: { text: '88888', mode: 'prefix' } })).ids).toEqual([]);
      // LIKE wildcards in the text are taken literally.
      expect((await find({ limit: 50, plate: { text: '%', mode: 'contains' } })).ids).toEqual(['e']);
      expect((await find({ limit: 50, plate: { text: 'A1%_', mode: 'prefix' } })).ids).toEqual(['e']);
      expect((await find({ limit: 50, plate: { text: '_', mode: 'contains' } })).ids).toEqual(['e']);

      // One character misread: found by trigrams (pg_trgm, present on both databases here)...
      const trigram = await find({ limit: 50, plate: { text: '京A12945', mode: 'fuzzy' } });
      expect(trigram.fuzzy).toBe('trigram');
      expect(trigram.ids).toEqual(expect.arrayContaining(['a', 'b']));
      expect(trigram.ids).not.toContain('c');
      expect(trigram.ids).not.toContain('d');
      // ...and a partial text is found where it is contained.
      expect((await find({ limit: 50, plate: { text: '1693015', mode: 'fuzzy' } })).ids).toEqual(['d']);

      // Without pg_trgm: contains, one character may differ.
      const plain = await find({ limit: 50, plate: { text: 'A12945', mode: 'fuzzy' } }, { trgm: false });
      expect(plain.fuzzy).toBe('substitution');
      expect(plain.ids).toEqual(['b', 'a']);
      expect((await find({ limit: 50, plate: { text: 'A19945', mode: 'fuzzy' } }, { trgm: false })).ids).toEqual([]);
      expect((await find({ limit: 50, plate: { text: 'WJ1693O15', mode: 'fuzzy' } }, { trgm: false })).ids).toEqual(['d']);

      await expect(find({ limit: 50, plate: { text: 'A1', mode: 'fuzzy' } })).rejects.toBeInstanceOf(ValidationError);
    });

    it('pages with a cursor without losing or repeating a row, also when two share a time', async () => {
      await seed();
      const same = await repo().create(plate(cam1, 'TIE1', 104));
      ids.tie = same.id;
      const all = (await find({ limit: 50 })).ids;
      const paged: Array<string | undefined> = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await find({ limit: 3, cursor });
        paged.push(...page.ids);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(paged).toEqual(all);
      expect(all).toHaveLength(8);
      await expect(find({ limit: 3, cursor: 'nonsense' })).rejects.toMatchObject({ issues: [{ path: 'cursor' }] });
    });

    it('uses an index for plate searches, not a scan of the table', async () => {
      await seed();
      const plans: Record<string, string> = {};
      await adb().db.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        for (const [name, condition] of [
          ['exact', sql`plate_text = 'A'`],
          ['prefix', sql`plate_text like 'AB%'`],
          ['fuzzy', sql`plate_text % 'ABC123'`],
        ] as const) {
          const r = await sql<{ 'QUERY PLAN': string }>`explain select id from sightings where ${condition}`.execute(trx);
          plans[name] = r.rows.map((row) => row['QUERY PLAN']).join('\n');
        }
      });
      for (const plan of Object.values(plans)) {
        expect(plan).toMatch(/Index|Bitmap/);
        expect(plan).not.toMatch(/Seq Scan/);
      }
    });
  });

  it('counts per hour and per camera, and expires old sightings with their embeddings', async () => {
    const cam = await camera();
    const base = new Date('2025-06-01T10:00:00.000Z').getTime();
    const r = repo();
    for (const [offset, k] of [
      [5, 'plate'],
      [50, 'plate'],
      [65, 'face'],
      [125, 'object'],
    ] as const) {
      await r.create({ cameraId: cam, observedAt: new Date(base + offset * MINUTE), kind: k, score: 0.5, plate: k === 'plate' ? { text: 'X' } : null, embedding: k === 'face' ? { model: 'm', values: [1, 2] } : null });
    }
    const filter = { from: new Date(base), to: new Date(base + 3 * HOUR), cameraIds: [cam] };
    const hourly = await r.hourlyCounts(filter);
    expect(hourly.map((h) => ({ at: h.at.toISOString(), kind: h.kind, count: h.count }))).toEqual([
      { at: '2025-06-01T10:00:00.000Z', kind: 'plate', count: 2 },
      { at: '2025-06-01T11:00:00.000Z', kind: 'face', count: 1 },
      { at: '2025-06-01T12:00:00.000Z', kind: 'object', count: 1 },
    ]);
    expect(await r.hourlyCounts({ ...filter, kind: 'face' })).toHaveLength(1);
    expect(await r.totals(filter)).toEqual({ plate: 2, face: 1, object: 1 });
    const byCamera = await r.countsByCamera(filter);
    expect(byCamera).toEqual([{ cameraId: cam, cameraName: expect.any(String), count: 4 }]);

  });

  describe('CameraAnalyticsRepository', () => {
    const settings = (patch: Partial<AnalyticsSettings> = {}): AnalyticsSettings => ({ ...DEFAULT_ANALYTICS_SETTINGS, pipelines: [...DEFAULT_ANALYTICS_SETTINGS.pipelines], ...patch });

    it('gives the defaults until set, stores valid settings, refuses invalid ones with the field', async () => {
      const cam = await camera();
      const analytics = new CameraAnalyticsRepository(adb().db);
      expect(await analytics.get(cam)).toEqual({ cameraId: cam, settings: settings(), isDefault: true, updatedAt: null });
      expect(await analytics.get(randomUUID())).toBeUndefined();

      const since = new Date(Date.now() - 1000);
      const wanted = settings({ enabled: false, pipelines: ['plates'], fps: 2.5, roi: [[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]], vehiclesOnly: true, minPlateWidth: 80 });
      const saved = await analytics.set(cam, wanted);
      expect(saved).toMatchObject({ cameraId: cam, settings: wanted, isDefault: false });
      expect(await analytics.get(cam)).toEqual(saved);
      expect((await analytics.listChangedSince(since)).map((a) => a.cameraId)).toContain(cam);
      expect((await analytics.listAll()).find((a) => a.cameraId === cam)).toEqual(saved);
      expect(await analytics.set(randomUUID(), wanted)).toBeUndefined();

      const refused = async (bad: AnalyticsSettings) => {
        const err = await analytics.set(cam, bad).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        return (err as ValidationError).issues.map((i) => i.path);
      };
      expect(await refused(settings({ fps: 30 }))).toEqual(['fps']);
      expect(await refused(settings({ pipelines: ['plates', 'plates'] }))).toEqual(['pipelines']);
      expect(await refused(settings({ roi: [[0, 0], [1, 1]] }))).toEqual(['roi']);
      // A bow tie: two edges cross.
      expect(await refused(settings({ roi: [[0, 0], [1, 1], [1, 0], [0, 1]] }))).toEqual(['roi']);
      expect(await refused(settings({ roi: [[0, 0], [1.5, 0], [0, 1]] }))).toEqual(['roi.1.0']);
      expect(await refused({ ...settings(), extra: true } as AnalyticsSettings)).toEqual(['']);
      expect((await analytics.get(cam))!.settings).toEqual(wanted);
    });

    it('reads settings stored by an older version over the current defaults', async () => {
      const cam = await camera();
      await sql`insert into camera_analytics (camera_id, settings) values (${cam}, ${JSON.stringify({ enabled: false, fps: 3 })}::jsonb)`.execute(adb().db);
      const analytics = new CameraAnalyticsRepository(adb().db);
      expect((await analytics.get(cam))!.settings).toEqual(settings({ enabled: false, fps: 3 }));
      // The row goes with its camera.
      await new CamerasRepository(adb().db).delete(cam);
      const left = await sql<{ n: number }>`select count(*)::int as n from camera_analytics where camera_id = ${cam}`.execute(adb().db);
      expect(left.rows[0]!.n).toBe(0);
    });
  });
});
