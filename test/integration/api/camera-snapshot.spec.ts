/**
 * GET /api/cameras/:id/snapshot against a real Argus and a real RTSP camera on 127.0.0.1: without the
 * ingest role the picture is pulled from the camera itself (its stored, encrypted credentials put in),
 * the camera's current privacy masks laid over it; live access, unknown cameras, unreachable sources
 * and too many grabs at once get clear refusals; every picture served is audited. With the ingest role
 * and recording on, the picture comes from the newest recording.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraAccess } from '../../../contracts/access.ts';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { closedPort, decodeLuma, expectLeftHalfMasked } from '../../helpers/pictures.ts';

const W = 320;
const H = 180;
const CAM_USER = 'viewer';
const CAM_PASSWORD = 'cam-s3cret-pw';
const LEFT_HALF: Array<[number, number]> = [
  [0, 0],
  [0.5, 0],
  [0.5, 1],
  [0, 1],
];

interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function get(sys: TestSystem, path: string, token: string): Promise<Reply> {
  const res = await fetch(`${sys.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('camera snapshot from the camera (no ingest role)', () => {
  let sys: TestSystem;
  let cam: RtspCamera;
  let admin: string;
  /** A TCP server that accepts RTSP connections and never answers: grabs from it hang until their timeout. */
  let silent: Server;
  const silentSockets: Socket[] = [];
  const ids = { white: '', dead: '', silent: '' };

  beforeAll(async () => {
    cam = await startRtspCamera({ mounts: [{ path: 'white-snap', source: { kind: 'pattern', pattern: 'white' }, width: W, height: H, fps: 10 }], user: CAM_USER, password: CAM_PASSWORD });
    silent = createServer((socket) => silentSockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    sys = await startTestSystem();
    admin = await sys.login(sys.admin.username, sys.admin.password);
    const create = async (body: Record<string, unknown>) => {
      const res = await sys.api('/api/cameras', { token: admin, body: { enabled: false, ...body } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    ids.white = await create({ name: 'White gate', sourceKind: 'rtsp', sourceUrl: cam.plainUrl('white-snap'), username: CAM_USER, password: CAM_PASSWORD });
    ids.dead = await create({ name: 'Dead gate', sourceKind: 'rtsp', sourceUrl: `rtsp://127.0.0.1:${await closedPort()}/stream` });
    ids.silent = await create({ name: 'Silent gate', sourceKind: 'rtsp', sourceUrl: `rtsp://127.0.0.1:${(silent.address() as { port: number }).port}/stream` });
  });
  afterAll(async () => {
    for (const s of silentSockets) s.destroy();
    silent?.close();
    await sys?.stop();
    await cam?.stop();
  });

  it('answers a JPEG of the camera, pulled with its stored credentials, never cached', { timeout: 60_000 }, async () => {
    const res = await get(sys, `/api/cameras/${ids.white}/snapshot`, admin);
    expect(res.status, res.body.toString().slice(0, 300)).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect([res.body[0], res.body[1]]).toEqual([0xff, 0xd8]);
    const pic = await decodeLuma(res.body);
    expect([pic.width, pic.height]).toEqual([W, H]);
    for (const x of [0.1, 0.5, 0.9]) expect(pic.luma(x, 0.5)).toBeGreaterThanOrEqual(215);
  });

  it('lays the camera\'s current privacy masks over the picture', { timeout: 60_000 }, async () => {
    const patched = await sys.api(`/api/cameras/${ids.white}`, { token: admin, method: 'PATCH', body: { privacyMasks: [LEFT_HALF] } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const res = await get(sys, `/api/cameras/${ids.white}/snapshot`, admin);
    expect(res.status, res.body.toString().slice(0, 300)).toBe(200);
    const pic = await decodeLuma(res.body);
    expectLeftHalfMasked(pic);
  });

  it('refuses a user whose live access does not cover the camera (403), an unknown camera (404) and a bad id (400)', async () => {
    await sys.createUser({ username: 'snap.patrol', password: 'snap-patrol-1', roles: ['patrol'] });
    const users = (await sys.api('/api/users?limit=100', { token: admin })).body.items as Array<{ id: string; username: string }>;
    const patrolId = users.find((u) => u.username === 'snap.patrol')!.id;
    const access: CameraAccess = { live: { siteIds: [], cameraIds: [ids.dead] }, playback: null, search: null };
    const set = await sys.api(`/api/users/${patrolId}`, { token: admin, method: 'PATCH', body: { cameraAccess: access } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const patrol = await sys.login('snap.patrol', 'snap-patrol-1');

    const refused = await get(sys, `/api/cameras/${ids.white}/snapshot`, patrol);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body.toString()).error.message).toContain('White gate');
    expect((await get(sys, `/api/cameras/${randomUUID()}/snapshot`, admin)).status).toBe(404);
    expect((await get(sys, '/api/cameras/not-an-id/snapshot', admin)).status).toBe(400);
    const anonymous = await fetch(`${sys.baseUrl}/api/cameras/${ids.white}/snapshot`);
    expect(anonymous.status).toBe(401);
  });

  it('answers 503 with a plain message when the camera cannot be reached', { timeout: 30_000 }, async () => {
    const res = await get(sys, `/api/cameras/${ids.dead}/snapshot`, admin);
    expect(res.status).toBe(503);
    const body = JSON.parse(res.body.toString()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('E_UNAVAILABLE');
    expect(body.error.message).toMatch(/No picture from camera "Dead gate".*could not be reached.*Connection refused/);
  });

  it('takes at most two pictures at once: a third request is told the server is busy', { timeout: 60_000 }, async () => {
    const before = silentSockets.length;
    const hanging = [get(sys, `/api/cameras/${ids.silent}/snapshot`, admin), get(sys, `/api/cameras/${ids.silent}/snapshot`, admin)];
    await waitFor('two grabs connected to the silent camera', async () => silentSockets.length >= before + 2, 10_000);
    const third = await get(sys, `/api/cameras/${ids.white}/snapshot`, admin);
    expect(third.status).toBe(503);
    expect(JSON.parse(third.body.toString()).error.message).toMatch(/busy.*try again/);
    // The silent camera's grabs end with their socket timeout, and pictures are served again.
    for (const res of await Promise.all(hanging)) expect(res.status).toBe(503);
    expect((await get(sys, `/api/cameras/${ids.white}/snapshot`, admin)).status).toBe(200);
  });

  it('audits every picture served, with its source, and never the camera password', async () => {
    const res = await sys.api(`/api/audit?limit=1000&action=camera.snapshot&targetId=${ids.white}`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const items = res.body.items as Array<{ username: string; targetType: string; targetId: string; detail: Record<string, unknown> }>;
    // The first, the masked and the one after the busy refusal; refusals are not pictures served.
    expect(items).toHaveLength(3);
    for (const e of items) expect(e).toMatchObject({ username: sys.admin.username, targetType: 'camera', targetId: ids.white, detail: { source: 'camera' } });
    expect(JSON.stringify(res.body)).not.toContain(CAM_PASSWORD);
  });
});

describe('camera snapshot from a recording (ingest role, recording on)', () => {
  let sys: TestSystem;
  let cam: RtspCamera;
  let admin: string;

  beforeAll(async () => {
    cam = await startRtspCamera({ mounts: [{ path: 'white-rec', source: { kind: 'pattern', pattern: 'white' }, width: W, height: H, fps: 10 }] });
    sys = await startTestSystem({
      config: {
        roles: ['api', 'worker', 'ingest'],
        relay: { enabled: false },
        ingest: { roundSeconds: 1, leaseSeconds: 5, backoffSeconds: [0.5, 1, 2], recording: { enabled: true, segmentSeconds: 10 } },
      },
    });
    admin = await sys.login(sys.admin.username, sys.admin.password);
  });
  afterAll(async () => {
    await sys?.stop();
    await cam?.stop();
  });

  it('takes the picture from the newest recording, with the current masks laid over it', { timeout: 150_000 }, async () => {
    const created = await sys.api('/api/cameras', { token: admin, body: { name: 'Recorded gate', sourceKind: 'rtsp', sourceUrl: cam.url('white-rec') } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    await waitFor(
      'a recording of the camera',
      async () => {
        const from = new Date(Date.now() - 600_000).toISOString();
        const to = new Date(Date.now() + 60_000).toISOString();
        const res = await sys.api(`/api/cameras/${id}/recordings?from=${from}&to=${to}`, { token: admin });
        return res.status === 200 && (res.body.items as unknown[]).length > 0;
      },
      // A segment is indexed once the next one has begun: two segments of 10 s, and the index's pass.
      90_000,
    );
    // The recordings so far are unmasked (the masks are set only now); the picture has them all the same.
    const patched = await sys.api(`/api/cameras/${id}`, { token: admin, method: 'PATCH', body: { privacyMasks: [LEFT_HALF] } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const res = await get(sys, `/api/cameras/${id}/snapshot`, admin);
    expect(res.status, res.body.toString().slice(0, 300)).toBe(200);
    const pic = await decodeLuma(res.body);
    expect([pic.width, pic.height]).toEqual([W, H]);
    expect(pic.luma(0.25, 0.5)).toBeLessThanOrEqual(40);
    expect(pic.luma(0.75, 0.5)).toBeGreaterThanOrEqual(215);
    const audit = await sys.api(`/api/audit?limit=10&action=camera.snapshot&targetId=${id}`, { token: admin });
    expect(audit.body.items).toEqual([expect.objectContaining({ detail: { source: 'recording' } })]);
  });
});
