/**
 * Per-camera and per-area permissions (issue 7): a user's roles say what they may do; their camera
 * access says on which cameras, separately for live view, playback and search. Real server, real
 * database, real socket.io.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraAccess } from '../../../contracts/access.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../contracts/events.ts';
import type { Sighting } from '../../../contracts/sightings.ts';
import { RecordingsRepository } from '../../../storage/repositories/recordings.repository.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('camera access', () => {
  let sys: TestSystem;
  let admin: string;
  /** Site A (an area) with camera a1; site B with camera b1; camera loose without a site. */
  const ids = { siteA: '', siteB: '', a1: '', b1: '', loose: '' };
  let analyst: { id: string; token: string };
  let free: string;
  const sockets: Client[] = [];

  beforeAll(async () => {
    sys = await startTestSystem();
    admin = await sys.login(sys.admin.username, sys.admin.password);
    const post = async (path: string, body: unknown) => {
      const res = await sys.api(path, { token: admin, body });
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(201);
      return res.body.id as string;
    };
    ids.siteA = await post('/api/sites', { name: '东区', kind: 'area', code: 'EAST' });
    ids.siteB = await post('/api/sites', { name: '西区', kind: 'area', code: 'WEST' });
    ids.a1 = await post('/api/cameras', { name: '东区一号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:1/a1', siteId: ids.siteA, enabled: false });
    ids.b1 = await post('/api/cameras', { name: '西区一号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:1/b1', siteId: ids.siteB, enabled: false });
    ids.loose = await post('/api/cameras', { name: '散点', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:1/loose', enabled: false });
    await sys.createUser({ username: 'east.analyst', password: 'east-analyst-1', roles: ['analyst', 'commander'] });
    await sys.createUser({ username: 'all.analyst', password: 'all-analyst-11', roles: ['analyst', 'commander'] });
    const users = (await sys.api('/api/users?limit=100', { token: admin })).body.items as Array<{ id: string; username: string }>;
    analyst = { id: users.find((u) => u.username === 'east.analyst')!.id, token: '' };
    const access: CameraAccess = {
      live: { siteIds: [ids.siteA], cameraIds: [ids.loose] },
      playback: { siteIds: [], cameraIds: [ids.b1] },
      search: { siteIds: [ids.siteA], cameraIds: [] },
    };
    const set = await sys.api(`/api/users/${analyst.id}`, { token: admin, method: 'PATCH', body: { cameraAccess: access } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.cameraAccess).toEqual(access);
    analyst.token = await sys.login('east.analyst', 'east-analyst-1');
    free = await sys.login('all.analyst', 'all-analyst-11');
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await sys?.stop();
  });

  it('is every camera by default, and its changes are audited', async () => {
    const users = (await sys.api('/api/users?limit=100', { token: admin })).body.items as Array<{ username: string; cameraAccess: CameraAccess }>;
    expect(users.find((u) => u.username === 'all.analyst')!.cameraAccess).toEqual({ live: null, playback: null, search: null });
    const audit = (await sys.api('/api/audit?action=user.access_change', { token: admin })).body.items as Array<{ targetId: string; detail: { to: CameraAccess } }>;
    expect(audit.find((e) => e.targetId === analyst.id)?.detail.to.search).toEqual({ siteIds: [ids.siteA], cameraIds: [] });
  });

  it('refuses bad access: unknown fields and ids that are not ids', async () => {
    const bad = await sys.api(`/api/users/${analyst.id}`, { token: admin, method: 'PATCH', body: { cameraAccess: { live: { siteIds: ['east'] } } } });
    expect(bad.status).toBe(400);
    const extra = await sys.api(`/api/users/${analyst.id}`, { token: admin, method: 'PATCH', body: { cameraAccess: { record: null } } });
    expect(extra.status).toBe(400);
  });

  it('lets live view open only the cameras of its scope', async () => {
    const refused = await sys.api(`/api/live/${ids.b1}/viewers`, { token: analyst.token, method: 'POST', body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('西区一号');
    // Allowed cameras get past the access check (then refused for being disabled: 409).
    for (const id of [ids.a1, ids.loose]) {
      const allowed = await sys.api(`/api/live/${id}/viewers`, { token: analyst.token, method: 'POST', body: {} });
      expect(allowed.status, id).toBe(409);
    }
    expect((await sys.api(`/api/live/${ids.b1}/viewers`, { token: free, method: 'POST', body: {} })).status).toBe(409);
  });

  it('lets playback list and play only the cameras of its scope', async () => {
    const range = 'from=2026-11-21T09:00:00Z&to=2026-11-21T11:00:00Z';
    expect((await sys.api(`/api/cameras/${ids.a1}/recordings?${range}`, { token: analyst.token })).status).toBe(403);
    expect((await sys.api(`/api/cameras/${ids.b1}/recordings?${range}`, { token: analyst.token })).status).toBe(200);
    expect((await sys.api(`/api/cameras/${ids.a1}/recordings?${range}`, { token: free })).status).toBe(200);

    const dir = join(sys.dataDir, 'recordings', ids.a1);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, '20261121T100000.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=5:duration=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
    const repo = new RecordingsRepository(sys.argus.database.db);
    await repo.add({ cameraId: ids.a1, startedAt: new Date('2026-11-21T10:00:00Z'), endedAt: new Date('2026-11-21T10:00:01Z'), path: file, bytes: readFileSync(file).length });
    const [segment] = await repo.listForCamera(ids.a1, new Date('2026-11-21T09:00:00Z'), new Date('2026-11-21T11:00:00Z'));
    const play = (token: string) => fetch(`${sys.baseUrl}/api/recordings/${segment!.id}/media`, { headers: { authorization: `Bearer ${token}` } });
    const refused = await play(analyst.token);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('东区一号');
    const played = await play(free);
    expect(played.status).toBe(200);
    await played.arrayBuffer();
  });

  it('searches, shows and pushes only the sightings of the cameras of its scope', async () => {
    const me = connect(sys.baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token: analyst.token }, reconnection: false, forceNew: true });
    const all = connect(sys.baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token: free }, reconnection: false, forceNew: true });
    sockets.push(me, all);
    const pushed = { me: [] as string[], all: [] as string[] };
    me.on('sighting.created', (s) => pushed.me.push(s.cameraId));
    all.on('sighting.created', (s) => pushed.all.push(s.cameraId));
    await Promise.all([me, all].map((s) => new Promise<void>((resolve, reject) => (s.connected ? resolve() : (s.once('connect', () => resolve()), s.once('connect_error', reject))))));
    const record = (cameraId: string, text: string): Promise<Sighting> =>
      sys.argus.services.sightings.record({ cameraId, observedAt: new Date(), kind: 'plate', score: 0.9, plate: { text, colour: 'blue', layers: 1 } });
    // Retry until the scoped socket's rooms are in place (joined asynchronously after the connection).
    await expect
      .poll(async () => {
        await record(ids.a1, '沪A10001');
        return pushed.me.length;
      }, { timeout: 10_000, interval: 300 })
      .toBeGreaterThan(0);
    const bSighting = await record(ids.b1, '沪B20002');
    const looseSighting = await record(ids.loose, '沪C30003');
    await expect.poll(() => pushed.all.filter((c) => c === ids.loose).length).toBe(1);
    expect(pushed.all).toContain(ids.b1);
    expect(new Set(pushed.me)).toEqual(new Set([ids.a1]));

    const mine = (await sys.api('/api/sightings?limit=100', { token: analyst.token })).body.items as Sighting[];
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((s) => s.cameraId))).toEqual(new Set([ids.a1]));
    const everyone = (await sys.api('/api/sightings?limit=100', { token: free })).body.items as Sighting[];
    expect(new Set(everyone.map((s) => s.cameraId))).toEqual(new Set([ids.a1, ids.b1, ids.loose]));
    const asked = await sys.api(`/api/sightings?cameraIds=${ids.b1}`, { token: analyst.token });
    expect(asked.status).toBe(403);
    expect((await sys.api(`/api/sightings/${bSighting.id}`, { token: analyst.token })).status).toBe(403);
    expect((await sys.api(`/api/sightings/${looseSighting.id}`, { token: free })).status).toBe(200);
    const trajectory = (await sys.api(`/api/sightings/trajectory?plate=${encodeURIComponent('沪B20002')}`, { token: analyst.token })).body as { points: unknown[] };
    expect(trajectory.points).toEqual([]);
    const theirs = (await sys.api(`/api/sightings/trajectory?plate=${encodeURIComponent('沪B20002')}`, { token: free })).body as { points: unknown[] };
    expect(theirs.points).toHaveLength(1);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const stats = await sys.api(`/api/sightings/stats?from=${from}&to=${to}`, { token: analyst.token });
    expect(stats.status, JSON.stringify(stats.body)).toBe(200);
    expect((stats.body as { byCamera: Array<{ cameraId: string }> }).byCamera.map((c) => c.cameraId)).toEqual([ids.a1]);
  });

  it('applies a change at once, without signing in again', async () => {
    const widen = await sys.api(`/api/users/${analyst.id}`, { token: admin, method: 'PATCH', body: { cameraAccess: { live: null, playback: null, search: null } } });
    expect(widen.status).toBe(200);
    expect((await sys.api(`/api/live/${ids.b1}/viewers`, { token: analyst.token, method: 'POST', body: {} })).status).toBe(409);
    const mine = (await sys.api('/api/sightings?limit=100', { token: analyst.token })).body.items as Sighting[];
    expect(new Set(mine.map((s) => s.cameraId))).toEqual(new Set([ids.a1, ids.b1, ids.loose]));
  });
});
