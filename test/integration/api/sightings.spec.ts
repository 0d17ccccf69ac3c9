import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import sharp from 'sharp';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../contracts/events.ts';
import type { Sighting } from '../../../contracts/sightings.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

/**
 * Sightings over HTTP and socket.io against a real Argus (PGlite, Redis): who may search, evidence
 * images served and guarded, bad queries answered with their issues, events pushed only after the
 * row is stored and only to those allowed to search, and per-camera analytics settings.
 */
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

function open(baseUrl: string, token: string): Client {
  return connect(baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
}

function connected(socket: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}

async function jpeg(colour: string, width = 96, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toBuffer();
}

describe('sightings API', () => {
  let sys: TestSystem;
  let admin: string;
  let analyst: string;
  let patrol: string;
  let cameraId: string;
  let crop: Buffer;
  let plateSighting: Sighting;
  const sockets: Client[] = [];

  beforeAll(async () => {
    sys = await startTestSystem();
    await sys.createUser({ username: 'an1', password: 'analyst-pass-1', roles: ['analyst'] });
    await sys.createUser({ username: 'pt1', password: 'patrol-pass-1', roles: ['patrol'] });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    analyst = await sys.login('an1', 'analyst-pass-1');
    patrol = await sys.login('pt1', 'patrol-pass-1');
    const res = await sys.api('/api/cameras', { token: admin, body: { name: 'Checkpoint 3 北', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/cp3' } });
    expect(res.status).toBe(201);
    cameraId = res.body.id;
    crop = await jpeg('#1d4ed8');
    plateSighting = await sys.argus.services.sightings.record({
      cameraId,
      observedAt: new Date(Date.now() - 10 * 60_000),
      kind: 'plate',
      trackId: 'trk-1',
      score: 0.93,
      box: [100, 200, 220, 240],
      plate: { text: '浙A·D1234', colour: 'green', layers: 1 },
      crop,
    });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(async () => sys?.stop());

  it('lets analysts search and refuses patrol officers and strangers', async () => {
    const found = await sys.api('/api/sightings?plate=浙AD1234', { token: analyst });
    expect(found.status).toBe(200);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]).toMatchObject({
      id: plateSighting.id,
      cameraId,
      cameraName: 'Checkpoint 3 北',
      kind: 'plate',
      plate: { text: '浙AD1234', colour: 'green', layers: 1 },
      stage: 'final',
      frameUrl: null,
    });
    expect(found.body.items[0].cropUrl).toMatch(new RegExp(`^/api/sightings/${plateSighting.id}/crop\\.jpg\\?v=\\d+$`));
    expect(JSON.stringify(found.body)).not.toMatch(/crop_path|cropPath|evidence/);

    for (const path of ['/api/sightings', '/api/sightings/stats?from=2026-01-01&to=2026-01-02', `/api/sightings/${plateSighting.id}`, `/api/sightings/${plateSighting.id}/crop.jpg`]) {
      const refused = await sys.api(path, { token: patrol });
      expect(refused.status, path).toBe(403);
      expect(refused.body.error.code).toBe('E_FORBIDDEN');
      expect((await sys.api(path)).status, path).toBe(401);
    }
    // The search is in the audit log, with its criteria.
    const audit = await sql<{ username: string; detail: Record<string, unknown> }>`
      select username, detail from audit_log where action = 'sightings.search' order by at desc limit 1`.execute(sys.argus.database.db);
    expect(audit.rows[0]).toMatchObject({ username: 'an1', detail: { plate: '浙AD1234', plateMode: 'exact', results: 1 } });
  });

  it('serves the evidence image as JPEG, 404 where there is none', async () => {
    const res = await fetch(`${sys.baseUrl}${plateSighting.cropUrl}`, { headers: { authorization: `Bearer ${analyst}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(crop);
    const frame = await sys.api(`/api/sightings/${plateSighting.id}/frame.jpg`, { token: analyst });
    expect(frame.status).toBe(404);
    expect(frame.body.error.code).toBe('E_NOT_FOUND');
    expect((await sys.api(`/api/sightings/${plateSighting.id.replace(/.$/, '0')}/crop.jpg`, { token: analyst })).status).toBe(404);
  });

  it('answers bad queries with 400 and the offending fields', async () => {
    const res = await sys.api('/api/sightings?limit=0&plateMode=regex&cameraIds=not-a-camera&from=2026-02-01&to=2026-01-01', { token: analyst });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('E_VALIDATION');
    const paths = res.body.error.issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['querystring.cameraIds.0', 'querystring.limit', 'querystring.plateMode']));
    const fuzzyShort = await sys.api('/api/sightings?plate=A1&plateMode=fuzzy', { token: analyst });
    expect(fuzzyShort.status).toBe(400);
    expect(fuzzyShort.body.error.issues).toEqual([{ path: 'plate', message: expect.stringMatching(/at least 3/) }]);
    const cursor = await sys.api('/api/sightings?cursor=forged', { token: analyst });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.issues[0].path).toBe('cursor');
    const badRange = await sys.api('/api/sightings/stats?from=2026-01-01&to=2026-03-01', { token: analyst });
    expect(badRange.status).toBe(400);
    expect(badRange.body.error.issues[0]).toMatchObject({ path: 'querystring.to' });
  });

  it('never serves a file outside the evidence folder', async () => {
    writeFileSync(join(sys.dataDir, 'not-evidence.txt'), 'TOP-SECRET-CONTENT');
    // Through the address: the id must be a UUID.
    for (const path of ['/api/sightings/..%2F..%2Fnot-evidence.txt/crop.jpg', '/api/sightings/%2E%2E/crop.jpg', `/api/sightings/${plateSighting.id}/..%2F..%2F..%2Fnot-evidence.txt`]) {
      const res = await sys.api(path, { token: analyst });
      expect([400, 404], path).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toContain('TOP-SECRET');
    }
    // Through a tampered row: the stored path is not trusted either.
    const tampered = await sys.argus.services.sightings.record({ cameraId, observedAt: new Date(), kind: 'object', label: 'car', score: 0.5, crop });
    for (const path of ['../not-evidence.txt', '../../not-evidence.txt', join(sys.dataDir, 'not-evidence.txt'), `${cameraId}/../../not-evidence.txt`]) {
      await sql`update sightings set crop_path = ${path} where id = ${tampered.id}`.execute(sys.argus.database.db);
      const res = await sys.api(`/api/sightings/${tampered.id}/crop.jpg`, { token: analyst });
      expect(res.status, path).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain('TOP-SECRET');
    }
  });

  it('pushes sighting.created after the row is stored, to searchers only; sighting.updated when refined', async () => {
    const watcher = open(sys.baseUrl, analyst);
    const outsider = open(sys.baseUrl, patrol);
    sockets.push(watcher, outsider);
    await Promise.all([connected(watcher), connected(outsider)]);
    const outsiderGot: string[] = [];
    outsider.on('sighting.created', (s) => outsiderGot.push(s.id));
    outsider.on('sighting.updated', (s) => outsiderGot.push(s.id));

    const created = new Promise<{ sighting: Sighting; storedWhenPushed: boolean }>((resolve) => {
      watcher.once('sighting.created', (sighting) => {
        // Look in the database the moment the push arrives.
        void sql<{ n: number }>`select count(*)::int as n from sightings where id = ${sighting.id}`
          .execute(sys.argus.database.db)
          .then((r) => resolve({ sighting, storedWhenPushed: r.rows[0]!.n === 1 }));
      });
    });
    const early = await sys.argus.services.sightings.record({
      cameraId,
      observedAt: new Date(),
      kind: 'plate',
      score: 0.81,
      plate: { text: '浙A1234X', colour: 'blue', layers: 1 },
      stage: 'early',
      crop,
    });
    const pushed = await created;
    expect(pushed.storedWhenPushed).toBe(true);
    expect(pushed.sighting).toEqual(early);
    const viaApi = await sys.api(`/api/sightings/${early.id}`, { token: analyst });
    expect(viaApi.body).toEqual(early);

    const updated = new Promise<Sighting>((resolve) => watcher.once('sighting.updated', resolve));
    const final = await sys.argus.services.sightings.refine(early.id, early.observedAt, { plate: { text: '浙A12345' }, score: 0.95, crop: await jpeg('#15803d') });
    expect(await updated).toEqual(final);
    expect(final).toMatchObject({ id: early.id, stage: 'final', plate: { text: '浙A12345' } });
    expect(final.cropUrl).not.toBe(early.cropUrl);
    const newCrop = await fetch(`${sys.baseUrl}${final.cropUrl}`, { headers: { authorization: `Bearer ${analyst}` } });
    expect(Buffer.from(await newCrop.arrayBuffer())).not.toEqual(crop);

    // Same event loop turns for the other socket: give it a moment, it must have got nothing.
    await new Promise((r) => setTimeout(r, 300));
    expect(outsiderGot).toEqual([]);
  });

  it('finds plates fuzzily and pages newest first', async () => {
    const fuzzy = await sys.api(`/api/sightings?plate=${encodeURIComponent('浙AD1284')}&plateMode=fuzzy&cameraIds=${cameraId}`, { token: analyst });
    expect(fuzzy.status).toBe(200);
    expect(fuzzy.body.fuzzy).toBe('trigram');
    expect(fuzzy.body.items.map((s: Sighting) => s.id)).toContain(plateSighting.id);
    const first = await sys.api(`/api/sightings?cameraIds=${cameraId}&limit=1`, { token: analyst });
    const second = await sys.api(`/api/sightings?cameraIds=${cameraId}&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`, { token: analyst });
    expect(first.body.items).toHaveLength(1);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].observedAt <= first.body.items[0].observedAt).toBe(true);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
  });

  it('counts sightings per hour for a chart', async () => {
    const from = new Date(Date.now() - 3 * 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await sys.api(`/api/sightings/stats?from=${from}&to=${to}&cameraIds=${cameraId}`, { token: analyst });
    expect(res.status).toBe(200);
    expect(res.body.bucketSeconds).toBe(3600);
    expect(res.body.buckets.length).toBeGreaterThanOrEqual(3);
    expect(res.body.buckets.length).toBeLessThanOrEqual(5);
    const sum = res.body.buckets.reduce((n: number, b: { plate: number; face: number; object: number }) => n + b.plate + b.face + b.object, 0);
    expect(sum).toBe(res.body.total);
    expect(res.body.total).toBeGreaterThanOrEqual(3);
    expect(res.body.byCamera).toEqual([{ cameraId, cameraName: 'Checkpoint 3 北', count: res.body.total }]);
  });

  it('keeps per-camera analytics settings: defaults, validated changes, audited and pushed', async () => {
    const path = `/api/cameras/${cameraId}/analytics`;
    const defaults = await sys.api(path, { token: admin });
    expect(defaults.status).toBe(200);
    expect(defaults.body).toMatchObject({ cameraId, isDefault: true, settings: { enabled: true, pipelines: ['plates', 'faces', 'objects'], fps: 5, roi: null } });
    expect((await sys.api(path, { token: analyst })).status).toBe(403);
    expect((await sys.api(path, { token: analyst, method: 'PUT', body: {} })).status).toBe(403);

    const watcher = open(sys.baseUrl, admin);
    sockets.push(watcher);
    await connected(watcher);
    const pushed = new Promise<unknown>((resolve) => watcher.once('camera.analytics', resolve));
    const roi = [
      [0.1, 0.2],
      [0.9, 0.2],
      [0.9, 0.95],
      [0.1, 0.95],
    ];
    const saved = await sys.api(path, { token: admin, method: 'PUT', body: { pipelines: ['plates'], fps: 8, roi, vehiclesOnly: true } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ cameraId, isDefault: false, settings: { enabled: true, pipelines: ['plates'], fps: 8, roi, vehiclesOnly: true, minPlateWidth: 60 } });
    expect(await pushed).toEqual(saved.body);
    expect((await sys.api(path, { token: admin })).body).toEqual(saved.body);
    // What the analytics role reads.
    expect(await sys.argus.services.sightings.settingsFor(cameraId)).toEqual(saved.body.settings);
    expect(await sys.argus.services.sightings.settingsFor(plateSighting.id)).toEqual(defaults.body.settings);
    const audit = await sql<{ target_id: string; detail: { changed: string[] } }>`
      select target_id, detail from audit_log where action = 'camera.analytics' order by at desc limit 1`.execute(sys.argus.database.db);
    expect(audit.rows[0]!.target_id).toBe(cameraId);
    expect(audit.rows[0]!.detail.changed.sort()).toEqual(['fps', 'pipelines', 'roi', 'vehiclesOnly']);

    const bad = await sys.api(path, { token: admin, method: 'PUT', body: { fps: 60, roi: [[0, 0], [1, 1], [1, 0], [0, 1]], pipelines: ['plates', 'tanks'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['fps', 'pipelines.1', 'roi']);
    expect(bad.body.error.issues.find((i: { path: string }) => i.path === 'roi').message).toMatch(/cross/);
    expect((await sys.api(path, { token: admin })).body).toEqual(saved.body);
    expect((await sys.api(`/api/cameras/${plateSighting.id}/analytics`, { token: admin })).status).toBe(404);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await sys.api('/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/sightings', '/api/sightings/stats', '/api/sightings/{id}', '/api/sightings/{id}/crop.jpg', '/api/cameras/{id}/analytics']));
  });
  it('gives a vehicle’s trajectory to those who may search, audited, and refuses wildcards and patrol users', async () => {
    const res = await sys.api(`/api/sightings/trajectory?plate=${encodeURIComponent('浙AD1234')}`, { token: analyst });
    expect(res.status).toBe(200);
    expect(res.body.plate).toBe('浙AD1234');
    expect(res.body.points.map((p: { sighting: Sighting }) => p.sighting.id)).toEqual([plateSighting.id]);
    expect(res.body).toMatchObject({ truncated: false, cameras: 1, sites: 0 });
    expect((await sys.api('/api/sightings/trajectory?plate=%E6%B5%99AD1234', { token: patrol })).status).toBe(403);
    const bad = await sys.api(`/api/sightings/trajectory?plate=${encodeURIComponent('浙A*')}`, { token: analyst });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.issues)).toMatch(/no wildcards/);
    const audit = await sys.api('/api/audit?action=sightings.trajectory', { token: admin });
    expect(audit.status).toBe(200);
    expect(audit.body.items[0]).toMatchObject({ action: 'sightings.trajectory', username: 'an1', detail: { plate: '浙AD1234', results: 1 } });
    const wild = await sys.api(`/api/sightings?plate=${encodeURIComponent('浙?D1234')}&plateMode=wildcard`, { token: analyst });
    expect(wild.status).toBe(200);
    expect(wild.body.items.map((i: Sighting) => i.id)).toContain(plateSighting.id);
  });
});
