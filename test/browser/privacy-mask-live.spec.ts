/**
 * A masked camera live in a real browser: a real RTSP camera (a white picture), a stream session
 * with a privacy mask over the left half and a triangle, its encoded RTP into a real Janus, and
 * Debian's Chromium decoding it over WebRTC on 127.0.0.1 (as test/browser/live.spec.ts does for a
 * forwarded camera). The decoded picture, drawn into a canvas, must be black inside the polygons and
 * white outside: Janus and the browser start decoding x264's Constrained Baseline with in-band SPS/PPS.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { PrivacyMask } from '../../contracts/api.ts';
import { writePrivacyMask } from '../../ingest/stream/privacy-mask.ts';
import { StreamSession } from '../../ingest/stream/stream-session.ts';
import type { ArgusDatabase } from '../../storage/database.ts';
import { startRtspCamera, type RtspCamera } from '../helpers/rtsp-camera.ts';
import { eventually, startTestRelay, testLog, type TestRelay } from '../integration/relay/relay-helpers.ts';
import { openTestPglite } from '../integration/storage/db-helpers.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.ts';
import { startLiveApp } from './live-app.ts';

const LIVE_CHROMIUM_ARGS = [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'];
const PAGE = `<!doctype html><meta charset="utf-8"><title>Argus masked live test</title><video id="v" autoplay muted playsinline width="640" height="360"></video>`;

const MASKS: PrivacyMask[] = [
  [
    [0, 0],
    [0.5, 0],
    [0.5, 1],
    [0, 1],
  ],
  [
    [0.6, 0.1],
    [0.9, 0.1],
    [0.75, 0.6],
  ],
];
const HIDDEN: Array<[number, number]> = [
  [0.05, 0.05],
  [0.25, 0.5],
  [0.45, 0.95],
  [0.75, 0.2],
  [0.75, 0.45],
];
const VISIBLE: Array<[number, number]> = [
  [0.55, 0.5],
  [0.95, 0.05],
  [0.9, 0.7],
  [0.75, 0.9],
];

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

describe('a masked camera live in Chromium', () => {
  it('decodes the encoded relay through Janus, with the polygons black', { timeout: 120_000 }, async () => {
    try {
      accessSync(CHROMIUM_PATH, constants.X_OK);
    } catch {
      throw new Error(`Chromium is required for the browser tests and was not found at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\`.`);
    }
    const work = mkdtempSync(join(tmpdir(), 'argus-mask-live-'));
    cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
    const adb: ArgusDatabase = await openTestPglite();
    cleanups.push(() => adb.close());
    const relay: TestRelay = await startTestRelay();
    cleanups.push(() => relay.stop());
    const cam: RtspCamera = await startRtspCamera({ mounts: [{ path: 'white', source: { kind: 'pattern', pattern: 'white' }, width: 640, height: 360, fps: 10 }] });
    cleanups.push(() => cam.stop());

    const { app, baseUrl, token, cameras } = await startLiveApp(adb, relay, PAGE);
    cleanups.push(() => app.close());
    const cameraId = (await cameras.create({ name: 'Masked', sourceKind: 'rtsp', sourceUrl: cam.url('white'), privacyMasks: MASKS })).id;
    const input = await relay.relay.ensureCamera(cameraId);

    const maskFile = await writePrivacyMask(work, cameraId, MASKS);
    const session = new StreamSession({
      cameraId,
      url: cam.url('white'),
      transport: 'tcp',
      relay: { rtpPort: input.rtpPort, host: input.rtpHost },
      // Recording too: relay and recording then share one encode (the tee muxer), as a masked camera's do.
      recording: { dir: join(work, 'recordings'), segmentSeconds: 10 },
      frames: null,
      frameSink: null,
      mask: { file: maskFile! },
      healthIntervalSeconds: 0,
      log: testLog,
    });
    session.start();
    cleanups.push(() => session.stop());

    await eventually(
      async () => {
        const m = (await relay.relay.listMountpoints()).find((x) => x.id === input.mountpointId);
        return m && m.videoAgeMs !== null && m.videoAgeMs < 500;
      },
      45_000,
      'encoded RTP from the masked session at the relay',
    );

    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LIVE_CHROMIUM_ARGS });
    cleanups.push(() => browser.close());
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${baseUrl}/live-test`);

    const result = await page.evaluate(
      async ({ cameraId, token, hidden, visible }) => {
        const headers = { authorization: `Bearer ${token}` };
        const res = await fetch(`/api/live/${cameraId}/viewers`, { method: 'POST', headers });
        if (res.status !== 201) throw new Error(`open viewer: ${res.status} ${await res.text()}`);
        const offer = (await res.json()) as { viewerId: string; sdp: string };
        const pc = new RTCPeerConnection({ iceServers: [] });
        const video = document.getElementById('v') as HTMLVideoElement;
        pc.ontrack = (e) => {
          video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        };
        await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await new Promise<void>((resolve) => {
          if (pc.iceGatheringState === 'complete') return resolve();
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        });
        await fetch(`/api/live/viewers/${offer.viewerId}/answer`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'answer', sdp: pc.localDescription!.sdp }),
        });
        const t0 = performance.now();
        while (performance.now() - t0 < 30_000 && (video.readyState < 2 || video.videoWidth === 0)) await new Promise((r) => setTimeout(r, 50));
        // A few frames in, past the first key frame's decode.
        await new Promise((r) => setTimeout(r, 500));
        const w = video.videoWidth;
        const h = video.videoHeight;
        if (!w || !h) return { w, h, hidden: [], visible: [], msToPicture: null };
        const canvas = document.createElement('canvas');
        canvas.width = w;
        canvas.height = h;
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(video, 0, 0, w, h);
        const rgb = ([x, y]: [number, number]) => [...ctx.getImageData(Math.floor(x * w), Math.floor(y * h), 1, 1).data.slice(0, 3)];
        return { w, h, hidden: hidden.map((p) => ({ p, rgb: rgb(p) })), visible: visible.map((p) => ({ p, rgb: rgb(p) })), msToPicture: Math.round(performance.now() - t0) };
      },
      { cameraId, token, hidden: HIDDEN, visible: VISIBLE },
    );
    console.log(`[mask-live] picture ${result.w}x${result.h} decoded in Chromium ${result.msToPicture} ms after the answer`);
    expect([result.w, result.h]).toEqual([640, 360]);
    expect(result.hidden).toHaveLength(HIDDEN.length);
    expect(result.hidden.filter((v) => v.rgb.some((c) => c > 24))).toEqual([]);
    expect(result.visible.filter((v) => v.rgb.some((c) => c < 200))).toEqual([]);
  });
});
