/**
 * The video wall in a real browser against a real Argus: real RTSP cameras (GStreamer, H.264) pulled
 * by the ingest role, relayed by Janus, decoded by Chromium over WebRTC. Tiles are read through the
 * wall's test hook, `window.__argusWall.tiles()` (state and frames decoded per tile).
 *
 * Started inside the first test (not in a hook), so a missing Chromium, GStreamer, Janus or Redis
 * fails each test with the reason; nothing is skipped.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Camera, Site } from '../../contracts/api.ts';
import type { WallLayout } from '../../contracts/media.ts';
import { startRtspCamera, type RtspCamera } from '../helpers/rtsp-camera.ts';
import { startTestSystem, type TestSystem } from '../helpers/system.ts';
import { ensureWebBuilt, launchChromium, newPage, signIn } from './browser.ts';

interface TileProbe {
  index: number;
  cameraId: string | null;
  state: 'empty' | 'connecting' | 'playing' | 'offline' | 'error';
  framesDecoded: number;
}

const MOUNTS = ['gate-1', 'gate-2', 'gate-3', 'gate-4', 'gate-5'];
/** Live video needs the ingest role (pulls the cameras) and the relay; the test defaults have neither. */
const LIVE_CONFIG = { roles: ['api', 'worker', 'ingest'], relay: { enabled: true }, ingest: { roundSeconds: 1, recording: { enabled: false } } };

interface Setup {
  sys: TestSystem;
  browser: Browser;
  rtsp: RtspCamera;
  token: string;
  cameras: Camera[];
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
      rtsp = await startRtspCamera({ mounts: MOUNTS.map((path) => ({ path, source: { kind: 'pattern' } })) });
      sys = await startTestSystem({ config: LIVE_CONFIG });
      const token = await sys.login(sys.admin.username, sys.admin.password);
      const site = await sys.api('/api/sites', { token, body: { name: 'North checkpoint', kind: 'checkpoint', code: 'KK-01' } });
      expect(site.status).toBe(201);
      const cameras: Camera[] = [];
      for (const [i, path] of MOUNTS.entries()) {
        const res = await sys.api('/api/cameras', { token, body: { name: `Gate ${i + 1}`, sourceKind: 'rtsp', sourceUrl: rtsp.url(path), siteId: (site.body as Site).id } });
        expect(res.status).toBe(201);
        cameras.push(res.body as Camera);
      }
      return { sys, browser, rtsp, token, cameras };
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

async function openWall(s: Setup): Promise<{ page: Page; pageErrors: string[] }> {
  const { context, page, pageErrors } = await newPage(s.browser);
  contexts.push(context);
  await signIn(page, s.sys.baseUrl, s.sys.admin);
  await page.locator('[data-screen=wall]').click();
  await page.getByTestId('wall-screen').waitFor();
  await page.locator('[data-testid=tree-camera]').first().waitFor();
  return { page, pageErrors };
}

const tiles = (page: Page): Promise<TileProbe[]> => page.evaluate(() => (window as unknown as { __argusWall: { tiles(): TileProbe[] } }).__argusWall.tiles());
const tile = (page: Page, index: number) => page.getByTestId(`wall-tile-${index}`);
const treeCamera = (page: Page, id: string) => page.locator(`[data-testid=tree-camera][data-camera-id="${id}"]`);

describe('video wall', () => {
  it('plays four cameras in the 4-tile layout, each decoding frames', async () => {
    const s = await ready();
    const { page, pageErrors } = await openWall(s);
    await page.getByTestId('grid-4').click();
    expect(await page.getByTestId('wall-grid').getAttribute('data-grid')).toBe('4');
    // Double-click fills the next free tile; dragging puts a camera on the tile it is dropped on.
    for (const camera of s.cameras.slice(0, 3)) await treeCamera(page, camera.id).dblclick();
    await treeCamera(page, s.cameras[3]!.id).dragTo(tile(page, 3));
    for (const [i, camera] of s.cameras.slice(0, 4).entries()) expect(await tile(page, i).getAttribute('data-camera-id')).toBe(camera.id);

    await expect.poll(async () => (await tiles(page)).map((t) => t.state), { timeout: 60_000, interval: 500 }).toEqual(['playing', 'playing', 'playing', 'playing']);
    const first = await tiles(page);
    await page.waitForTimeout(3000);
    const later = await tiles(page);
    for (const [i, t] of later.entries()) {
      expect(t.cameraId).toBe(s.cameras[i]!.id);
      expect(t.framesDecoded, `tile ${i} decodes frames`).toBeGreaterThan(first[i]!.framesDecoded);
    }
    for (let i = 0; i < 4; i++) {
      expect(await tile(page, i).getAttribute('data-state')).toBe('playing');
      expect(await tile(page, i).locator('[data-stat=fps]').innerText()).toMatch(/^\d+ fps$/);
      expect(await tile(page, i).locator('[data-stat=delay]').innerText()).toMatch(/^\d+ ms$/);
    }

    // One tile full screen, and back with Escape.
    await tile(page, 2).dblclick();
    expect(await tile(page, 2).getAttribute('class')).toContain('tile-max');
    await page.keyboard.press('Escape');
    expect(await tile(page, 2).getAttribute('class')).not.toContain('tile-max');

    // Closing a tile empties it.
    await tile(page, 3).hover();
    await page.getByTestId('wall-tile-close-3').click();
    await expect.poll(() => tile(page, 3).getAttribute('data-state')).toBe('empty');
    expect(await tile(page, 3).getAttribute('data-camera-id')).toBeNull();
    expect(pageErrors).toEqual([]);
  }, 150_000);

  it('moves one tile through the cameras of a tour after its interval', async () => {
    const s = await ready();
    const { page, pageErrors } = await openWall(s);
    await page.getByTestId('grid-4').click();
    await page.getByTestId('tour-toggle').click();
    const panel = page.getByTestId('tour-panel');
    await panel.waitFor();
    await panel.getByTestId('tour-source').selectOption('all');
    await panel.getByTestId('tour-interval').fill('3');
    await panel.getByTestId('tour-scope-tile').check();
    await panel.getByTestId('tour-tile').selectOption('1');
    await panel.getByTestId('tour-start').click();
    await page.getByTestId('tour-chip').waitFor();

    const ids = s.cameras.map((c) => c.id);
    const firstId = await tile(page, 1).getAttribute('data-camera-id');
    expect(ids).toContain(firstId);
    const startedAt = Date.now();
    await expect.poll(() => tile(page, 1).getAttribute('data-camera-id'), { timeout: 8000, interval: 200 }).not.toBe(firstId);
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThan(2000);
    expect(ids).toContain(await tile(page, 1).getAttribute('data-camera-id'));
    // The other tiles stay as they were.
    expect(await tile(page, 0).getAttribute('data-state')).toBe('empty');

    await page.getByTestId('tour-chip').getByRole('button').click();
    await page.getByTestId('tour-chip').waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  }, 150_000);

  it('saves a layout on the server and brings it back after a reload', async () => {
    const s = await ready();
    const { page, pageErrors } = await openWall(s);
    const [a, b, c] = s.cameras;
    await page.getByTestId('grid-4').click();
    await treeCamera(page, a!.id).dblclick();
    await treeCamera(page, b!.id).dblclick();
    await treeCamera(page, c!.id).dragTo(tile(page, 3));

    await page.getByTestId('layouts-toggle').click();
    await page.getByTestId('layout-name').fill('Gate view');
    await page.getByTestId('layout-save').click();
    await expect.poll(() => page.getByTestId('layout-current').textContent()).toBe('Gate view');

    const stored = await s.sys.api('/api/me/layouts', { token: s.token });
    expect(stored.status).toBe(200);
    const layout = (stored.body as { items: WallLayout[] }).items.find((l) => l.name === 'Gate view');
    expect(layout).toMatchObject({ grid: 4, tiles: [a!.id, b!.id, null, c!.id], tour: null });

    // Empty the wall and another grid, reload, and load the layout from the server.
    await page.getByTestId('wall-clear').click();
    await page.getByTestId('grid-9').click();
    await page.reload();
    await page.getByTestId('wall-screen').waitFor();
    expect(await page.getByTestId('wall-grid').getAttribute('data-grid')).toBe('9');
    await page.getByTestId('layouts-toggle').click();
    await page.locator('[data-testid=layout-item][data-layout-name="Gate view"] [data-action=load]').click();
    expect(await page.getByTestId('wall-grid').getAttribute('data-grid')).toBe('4');
    expect(await Promise.all([0, 1, 2, 3].map((i) => tile(page, i).getAttribute('data-camera-id')))).toEqual([a!.id, b!.id, null, c!.id]);
    expect(pageErrors).toEqual([]);
  }, 150_000);

  // Last: it kills the RTSP server that every camera of this file comes from.
  it('says a tile is offline when its camera dies, and plays again by itself when it is back', async () => {
    const s = await ready();
    const { page, pageErrors } = await openWall(s);
    await page.getByTestId('grid-1').click();
    await treeCamera(page, s.cameras[4]!.id).dblclick();
    await expect.poll(() => tile(page, 0).getAttribute('data-state'), { timeout: 60_000, interval: 500 }).toBe('playing');

    s.rtsp.kill();
    const killedAt = Date.now();
    await expect.poll(() => tile(page, 0).getAttribute('data-state'), { timeout: 15_000, interval: 250 }).toBe('offline');
    expect(Date.now() - killedAt).toBeLessThan(12_000);
    await tile(page, 0).getByRole('status').waitFor();

    await s.rtsp.restart();
    await expect.poll(() => tile(page, 0).getAttribute('data-state'), { timeout: 90_000, interval: 500 }).toBe('playing');
    const before = (await tiles(page))[0]!.framesDecoded;
    await expect.poll(async () => (await tiles(page))[0]!.framesDecoded, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(pageErrors).toEqual([]);
  }, 170_000);
});
