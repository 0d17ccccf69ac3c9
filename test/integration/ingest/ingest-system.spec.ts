import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraStatusEvent } from '../../../contracts/events.ts';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

/**
 * The ingest role inside a running Argus: cameras added through the API are pulled from a real RTSP
 * server, their health is stored and pushed, and a camera that dies goes offline and comes back.
 */
describe('ingest in a running system', () => {
  let sys: TestSystem;
  let cam: RtspCamera;
  let token: string;
  let socket: Socket;
  const events: CameraStatusEvent[] = [];

  beforeAll(async () => {
    cam = await startRtspCamera({ mounts: [{ path: 'gate', source: { kind: 'pattern' }, width: 320, height: 180, fps: 10 }], user: 'viewer', password: 'rtsp-pw-1' });
    sys = await startTestSystem({
      config: {
        roles: ['api', 'worker', 'ingest'],
        relay: { enabled: false },
        ingest: { roundSeconds: 1, leaseSeconds: 5, backoffSeconds: [0.5, 1, 2], recording: { enabled: true, segmentSeconds: 10 } },
      },
    });
    token = await sys.login(sys.admin.username, sys.admin.password);
    socket = connect(sys.baseUrl, { transports: ['websocket'], auth: { token }, forceNew: true });
    socket.on('camera.status', (e: CameraStatusEvent) => events.push(e));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
  });
  afterAll(async () => {
    socket?.disconnect();
    await sys?.stop();
    await cam?.stop();
  });

  async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const statusOf = async (id: string) => (await sys.api(`/api/cameras/${id}`, { token })).body as { status: string; statusReason: string | null };

  it('pulls a camera added through the API, and stores and pushes that it is online', async () => {
    const created = await sys.api('/api/cameras', { token, body: { name: 'Gate', sourceKind: 'rtsp', sourceUrl: cam.url('gate') } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor('online', async () => (await statusOf(id)).status === 'online', 15_000);
    expect(events.some((e) => e.cameraId === id && e.status === 'online')).toBe(true);
  });

  it('says why a camera with the wrong password is offline', async () => {
    const created = await sys.api('/api/cameras', { token, body: { name: 'Wrong pw', sourceKind: 'rtsp', sourceUrl: cam.plainUrl('gate'), username: 'viewer', password: 'nope' } });
    const id = created.body.id;
    const s = await waitFor('offline', async () => {
      const st = await statusOf(id);
      return st.status === 'offline' && st;
    }, 15_000);
    expect(s.statusReason).toMatch(/wrong user name or password/);
    // Disabling it stops the attempts; the process keeps running.
    await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { enabled: false } });
  });

  it('marks a camera offline within 10 s when its server dies, and online again within 15 s of its return', async () => {
    const list = (await sys.api('/api/cameras', { token })).body.items as Array<{ id: string; name: string }>;
    const id = list.find((c) => c.name === 'Gate')!.id;
    cam.kill();
    const killedAt = Date.now();
    await waitFor('offline', async () => (await statusOf(id)).status === 'offline', 10_000);
    const offlineAfter = Date.now() - killedAt;
    await cam.restart();
    const back = Date.now();
    await waitFor('online again', async () => (await statusOf(id)).status === 'online', 15_000);
    expect(offlineAfter).toBeLessThan(10_000);
    expect(Date.now() - back).toBeLessThan(15_000);
    expect((await sys.api('/api/health')).status).toBe(200);
  });

  it('indexes finished recording segments for playback', async () => {
    const list = (await sys.api('/api/cameras', { token })).body.items as Array<{ id: string; name: string }>;
    const id = list.find((c) => c.name === 'Gate')!.id;
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const items = await waitFor(
      'a recorded segment',
      async () => {
        const r = await sys.api(`/api/cameras/${id}/recordings?from=${from}&to=${to}`, { token });
        return r.body.items.length > 0 && r.body.items;
      },
      45_000,
    );
    const media = await fetch(`${sys.baseUrl}/api/recordings/${items[0].id}/media`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=0-7' } });
    expect(media.status).toBe(206);
    // An MP4 file starts with a box whose type is ftyp.
    expect(Buffer.from(await media.arrayBuffer()).subarray(4, 8).toString('latin1')).toBe('ftyp');
  }, 60_000);
});
