import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../contracts/alerts.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_KINDS } from '../storage/db-helpers.ts';
import { BUND_1882M, EAST_475M, NORTH_111M, SQUARE } from '../../helpers/places.ts';

describe.each(TEST_DATABASE_KINDS)('alerts near a point on %s', (kind) => {
  let sys: TestSystem;
  let admin: string;
  let patrol: string;
  /** Alert ids by name. */
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    sys = await startTestSystem({ database: kind });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    await sys.createUser({ username: 'near-pat', password: 'patrol-pass-1', roles: ['patrol'] });
    patrol = await sys.login('near-pat', 'patrol-pass-1');
    const db = sys.argus.database.db;
    const site = await db.insertInto('sites').values({ name: '人民广场卡口', kind: 'checkpoint', ...NORTH_111M }).returning('id').executeTakeFirstOrThrow();
    const camera = async (name: string, at: Partial<typeof SQUARE>, siteId: string | null = null) =>
      (await db.insertInto('cameras').values({ name, source_kind: 'rtsp', source_url: `rtsp://127.0.0.1:1/${name}`, site_id: siteId, ...at }).returning('id').executeTakeFirstOrThrow()).id;
    const square = await camera('square', SQUARE);
    const east = await camera('east', EAST_475M);
    const bund = await camera('bund', BUND_1882M);
    const bySite = await camera('by-site', {}, site.id);
    const nowhere = await camera('nowhere', {});
    const detail = (plate: string, covert = false) =>
      JSON.stringify({ watchlist: { id: 'w', name: '在逃车辆', covert }, entry: { id: 'e', plate, reason: null, caseNumber: null }, sighting: { id: 's', observedAt: new Date().toISOString(), score: 0.9 }, cropPath: null, framePath: null });
    // Inserted in this order: seq increases, so newest first is the reverse.
    // As raising does, the alert keeps its camera's site.
    for (const [name, cameraId, covert, siteId] of [
      ['square', square, false, null],
      ['east', east, false, null],
      ['bund', bund, false, null],
      ['bySite', bySite, false, site.id],
      ['nowhere', nowhere, false, null],
      ['covert', square, true, null],
    ] as const) {
      const row = await db.insertInto('alerts').values({ level: 'red', camera_id: cameraId, site_id: siteId, detail: detail(name, covert) }).returning('id').executeTakeFirstOrThrow();
      ids[name] = row.id;
    }
  });
  afterAll(async () => {
    await sys?.stop();
  });

  const near = async (token: string, query: string) => {
    const res = await sys.api(`/api/alerts?${query}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.items as Alert[]).map((a) => a.id);
  };

  it('keeps the alerts within the radius, by the camera’s position or else its site’s, newest first', async () => {
    expect(await near(patrol, `near=${SQUARE.latitude},${SQUARE.longitude}&radiusM=500`)).toEqual([ids.bySite, ids.east, ids.square]);
    expect(await near(patrol, `near=${SQUARE.latitude},${SQUARE.longitude}&radiusM=150`)).toEqual([ids.bySite, ids.square]);
    expect(await near(patrol, `near=${SQUARE.latitude},${SQUARE.longitude}&radiusM=50`)).toEqual([ids.square]);
    // The default radius is 2 km: the Bund (1.88 km) is in.
    expect(await near(patrol, `near=${SQUARE.latitude},${SQUARE.longitude}`)).toEqual([ids.bySite, ids.bund, ids.east, ids.square]);
    // Filters combine.
    expect(await near(patrol, `near=${SQUARE.latitude},${SQUARE.longitude}&radiusM=500&limit=1`)).toEqual([ids.bySite]);
  });

  it('never shows covert alerts to a patrol; their manager sees them', async () => {
    expect(await near(admin, `near=${SQUARE.latitude},${SQUARE.longitude}&radiusM=50`)).toEqual([ids.covert, ids.square]);
  });

  it('gives each alert its position', async () => {
    const res = await sys.api(`/api/alerts?near=${SQUARE.latitude},${SQUARE.longitude}&radiusM=500`, { token: patrol });
    const byId = new Map((res.body.items as Alert[]).map((a) => [a.id, a]));
    expect(byId.get(ids.square!)!.location).toEqual(SQUARE);
    expect(byId.get(ids.bySite!)!.location).toEqual(NORTH_111M);
    const all = await sys.api('/api/alerts', { token: patrol });
    expect((all.body.items as Alert[]).find((a) => a.id === ids.nowhere)!.location).toBeNull();
  });

  it('refuses a point outside valid coordinates, a malformed point and a radius without a point', async () => {
    for (const q of ['near=91,0', 'near=31.2,181', 'near=abc', 'near=31.2304&radiusM=100', 'radiusM=100', `near=${SQUARE.latitude},${SQUARE.longitude}&radiusM=-5`]) {
      const res = await sys.api(`/api/alerts?${q}`, { token: patrol });
      expect(res.status, q).toBe(400);
    }
  });
});
