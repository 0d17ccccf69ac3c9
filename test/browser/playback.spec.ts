/**
 * Playback in a real browser against a real Argus that records a real RTSP camera (GStreamer, H.264)
 * in 10-second segments: the timeline shows the recorded segments, a click plays from that moment,
 * an event link (`?from=`) opens on its moment, and the segments play one after another. The
 * `<video>` element's currentTime tells that video really plays.
 *
 * Started inside the first test (not in a hook), so a missing Chromium, GStreamer, ffmpeg or Redis
 * fails each test with the reason; nothing is skipped.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Camera } from '../../contracts/api.ts';
import type { Recording } from '../../contracts/media.ts';
import { startRtspCamera, type RtspCamera } from '../helpers/rtsp-camera.ts';
import { startTestSystem, type TestSystem } from '../helpers/system.ts';
import { ensureWebBuilt, launchChromium, newPage, signIn } from './browser.ts';

/** Recording needs the ingest role (the test defaults have none); no live relay is needed here. */
const RECORDING_CONFIG = { roles: ['api', 'worker', 'ingest'], relay: { enabled: false }, ingest: { roundSeconds: 1, recording: { enabled: true, segmentSeconds: 10 } } };

interface Setup {
  sys: TestSystem;
  browser: Browser;
  rtsp: RtspCamera;
  token: string;
  camera: Camera;
}

let started: Promise<Setup> | undefined;
const contexts: Array<{ close(): Promise<void> }> = [];

function ready(): Promise<Setup> {
  return (started ??= (async () => {
    ensureWebBuilt();
    const browser = await launchChromium();
    let rtsp: RtspCamera | undefined;
    let sys: TestSystem | undefined;
    try {
      rtsp = await startRtspCamera({ mounts: [{ path: 'lane-1', source: { kind: 'pattern' } }] });
      sys = await startTestSystem({ config: RECORDING_CONFIG });
      const token = await sys.login(sys.admin.username, sys.admin.password);
      const res = await sys.api('/api/cameras', { token, body: { name: 'Lane 1 inbound', sourceKind: 'rtsp', sourceUrl: rtsp.url('lane-1') } });
      expect(res.status).toBe(201);
      return { sys, browser, rtsp, token, camera: res.body as Camera };
    } catch (error) {
      await browser.close();
      await sys?.stop();
      await rtsp?.stop();
      throw error;
    }
  })());
}

afterEach(async () => {
  while (contexts.length) await contexts.pop()!.close();
});
afterAll(async () => {
  const s = await started?.catch(() => undefined);
  if (!s) return;
  await s.browser.close();
  await s.sys.stop();
  await s.rtsp.stop();
});

/** The camera's finished segments, oldest first, once there are at least `count`. */
async function recordings(s: Setup, count: number): Promise<Recording[]> {
  let items: Recording[] = [];
  await expect
    .poll(
      async () => {
        const from = new Date(Date.now() - 3600_000).toISOString();
        const to = new Date(Date.now() + 60_000).toISOString();
        const res = await s.sys.api(`/api/cameras/${s.camera.id}/recordings?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { token: s.token });
        expect(res.status).toBe(200);
        items = (res.body as { items: Recording[] }).items.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
        return items.length;
      },
      { timeout: 90_000, interval: 1000 },
    )
    .toBeGreaterThanOrEqual(count);
  return items;
}

async function open(s: Setup, hash: string): Promise<{ page: Page; pageErrors: string[] }> {
  const { context, page, pageErrors } = await newPage(s.browser);
  contexts.push(context);
  await signIn(page, s.sys.baseUrl, s.sys.admin);
  await page.goto(`${s.sys.baseUrl}/${hash}`);
  return { page, pageErrors };
}

const currentTime = (page: Page): Promise<number> => page.locator('[data-testid=playback-video]').evaluate((v) => (v as HTMLVideoElement).currentTime);

/** currentTime moves on by at least `seconds` (the video plays, not just loads). */
async function expectPlaying(page: Page, seconds = 1): Promise<void> {
  await expect.poll(() => currentTime(page), { timeout: 20_000, interval: 250 }).toBeGreaterThan(0);
  const first = await currentTime(page);
  await expect.poll(() => currentTime(page), { timeout: 10_000, interval: 250 }).toBeGreaterThan(first + seconds);
}

describe('playback', () => {
  it('shows the recorded segments on the timeline and plays from the moment clicked', async () => {
    const s = await ready();
    const [first] = await recordings(s, 1);
    const { page, pageErrors } = await open(s, '#/playback');
    await page.getByTestId('playback-no-camera').waitFor();
    await page.locator(`[data-testid=playback-camera-tree] [data-testid=tree-camera][data-camera-id="${s.camera.id}"]`).click();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe(`#/playback/${s.camera.id}`);

    const bar = page.getByTestId('timeline-segment').first();
    await bar.waitFor();
    expect(Date.parse((await bar.getAttribute('data-start'))!)).toBeLessThanOrEqual(Date.parse(first!.startedAt));
    // Ten seconds are a sliver of 24 hours: zoom to 15 minutes (around the latest recording) and click into the first bar.
    await page.getByTestId('playback-zoom-15m').click();
    const track = (await page.getByTestId('timeline-track').boundingBox())!;
    const box = (await bar.boundingBox())!;
    expect(box.width).toBeGreaterThan(8);
    await page.getByTestId('timeline-track').click({ position: { x: box.x - track.x + box.width / 2, y: track.height / 2 } });

    await expectPlaying(page);
    // The clock shows recorded time, within the recordings.
    const shown = await page.getByTestId('playback-time').innerText();
    expect(shown).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await page.getByTestId('timeline-playhead').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 150_000);

  it('opens an event link at its moment and plays it', async () => {
    const s = await ready();
    const [first] = await recordings(s, 1);
    const from = new Date(Date.parse(first!.startedAt) + 3000).toISOString();
    const to = new Date(Date.parse(first!.startedAt) + 6000).toISOString();
    const { page, pageErrors } = await open(s, `#/playback/${s.camera.id}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    await page.getByTestId('timeline-marker').waitFor();
    await expectPlaying(page, 0.5);
    // Sought into the segment: about 3 s in.
    expect(await currentTime(page)).toBeGreaterThan(2);
    expect(pageErrors).toEqual([]);
  }, 150_000);

  it('plays the following segment when one ends', async () => {
    const s = await ready();
    const items = await recordings(s, 2);
    const [a, b] = items;
    // Start 2 s before the end of the first segment; the next one follows by itself.
    const from = new Date(Date.parse(a!.endedAt) - 2000).toISOString();
    const { page, pageErrors } = await open(s, `#/playback/${s.camera.id}?from=${encodeURIComponent(from)}`);
    await expectPlaying(page, 0.5);
    const nextStart = Date.parse(b!.startedAt);
    await expect
      .poll(async () => Date.parse((await page.getByTestId('playback-time').innerText()).replace(' ', 'T')), { timeout: 20_000, interval: 250 })
      .toBeGreaterThan(nextStart + 1000);
    await expectPlaying(page, 0.5);
    expect(pageErrors).toEqual([]);
  }, 150_000);
});
