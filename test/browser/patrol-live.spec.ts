/**
 * Live video of the dispatch's nearby cameras on the patrol tablet, in a real browser against a real
 * Argus: two real RTSP cameras (GStreamer, H.264) near the incident, pulled by the ingest role,
 * relayed by Janus and decoded by Chromium over WebRTC, all on 127.0.0.1. The tablet plays one
 * camera at a time, the nearest first; a tap on another camera switches the player (the relay then
 * holds exactly one viewer, of that camera); stop closes the viewer and play opens it again; the
 * player goes full screen and back; clearing the dispatch removes the player and its viewer.
 * The player is read through its data attributes (`data-state`, `data-camera-id`,
 * `data-frames-decoded`), the server through its viewer counts and the audit log.
 *
 * Started inside the first test (not in a hook), so a missing Chromium, GStreamer, Janus or Redis
 * fails the test with the reason; nothing is skipped.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry, Camera } from '../../contracts/api.ts';
import type { Incident, Unit } from '../../contracts/incidents.ts';
import { startRtspCamera, type RtspCamera } from '../helpers/rtsp-camera.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';
import { EAST_475M, NORTH_111M, SQUARE } from '../helpers/places.ts';

const officer = { username: 'pat.live', password: 'patrol-pass-1' };

/**
 * Live video needs the ingest role (pulls the cameras) and the relay; the test defaults have neither.
 * Positions stay current for the whole file.
 */
const LIVE_CONFIG = {
  roles: ['api', 'worker', 'ingest'],
  relay: { enabled: true },
  ingest: { roundSeconds: 1, recording: { enabled: false } },
  dispatch: { staleAfterSeconds: 3600, acceptWithinSeconds: 600 },
};

let sys: TestSystem;
let rtsp: RtspCamera | undefined;
let adminToken: string;
let officerId: string;
let unit: Unit;
const cameras = { square: '', east: '' };

const post = <T>(path: string, body: unknown, token = adminToken): Promise<T> => sys.apiOk<T>(path, { token, body });

const fixture = browserFixture(async (started) => {
  sys = started;
  rtsp = await startRtspCamera({
    mounts: [
      { path: 'square', source: { kind: 'pattern' } },
      { path: 'east', source: { kind: 'pattern' } },
    ],
  });
  await sys.createUser({ ...officer, roles: ['patrol'], displayName: '孙警官' });
  adminToken = await sys.login(sys.admin.username, sys.admin.password);
  const users = (await sys.api('/api/users', { token: adminToken })).body;
  const list = (Array.isArray(users) ? users : users.items) as Array<{ id: string; username: string }>;
  officerId = list.find((u) => u.username === officer.username)!.id;
  unit = await post<Unit>('/api/units', { callSign: '沪A-401', kind: 'patrol_car', userIds: [officerId] });
  cameras.square = (await post<Camera>('/api/cameras', { name: '人民广场 北口', sourceKind: 'rtsp', sourceUrl: rtsp.url('square'), ...SQUARE })).id;
  cameras.east = (await post<Camera>('/api/cameras', { name: '西藏中路 东口', sourceKind: 'rtsp', sourceUrl: rtsp.url('east'), ...EAST_475M })).id;
  // Both are pulled by ingest and reported online before any dispatch is made.
  await expect
    .poll(async () => Promise.all([cameras.square, cameras.east].map(async (id) => ((await sys.api(`/api/cameras/${id}`, { token: adminToken })).body as Camera).status)), { timeout: 60_000, interval: 500 })
    .toEqual(['online', 'online']);
}, { config: LIVE_CONFIG });

afterEach(() => fixture.closePages());
afterAll(async () => {
  await fixture.stop();
  await rtsp?.stop();
});

/**
 * How long the server's viewers may take to settle: a viewer the page gave up while it was being
 * opened (React's StrictMode mounts effects twice in the development build the tests serve) is closed
 * as soon as its offer arrives, which takes a moment on a loaded machine. A viewer that was answered
 * (streaming) and not closed is never dropped by the relay and fails the checks.
 */
const SETTLE_MS = 15_000;

/** Viewers the server holds: the API's (LiveService) and the relay's own (Janus). */
const viewerCounts = () => ({ api: sys.argus.services.live.viewerCount(), relay: sys.argus.media.relay.viewerCount() });

/** The cameras of the officer's viewers still open, by the audit log (opened and not yet closed). */
async function openViewerCameras(): Promise<string[]> {
  const read = async (action: string) => ((await sys.api(`/api/audit?action=${action}&userId=${officerId}&limit=1000`, { token: adminToken })).body as { items: AuditEntry[] }).items;
  const closed = new Set((await read('live.close')).map((e) => (e.detail as { viewerId?: string }).viewerId));
  return (await read('live.open')).filter((e) => !closed.has((e.detail as { viewerId?: string }).viewerId)).map((e) => e.targetId!);
}

const player = (page: Page) => page.getByTestId('patrol-live');
const framesDecoded = async (page: Page) => Number(await player(page).getAttribute('data-frames-decoded'));

/** The player shows `cameraId` playing, and its decoded-frame counter moves on. */
async function expectPlaying(page: Page, cameraId: string): Promise<void> {
  expect(await player(page).getAttribute('data-camera-id')).toBe(cameraId);
  await expect.poll(() => player(page).getAttribute('data-state'), { timeout: 60_000, interval: 250 }).toBe('playing');
  expect(await player(page).getAttribute('data-camera-id')).toBe(cameraId);
  const first = await framesDecoded(page);
  expect(first).toBeGreaterThan(0);
  await expect.poll(() => framesDecoded(page), { timeout: 10_000, interval: 250 }).toBeGreaterThan(first);
  // The server holds one viewer for this tablet, of this camera. (Up to SETTLE_MS: see there.)
  await expect.poll(openViewerCameras, { timeout: SETTLE_MS, interval: 500 }).toEqual([cameraId]);
  await expect.poll(viewerCounts, { timeout: 5000, interval: 250 }).toEqual({ api: 1, relay: 1 });
}

describe('patrol tablet: live video of the dispatch’s cameras', () => {
  it('plays the nearest camera, switches on a tap, stops and plays again, goes full screen, and closes when the dispatch is cleared', async () => {
    const { page, pageErrors } = await fixture.open({ geolocation: { ...NORTH_111M, accuracy: 8 }, viewport: { width: 800, height: 1280 } });
    await signIn(page, sys.baseUrl, officer);
    await page.locator('[data-screen=patrol]').click();
    await page.getByTestId('patrol-screen').waitFor();
    expect(await page.getByTestId('patrol-live').count()).toBe(0);
    expect(viewerCounts()).toEqual({ api: 0, relay: 0 });

    const incident = await post<Incident>('/api/incidents', { type: 'fight', priority: 'P2', source: 'call', location: SQUARE, address: '人民广场' });
    await post(`/api/incidents/${incident.id}/dispatches`, { unitIds: [unit.id] });

    // The nearest camera plays by itself; the list below it, nearest first, marks it.
    const cams = page.getByTestId('patrol-cameras');
    await expect.poll(() => cams.locator('li[data-camera-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-camera-id'))), { timeout: 15_000 }).toEqual([cameras.square, cameras.east]);
    await player(page).waitFor();
    await expectPlaying(page, cameras.square);
    expect(await page.getByTestId('patrol-live-name').innerText()).toBe('人民广场 北口');
    expect(await player(page).locator('.patrol-live-distance').innerText()).toBe('0 m');
    const video = player(page).locator('video');
    expect(await video.evaluate((v: HTMLVideoElement) => ({ muted: v.muted, playsInline: v.playsInline, autoplay: v.autoplay, live: v.srcObject instanceof MediaStream }))).toEqual({
      muted: true,
      playsInline: true,
      autoplay: true,
      live: true,
    });
    const row = (id: string) => cams.locator(`li[data-camera-id="${id}"]`);
    expect(await row(cameras.square).getAttribute('data-active')).toBe('true');
    expect(await row(cameras.east).getAttribute('data-active')).toBe('false');
    expect(await row(cameras.east).innerText()).toContain('475 m');
    // Touch-sized: each camera is a button at least 44 px high.
    expect((await row(cameras.east).getByTestId('patrol-camera-pick').boundingBox())!.height).toBeGreaterThanOrEqual(44);
    // The wall and playback links are still there.
    expect(await row(cameras.east).locator('a[href*="wall"]').count()).toBe(1);
    expect(await row(cameras.east).locator('a[href*="playback"]').count()).toBe(1);

    // A tap on the second camera switches the player to it; the first viewer is closed.
    await row(cameras.east).getByTestId('patrol-camera-pick').click();
    await expect.poll(() => player(page).getAttribute('data-camera-id')).toBe(cameras.east);
    await expectPlaying(page, cameras.east);
    expect(await row(cameras.east).getByTestId('patrol-camera-pick').getAttribute('aria-pressed')).toBe('true');
    expect(await row(cameras.square).getByTestId('patrol-camera-pick').getAttribute('aria-pressed')).toBe('false');
    expect(await page.getByTestId('patrol-live-name').innerText()).toBe('西藏中路 东口');

    // Full screen (the Fullscreen API on the player) and back.
    await page.getByTestId('patrol-live-fullscreen').click();
    await expect.poll(() => page.evaluate(() => document.fullscreenElement?.getAttribute('data-testid') ?? null)).toBe('patrol-live');
    await expect.poll(() => page.getByTestId('patrol-live-fullscreen').getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('patrol-live-fullscreen').click();
    await expect.poll(() => page.evaluate(() => document.fullscreenElement?.getAttribute('data-testid') ?? null)).toBeNull();

    // Landscape: the player still fits the screen with room for the list, and keeps playing.
    await page.setViewportSize({ width: 1280, height: 800 });
    const box = (await player(page).boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(box.width).toBeLessThanOrEqual(1280);
    expect(box.height).toBeLessThanOrEqual(800 * 0.75);
    const beforeTurn = await framesDecoded(page);
    await expect.poll(() => framesDecoded(page), { timeout: 10_000, interval: 250 }).toBeGreaterThan(beforeTurn);
    await page.setViewportSize({ width: 800, height: 1280 });

    // Stop saves data: the viewer is closed on the server and in the relay; play opens it again.
    await page.getByTestId('patrol-live-stop').click();
    await expect.poll(() => player(page).getAttribute('data-state')).toBe('stopped');
    await expect.poll(viewerCounts, { timeout: SETTLE_MS, interval: 250 }).toEqual({ api: 0, relay: 0 });
    expect(await openViewerCameras()).toEqual([]);
    expect(await video.evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();
    await page.getByTestId('patrol-live-play').click();
    await expectPlaying(page, cameras.east);

    // The officer works the dispatch on the tablet; the video stays on until it is cleared, then goes.
    const dispatchStatus = () => page.getByTestId('patrol-dispatch').getAttribute('data-status');
    for (const [action, status] of [
      ['accept', 'accepted'],
      ['on_scene', 'on_scene'],
    ] as const) {
      await page.locator(`[data-action=${action}]`).click();
      await expect.poll(dispatchStatus).toBe(status);
    }
    expect(await player(page).getAttribute('data-camera-id')).toBe(cameras.east);
    expect(await player(page).getAttribute('data-state')).toBe('playing');
    await page.locator('[data-action=clear]').click();
    await expect.poll(dispatchStatus).toBe('');
    await expect.poll(() => page.getByTestId('patrol-live').count()).toBe(0);
    await expect.poll(viewerCounts, { timeout: SETTLE_MS, interval: 250 }).toEqual({ api: 0, relay: 0 });
    expect(await openViewerCameras()).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
