import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

/** Live video wiring in a running Argus: ingest feeds the Janus relay, the API hands out offers. */
describe('live video in a running system', () => {
  let sys: TestSystem;
  let cam: RtspCamera;
  let token: string;
  beforeAll(async () => {
    cam = await startRtspCamera({ mounts: [{ path: 'live', source: { kind: 'pattern' }, width: 320, height: 180, fps: 10 }] });
    sys = await startTestSystem({
      config: { roles: ['api', 'worker', 'ingest'], relay: { enabled: true }, ingest: { roundSeconds: 1, recording: { enabled: false } } },
    });
    token = await sys.login(sys.admin.username, sys.admin.password);
  });
  afterAll(async () => {
    await sys?.stop();
    await cam?.stop();
  });

  it('offers a viewer of a pulled camera with loopback-only candidates, and audits it', async () => {
    const id = (await sys.api('/api/cameras', { token, body: { name: 'Live', sourceKind: 'rtsp', sourceUrl: cam.url('live') } })).body.id;
    const deadline = Date.now() + 20_000;
    let offer: { status: number; body: any } = { status: 0, body: null };
    while (Date.now() < deadline) {
      offer = await sys.api(`/api/live/${id}/viewers`, { token, method: 'POST', body: {} });
      if (offer.status === 201) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    expect(offer.body).toMatchObject({ cameraId: id, type: 'offer', viewerId: expect.any(String) });
    const candidates = (offer.body.sdp as string).split(/\r?\n/).filter((l) => l.startsWith('a=candidate'));
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) expect(c.split(' ')[4]).toBe('127.0.0.1');
    expect((await sys.api(`/api/live/viewers/${offer.body.viewerId}`, { token, method: 'DELETE' })).status).toBe(204);
    const audit = await sys.api('/api/audit?action=live.open', { token });
    expect(audit.body.items[0]).toMatchObject({ targetId: id, username: sys.admin.username });
  });

  it('refuses a viewer for an unknown camera and without login', async () => {
    expect((await sys.api('/api/live/00000000-0000-4000-8000-000000000000/viewers', { token, method: 'POST', body: {} })).status).toBe(404);
    expect((await sys.api('/api/live/00000000-0000-4000-8000-000000000000/viewers', { method: 'POST', body: {} })).status).toBe(401);
  });
});
