import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsStats } from '../../../analytics/analytics.role.ts';
import type { Sighting } from '../../../contracts/sightings.ts';
import { makePlateClip, MODELS_DIR, type PlateClip } from '../../helpers/plate-clip.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

/**
 * The whole live path: a `file:` camera (a real H.264 clip of two vehicles passing, composed from
 * real plate photos) pulled by ingest → decoded frames → analytics worker threads (real ONNX
 * models) → tracker → exactly one stored plate sighting per vehicle, with evidence images, pushed
 * to the screens over the socket.
 */
describe('live analytics: one sighting per vehicle', () => {
  const vehicles = [
    { image: 'plates/scenes/hyperlpr_test_img.jpg', text: '苏ED51712' },
    { image: 'plates/scenes/single_yellow.jpg', text: '皖K66666' },
  ];
  let dir: string;
  let clip: PlateClip;
  let sys: TestSystem;
  let token: string;
  let socket: Socket;
  const pushed: Array<{ event: string; sighting: Sighting }> = [];
  let statsWhileRunning: AnalyticsStats | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argus-plates-'));
    clip = await makePlateClip(dir, vehicles);
    sys = await startTestSystem({
      config: {
        roles: ['api', 'worker', 'ingest', 'analytics'],
        modelsDir: MODELS_DIR,
        // One analysis thread: the integration tier runs two test files at once on this 2-core machine.
        analytics: { workers: 1 },
        relay: { enabled: false },
        ingest: { roundSeconds: 1, leaseSeconds: 5, recording: { enabled: false }, analytics: { fps: 5, width: 1280 } },
      },
    });
    token = await sys.login(sys.admin.username, sys.admin.password);
    socket = connect(sys.baseUrl, { transports: ['websocket'], auth: { token }, forceNew: true });
    socket.on('sighting.created', (s: Sighting) => pushed.push({ event: 'created', sighting: s }));
    socket.on('sighting.updated', (s: Sighting) => pushed.push({ event: 'updated', sighting: s }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
  }, 180_000);

  afterAll(async () => {
    socket?.disconnect();
    await sys?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function plateSightings(): Promise<Sighting[]> {
    const res = await sys.api('/api/sightings?kind=plate&limit=100', { token });
    expect(res.status).toBe(200);
    return res.body.items as Sighting[];
  }

  it('stores exactly one final plate sighting per passing vehicle, with its evidence', async () => {
    const created = await sys.api('/api/cameras', { token, body: { name: 'Checkpoint clip', sourceKind: 'file', sourceUrl: `file://${clip.path}` } });
    expect(created.status).toBe(201);
    const cameraId = created.body.id as string;
    // Plates only (this test is about plates), and small plates allowed: the first vehicle's plate is ~60 px wide.
    const settings = await sys.api(`/api/cameras/${cameraId}/analytics`, { token, method: 'PUT', body: { pipelines: ['plates'], minPlateWidth: 40, fps: 5 } });
    expect(settings.status).toBe(200);

    // Both vehicles have passed (and their tracks ended) well before the clip loops at clip.durationSeconds.
    const deadline = Date.now() + 60_000;
    let finals: Sighting[] = [];
    while (Date.now() < deadline) {
      finals = (await plateSightings()).filter((s) => s.stage === 'final');
      if (vehicles.every((v) => finals.some((s) => s.plate?.text === v.text))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    statsWhileRunning = sys.argus.analytics?.stats() ?? null;
    // Stop the camera before the clip starts over (the same vehicles would pass again).
    await sys.api(`/api/cameras/${cameraId}`, { token, method: 'PATCH', body: { enabled: false } });
    await new Promise((r) => setTimeout(r, 2500));

    const all = (await plateSightings()).filter((s) => s.cameraId === cameraId);
    for (const v of vehicles) {
      const mine = all.filter((s) => s.plate?.text === v.text);
      expect(mine, `sightings of ${v.text}: ${JSON.stringify(all.map((s) => [s.plate?.text, s.stage]))}`).toHaveLength(1);
      expect(mine[0]!.stage).toBe('final');
      expect(mine[0]!.trackId).toBeTruthy();
      // Evidence: the crop and the full frame are real JPEGs served by the API.
      for (const url of [mine[0]!.cropUrl, mine[0]!.frameUrl]) {
        expect(url).toBeTruthy();
        const res = await fetch(`${sys.baseUrl}${url}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      }
    }
    // Nothing else was read off the clip (no misread of a plate entering or leaving the frame).
    expect(all.map((s) => s.plate?.text).sort()).toEqual(vehicles.map((v) => v.text).sort());
    // Each sighting was pushed to the screens, after it was stored.
    for (const s of all) expect(pushed.some((p) => p.sighting.id === s.id)).toBe(true);
  }, 120_000);

  it('reports frames analysed and dropped per camera', () => {
    expect(statsWhileRunning).toBeTruthy();
    const cam = statsWhileRunning!.cameras[0]!;
    expect(cam.analysed).toBeGreaterThan(10);
    expect(cam.received).toBeGreaterThanOrEqual(cam.analysed + cam.dropped + cam.skipped);
  });
});
