/**
 * Live video in a real browser: Debian's Chromium (playwright-core) opens a page of a Fastify server of
 * our own on 127.0.0.1 that has the live routes, asks the API for a viewer, answers the relay's offer
 * after gathering ICE, posts the answer, and decodes the H.264 that ffmpeg sends into a real Janus.
 * All WebRTC traffic stays on 127.0.0.1. Started inside the first test, so a missing Chromium, Janus or
 * ffmpeg fails the tests with the reason; nothing is skipped.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ZodApp } from '../../command-ui/server/routes/types.ts';
import type { ArgusDatabase } from '../../storage/database.ts';
import { AuditRepository } from '../../storage/repositories/audit.repository.ts';
import { eventually, pushTestVideo, sdpAddresses, startTestRelay, type TestRelay, type TestVideo } from '../integration/relay/relay-helpers.ts';
import { openTestPglite } from '../integration/storage/db-helpers.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.ts';
import { startLiveApp } from './live-app.ts';

/**
 * The usual headless flags, plus: local addresses in getStats instead of mDNS names (to check the
 * pair in use). No flag limits the interfaces Chromium gathers on; its host candidates are dropped by
 * the relay before Janus sees them, so Janus (bound to 127.0.0.1 only) never sends to them.
 */
const LIVE_CHROMIUM_ARGS = [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required', '--disable-features=WebRtcHideLocalIpsWithMdns'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>Argus live test</title><video id="v" autoplay muted playsinline width="640" height="360"></video>`;

interface Setup {
  relay: TestRelay;
  video: TestVideo;
  adb: ArgusDatabase;
  app: ZodApp;
  baseUrl: string;
  browser: Browser;
  token: string;
  cameraId: string;
  audit: AuditRepository;
}

let started: Promise<Setup> | undefined;
const pages: Page[] = [];

function ready(): Promise<Setup> {
  return (started ??= (async () => {
    try {
      accessSync(CHROMIUM_PATH, constants.X_OK);
    } catch {
      throw new Error(`Chromium is required for the browser tests and was not found at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\`.`);
    }
    const adb = await openTestPglite();
    const relay = await startTestRelay();
    const { app, baseUrl, token, cameras, audit } = await startLiveApp(adb, relay, PAGE);
    const cameraId = (await cameras.create({ name: 'Test pattern', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/test' })).id;
    const input = await relay.relay.ensureCamera(cameraId);
    const video = pushTestVideo(input.rtpPort);

    // RTP must be arriving before a viewer can see anything.
    await eventually(
      async () => {
        const m = (await relay.relay.listMountpoints()).find((x) => x.id === input.mountpointId);
        return m && m.videoAgeMs !== null && m.videoAgeMs < 300;
      },
      10_000,
      `RTP from ffmpeg (${video.stderr()})`,
    );
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LIVE_CHROMIUM_ARGS });
    return { relay, video, adb, app, baseUrl, browser, token, cameraId, audit };
  })());
}

afterEach(async () => {
  while (pages.length) await pages.pop()!.context().close();
});
afterAll(async () => {
  const s = await started?.catch(() => undefined);
  if (!s) return;
  await s.browser.close();
  await s.app.close();
  await s.video.stop();
  await s.relay.stop();
  await s.adb.close();
});

async function openPage(s: Setup): Promise<Page> {
  const context = await s.browser.newContext();
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${s.baseUrl}/live-test`);
  return page;
}

interface PlayResult {
  viewerId: string;
  offerSdp: string;
  answerSdp: string;
  answerStatus: number;
  msToFirstFrame: number | null;
  msAnswerToFirstFrame: number | null;
  framesDecoded: number;
  frameWidth: number | null;
  frameHeight: number | null;
  pair: { local: string | null; localType: string | null; remote: string | null } | null;
  remoteCandidates: string[];
  localCandidates: string[];
}

/** In the page: open a viewer through the API, answer it, and watch until enough frames are decoded. */
async function play(page: Page, s: Setup, framesWanted: number, timeoutMs: number): Promise<PlayResult> {
  return page.evaluate(
    async ({ cameraId, token, framesWanted, timeoutMs }) => {
      const auth = { authorization: `Bearer ${token}` };
      const t0 = performance.now();
      const res = await fetch(`/api/live/${cameraId}/viewers`, { method: 'POST', headers: auth });
      if (res.status !== 201) throw new Error(`open viewer: ${res.status} ${await res.text()}`);
      const offer = (await res.json()) as { viewerId: string; type: 'offer'; sdp: string };
      const pc = new RTCPeerConnection({ iceServers: [] });
      (window as unknown as { pc: RTCPeerConnection; viewerId: string }).pc = pc;
      (window as unknown as { pc: RTCPeerConnection; viewerId: string }).viewerId = offer.viewerId;
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
      const answerSdp = pc.localDescription!.sdp;
      const tAnswer = performance.now();
      const answered = await fetch(`/api/live/viewers/${offer.viewerId}/answer`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'answer', sdp: answerSdp }),
      });

      let msToFirstFrame: number | null = null;
      let msAnswerToFirstFrame: number | null = null;
      let framesDecoded = 0;
      let frameWidth: number | null = null;
      let frameHeight: number | null = null;
      let pair: { local: string | null; localType: string | null; remote: string | null } | null = null;
      const remoteCandidates = new Set<string>();
      const localCandidates = new Set<string>();
      while (performance.now() - tAnswer < timeoutMs) {
        const stats = await pc.getStats();
        const byId = new Map<string, Record<string, unknown>>();
        stats.forEach((r: Record<string, unknown>) => byId.set(r.id as string, r));
        stats.forEach((r: Record<string, unknown>) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            framesDecoded = (r.framesDecoded as number) ?? 0;
            frameWidth = (r.frameWidth as number) ?? null;
            frameHeight = (r.frameHeight as number) ?? null;
          }
          if (r.type === 'remote-candidate') remoteCandidates.add(String(r.address ?? r.ip));
          if (r.type === 'local-candidate') localCandidates.add(`${String(r.address ?? r.ip)} ${String(r.candidateType)}`);
          if (r.type === 'transport' && r.selectedCandidatePairId) {
            const p = byId.get(r.selectedCandidatePairId as string);
            const local = p && byId.get(p.localCandidateId as string);
            const remote = p && byId.get(p.remoteCandidateId as string);
            pair = {
              local: local ? String(local.address ?? local.ip) : null,
              localType: local ? String(local.candidateType) : null,
              remote: remote ? String(remote.address ?? remote.ip) : null,
            };
          }
        });
        if (framesDecoded > 0 && msToFirstFrame === null) {
          msToFirstFrame = Math.round(performance.now() - t0);
          msAnswerToFirstFrame = Math.round(performance.now() - tAnswer);
        }
        if (framesDecoded > framesWanted) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return {
        viewerId: offer.viewerId,
        offerSdp: offer.sdp,
        answerSdp,
        answerStatus: answered.status,
        msToFirstFrame,
        msAnswerToFirstFrame,
        framesDecoded,
        frameWidth,
        frameHeight,
        pair,
        remoteCandidates: [...remoteCandidates],
        localCandidates: [...localCandidates],
      };
    },
    { cameraId: s.cameraId, token: s.token, framesWanted, timeoutMs },
  );
}

async function closeEntry(s: Setup, viewerId: string) {
  return eventually(
    async () => (await s.audit.list({ action: 'live.close' })).items.find((e) => (e.detail as { viewerId?: string }).viewerId === viewerId),
    10_000,
    `the live.close audit entry of ${viewerId}`,
  );
}

describe('live video in Chromium through the relay', () => {
  it('decodes the camera H.264 within 10 s over a 127.0.0.1 ↔ 127.0.0.1 ICE pair', async () => {
    const s = await ready();
    const page = await openPage(s);
    const r = await play(page, s, 10, 10_000);
    console.log(
      `[live] time to first decoded frame: ${r.msToFirstFrame} ms from opening the viewer (${r.msAnswerToFirstFrame} ms after the answer); ` +
        `${r.framesDecoded} frames ${r.frameWidth}x${r.frameHeight}; pair ${r.pair?.local} (${r.pair?.localType}) ↔ ${r.pair?.remote}; ` +
        `Chromium's own candidates: ${r.localCandidates.join(', ')}`,
    );
    expect(r.answerStatus).toBe(204);
    // Janus offers 127.0.0.1 only.
    const offered = sdpAddresses(r.offerSdp);
    expect(offered.candidates.length).toBeGreaterThan(0);
    expect([...offered.candidates, ...offered.connections].every((a) => a === '127.0.0.1')).toBe(true);
    // The pair media flows on, and everything the browser knows of the relay, is loopback.
    expect(r.pair).toEqual({ local: '127.0.0.1', localType: expect.any(String), remote: '127.0.0.1' });
    expect(r.remoteCandidates.length).toBeGreaterThan(0);
    expect(r.remoteCandidates.every((a) => a === '127.0.0.1')).toBe(true);
    // Real video: the test pattern's size, more than 10 frames.
    expect(r.framesDecoded).toBeGreaterThan(10);
    expect([r.frameWidth, r.frameHeight]).toEqual([640, 360]);
    expect(s.relay.relay.viewerCount()).toBe(1);

    // Closing through the API stops it and is audited.
    const status = await page.evaluate(async ({ token }) => {
      const w = window as unknown as { pc: RTCPeerConnection; viewerId: string };
      const res = await fetch(`/api/live/viewers/${w.viewerId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
      w.pc.close();
      return res.status;
    }, { token: s.token });
    expect(status).toBe(204);
    expect(s.relay.relay.viewerCount()).toBe(0);
    expect((await closeEntry(s, r.viewerId)).detail).toMatchObject({ reason: 'closed' });
  });

  it('closes the viewer at once when its page navigates away', async () => {
    const s = await ready();
    const page = await openPage(s);
    const r = await play(page, s, 3, 10_000);
    expect(r.framesDecoded).toBeGreaterThan(3);
    expect(s.relay.relay.viewerCount()).toBe(1);
    await page.goto('about:blank');
    await eventually(() => s.relay.relay.viewerCount() === 0, 5000, 'the relay to notice the page left');
    expect((await closeEntry(s, r.viewerId)).detail).toMatchObject({ reason: 'hangup' });
  });

  it('closes the viewer of a browser that vanished without hanging up, after the ICE consent checks fail (about a minute)', async () => {
    const s = await ready();
    const page = await openPage(s);
    const r = await play(page, s, 3, 10_000);
    expect(r.framesDecoded).toBeGreaterThan(3);
    // Closing the page kills its renderer: no DTLS alert, no request; only ICE checks can tell.
    const gone = Date.now();
    await page.context().close();
    pages.length = 0;
    await eventually(() => s.relay.relay.viewerCount() === 0, 90_000, 'the relay to notice the browser vanished');
    console.log(`[live] a vanished browser's viewer was closed after ${Math.round((Date.now() - gone) / 1000)} s`);
    expect((await closeEntry(s, r.viewerId)).detail).toMatchObject({ reason: 'hangup' });
  }, 120_000);
});
