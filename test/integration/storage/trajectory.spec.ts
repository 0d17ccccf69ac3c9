import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.ts';
import { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import { SightingsRepository, wildcardToLike } from '../../../storage/repositories/sightings.repository.ts';
import { SitesRepository } from '../../../storage/repositories/sites.repository.ts';
import { TEST_DATABASE_KINDS, uniqueName, useTestDatabases } from './db-helpers.ts';

/**
 * Plate search by wildcard pattern, and a vehicle's trajectory (its reads across checkpoints in
 * time order, placed by camera or site position), on PGlite and on the PostgreSQL server.
 */
const dbs = useTestDatabases();
const T0 = Date.parse('2026-02-01T08:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe('wildcardToLike', () => {
  it('turns * and ? into LIKE wildcards and keeps every other character literal', () => {
    expect(wildcardToLike('京A*5')).toBe('京A%5');
    expect(wildcardToLike('沪?12345')).toBe('沪_12345');
    expect(wildcardToLike('A%B_C\\')).toBe('A\\%B\\_C\\\\');
  });
});

describe.each(TEST_DATABASE_KINDS)('plate trajectories and wildcard search on %s', (kind) => {
  const repo = () => new SightingsRepository(dbs.get(kind).db, { trgm: dbs.get(kind).trgm, vector: dbs.get(kind).vector });

  async function network() {
    const db = dbs.get(kind).db;
    const north = await new SitesRepository(db).create({ name: uniqueName('北卡口'), kind: 'checkpoint', code: null, latitude: 31.3, longitude: 121.5 });
    const south = await new SitesRepository(db).create({ name: uniqueName('南卡口'), kind: 'checkpoint', code: null, latitude: 31.1, longitude: 121.4 });
    const cams = new CamerasRepository(db);
    const a = await cams.create({ name: uniqueName('N1'), sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/a', siteId: north.id });
    // A camera with its own position (preferred over its site's).
    const b = await cams.create({ name: uniqueName('S1'), sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/b', siteId: south.id, latitude: 31.12, longitude: 121.41 });
    const c = await cams.create({ name: uniqueName('loose'), sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/c' });
    return { north, south, a: a.id, b: b.id, c: c.id };
  }

  const read = (cameraId: string, text: string, minutes: number) =>
    repo().create({ cameraId, observedAt: at(minutes), kind: 'plate', score: 0.9, box: [0, 0, 10, 10], plate: { text, colour: 'blue', layers: 1 } });

  it('returns one plate’s reads oldest first with where each was seen, and nothing of other plates', async () => {
    const n = await network();
    const plate = `苏E${String(Date.now()).slice(-5)}`;
    await read(n.b, plate, 30);
    await read(n.a, plate, 0);
    await read(n.c, plate, 45);
    await read(n.a, `苏F${plate.slice(2)}`, 10); // a different vehicle
    const { points, truncated } = await repo().trajectory(plate, { limit: 100 });
    expect(truncated).toBe(false);
    expect(points.map((p) => p.sighting.observedAt)).toEqual([at(0), at(30), at(45)].map((d) => d.toISOString()));
    expect(points.map((p) => p.sighting.plate?.text)).toEqual([plate, plate, plate]);
    expect(points[0]).toMatchObject({ siteId: n.north.id, siteName: n.north.name, latitude: 31.3, longitude: 121.5 });
    expect(points[1]).toMatchObject({ siteId: n.south.id, latitude: 31.12, longitude: 121.41 });
    expect(points[2]).toMatchObject({ siteId: null, latitude: null, longitude: null });

    const window = await repo().trajectory(plate, { from: at(10), to: at(40), limit: 100 });
    expect(window.points.map((p) => p.sighting.observedAt)).toEqual([at(30).toISOString()]);
    const first = await repo().trajectory(plate, { limit: 2 });
    expect(first.points).toHaveLength(2);
    expect(first.truncated).toBe(true);
  });

  it('finds plates by a wildcard pattern over the whole plate', async () => {
    const n = await network();
    const tag = String(Date.now()).slice(-4);
    await read(n.a, `浙A${tag}8`, 0);
    await read(n.a, `浙B${tag}8`, 1);
    await read(n.a, `浙A${tag}9`, 2);
    const search = (text: string) => repo().search({ plate: { text, mode: 'wildcard' }, limit: 50 }).then((r) => r.items.map((i) => i.plate?.text).sort());
    expect(await search(`浙?${tag}8`)).toEqual([`浙A${tag}8`, `浙B${tag}8`]);
    expect(await search(`浙A*${tag.slice(1)}*`)).toEqual([`浙A${tag}8`, `浙A${tag}9`]);
    // The pattern covers the whole plate: a fragment alone does not match.
    expect(await search(`${tag}8`)).toEqual([]);
    await expect(repo().search({ plate: { text: '**?', mode: 'wildcard' }, limit: 5 })).rejects.toBeInstanceOf(ValidationError);
  });
  it('finds face sightings by similarity to an embedding, most similar first, with time and camera filters', async () => {
    const n = await network();
    const unit = (hot: number, noise = 0.05) => Array.from({ length: 128 }, (_, i) => (i === hot ? 1 : noise * Math.sin(i + hot)));
    const face = (cameraId: string, minutes: number, hot: number) =>
      repo().create({ cameraId, observedAt: at(minutes), kind: 'face', score: 0.9, quality: 0.8, embedding: { model: 'mobilefacenet', values: unit(hot) } });
    const near = await face(n.a, 0, 7);
    const nearLater = await face(n.b, 60, 7);
    const far = await face(n.a, 5, 90);
    const other = await repo().create({ cameraId: n.a, observedAt: at(1), kind: 'face', score: 0.9, quality: 0.8, embedding: { model: 'faceplugin_fr_feature', values: unit(7) } });
    const { items, method } = await repo().faceSearch(unit(7, 0.06), { model: 'mobilefacenet', k: 1000 });
    expect(method).toBe(dbs.get(kind).vector ? 'pgvector' : 'exact');
    const ids = items.map((i) => i.sighting.id);
    expect(ids).not.toContain(other.id); // another model is never compared
    expect(ids.indexOf(near.id)).toBeLessThan(ids.indexOf(far.id));
    expect(ids.indexOf(nearLater.id)).toBeLessThan(ids.indexOf(far.id));
    expect(items.find((i) => i.sighting.id === near.id)!.score).toBeGreaterThan(0.9);
    expect(items.find((i) => i.sighting.id === far.id)!.score).toBeLessThan(0.5);
    const filtered = await repo().faceSearch(unit(7), { model: 'mobilefacenet', k: 10, cameraIds: [n.b] });
    expect(filtered.items.map((i) => i.sighting.id)).toEqual([nearLater.id]);
    const early = await repo().faceSearch(unit(7), { model: 'mobilefacenet', k: 10, cameraIds: [n.a, n.b], to: at(30), minScore: 0.5 });
    expect(early.items.map((i) => i.sighting.id)).toEqual([near.id]);
  });
});
