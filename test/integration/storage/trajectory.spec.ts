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
});
