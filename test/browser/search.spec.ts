/**
 * The Search screen in a real browser against a real Argus with the real face models:
 * - a vehicle's trajectory: plate reads recorded through the same service the analytics role uses,
 *   at cameras with a position of their own, with their site's, and with none; the list in time
 *   order, the map (no tile source configured: a coordinate grid, no request leaves the Argus
 *   server) with one numbered marker per positioned read joined by a line; list and map select
 *   each other;
 * - face search by photo: face sightings whose embeddings come from the real models on real photos
 *   (../shared/media/faces: identity A img4, img5, img6; B img13; D img8), searched with another
 *   photo of A uploaded through the file input; a photo without a face gets the server's refusal;
 * - both tabs in Chinese;
 * - a second Argus configured with a tile source (an XYZ server on 127.0.0.1): tiles are drawn from it
 *   with its attribution, and no grid.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_NAMES, DEFAULT_REQUEST, FrameAnalyzer } from '../../analytics/analyzer.ts';
import { decodeImage } from '../../analytics/image/raster-ops.ts';
import type { Sighting } from '../../contracts/sightings.ts';
import { MEDIA_DIR, MODELS_DIR } from '../helpers/plate-clip.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';

const FACES = join(MEDIA_DIR, 'faces');
const NO_FACE = join(MEDIA_DIR, 'plates', 'scenes', 'tmp8F1F.png');
const PLATE = '沪AF71017';
const analyst = { username: 'analyst1', password: 'analyst-pass-1' };

let sys: TestSystem;
/** The trajectory's reads, oldest first: at camera A (own position), C (no position), B (its site's), D (own). */
let reads: Sighting[];
const faces: Record<'a1' | 'a2' | 'b' | 'd', Sighting> = {} as never;

async function jpeg(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 120, height: 40, channels: 3, background: colour } }).jpeg().toBuffer();
}

const fixture = browserFixture(
  async (started) => {
    sys = started;
    await sys.createUser({ ...analyst, roles: ['analyst'] });
    const admin = await sys.login(sys.admin.username, sys.admin.password);
    const post = async (path: string, body: unknown) => {
      const res = await sys.api(path, { token: admin, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { id: string };
    };
    const positioned = await post('/api/sites', { name: '沪太路卡口', kind: 'checkpoint', latitude: 31.28, longitude: 121.43 });
    const unpositioned = await post('/api/sites', { name: '临时检查点', kind: 'area' });
    const camA = await post('/api/cameras', { name: '北门 North gate', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/a', latitude: 31.2304, longitude: 121.4737 });
    const camB = await post('/api/cameras', { name: '沪太路 1号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/b', siteId: positioned.id });
    const camC = await post('/api/cameras', { name: 'Temporary post', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/c', siteId: unpositioned.id });
    const camD = await post('/api/cameras', { name: 'East road', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/d', latitude: 31.25, longitude: 121.52 });

    const now = Date.now();
    // Recorded out of order: the screen shows them by time.
    const plan: Array<[string, number, string]> = [
      [camB.id, 30, '#f2c200'],
      [camA.id, 50, '#0b4fd1'],
      [camD.id, 20, '#3cc47c'],
      [camC.id, 40, '#cc3333'],
    ];
    const recorded: Sighting[] = [];
    for (const [cameraId, minutesAgo, colour] of plan) {
      recorded.push(
        await sys.argus.services.sightings.record({
          cameraId,
          observedAt: new Date(now - minutesAgo * 60_000),
          kind: 'plate',
          score: 0.9,
          plate: { text: PLATE, colour: 'blue', layers: 1 },
          label: 'car',
          crop: await jpeg(colour),
        }),
      );
    }
    reads = [...recorded].sort((x, y) => Date.parse(x.observedAt) - Date.parse(y.observedAt));
    // Another vehicle at the same gate: not part of the trajectory.
    await sys.argus.services.sightings.record({ cameraId: camA.id, observedAt: new Date(now - 45 * 60_000), kind: 'plate', score: 0.9, plate: { text: '沪AF71018' } });

    // Face sightings as the analytics role would store them: the real detector and embedder on real photos.
    const analyzer = new FrameAnalyzer({ modelsDir: MODELS_DIR, threads: 1 });
    try {
      const faceSighting = async (file: string, minutesAgo: number) => {
        const bytes = await readFile(join(FACES, file));
        const image = await decodeImage(bytes, file);
        const { analysis } = await analyzer.analyze(image, { ...DEFAULT_REQUEST, pipelines: ['faces'], embeddings: true });
        const area = (b: readonly number[]) => (b[2]! - b[0]!) * (b[3]! - b[1]!);
        const face = [...analysis.faces].sort((x, y) => area(y.box) - area(x.box))[0]!;
        const meta = await sharp(bytes).metadata();
        const left = Math.max(0, Math.floor(face.box[0]));
        const top = Math.max(0, Math.floor(face.box[1]));
        const crop = await sharp(bytes)
          .extract({ left, top, width: Math.min(meta.width! - left, Math.ceil(face.box[2] - face.box[0])), height: Math.min(meta.height! - top, Math.ceil(face.box[3] - face.box[1])) })
          .jpeg()
          .toBuffer();
        return sys.argus.services.sightings.record({
          cameraId: camA.id,
          observedAt: new Date(now - minutesAgo * 60_000),
          kind: 'face',
          score: face.score,
          box: face.box,
          face: { quality: face.quality, embedding: face.embedding!, model: DEFAULT_MODEL_NAMES.faceEmbedder },
          crop,
        });
      };
      faces.a1 = await faceSighting('img4.jpg', 15);
      faces.a2 = await faceSighting('img5.jpg', 14);
      faces.b = await faceSighting('img13.jpg', 13);
      faces.d = await faceSighting('img8.jpg', 12);
    } finally {
      await analyzer.close();
    }
  },
  { config: { modelsDir: MODELS_DIR } },
);

/** A second Argus whose map has a tile source: an XYZ server of its own on 127.0.0.1. */
const tileRequests: string[] = [];
let tileServer: Server | undefined;
const tiledOptions = { config: { map: { tiles: { url: '', attribution: 'Test tiles 测试底图' } } } };
const tiled = browserFixture(async (started) => {
  const admin = await started.login(started.admin.username, started.admin.password);
  await started.createUser({ ...analyst, roles: ['analyst'] });
  const camera = await started.api('/api/cameras', { token: admin, body: { name: 'Gate', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/g', latitude: 31.2304, longitude: 121.4737 } });
  expect(camera.status).toBe(201);
  await started.argus.services.sightings.record({ cameraId: camera.body.id, observedAt: new Date(), kind: 'plate', score: 0.9, plate: { text: PLATE } });
}, tiledOptions);
async function startTileServer(): Promise<string> {
  const png = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#203040' } }).png().toBuffer();
  tileServer = createServer((req, res) => {
    tileRequests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' });
    res.end(png);
  });
  await new Promise<void>((resolve) => tileServer!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(tileServer.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await fixture.closePages();
  await tiled.closePages();
});
afterAll(async () => {
  await fixture.stop();
  await tiled.stop();
  await new Promise((resolve) => (tileServer ? tileServer.close(resolve) : resolve(undefined)));
});

/** Sign in, open Search, and record every address the page asks for. */
async function openSearch(locale: string): Promise<{ page: Page; pageErrors: string[]; requests: string[] }> {
  const { page, pageErrors } = await fixture.open({ locale });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('websocket', (socket) => requests.push(socket.url()));
  await signIn(page, sys.baseUrl, analyst);
  await page.locator('[data-screen=search]').click();
  await page.getByTestId('search-screen').waitFor();
  return { page, pageErrors, requests };
}

/** Nothing but the Argus server (and in-page data: / blob: addresses). */
function foreign(requests: readonly string[]): string[] {
  const ws = sys.baseUrl.replace(/^http/, 'ws');
  return requests.filter((url) => !(url.startsWith(`${sys.baseUrl}/`) || url === sys.baseUrl || url.startsWith(`${ws}/`) || url.startsWith('data:') || url.startsWith('blob:')));
}

async function searchPlate(page: Page, plate: string): Promise<void> {
  const form = page.getByTestId('trajectory-form');
  await form.locator('input[name=plate]').fill(plate);
  await page.getByTestId('trajectory-search').click();
}

const rowIds = (page: Page) => page.getByTestId('trajectory-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sighting-id')));

describe('search screen', () => {
  it('shows a vehicle’s trajectory in time order on the list and on a tile-less map, each selecting the other', async () => {
    const { page, pageErrors, requests } = await openSearch('en-US');
    expect(await page.locator('h1.screen-title').innerText()).toBe('Search');

    await searchPlate(page, '沪af 71017'); // normalised by the server: case and spaces ignored
    await expect.poll(() => rowIds(page)).toEqual(reads.map((r) => r.id));
    const rows = page.getByTestId('trajectory-row');
    expect(await rows.evaluateAll((list) => list.map((r) => r.getAttribute('data-positioned')))).toEqual(['true', 'false', 'true', 'true']);
    // The row without a position says so; the others name their camera and (for B) the site.
    expect(await rows.nth(1).getByTestId('trajectory-no-position').innerText()).toBe('no position');
    expect(await rows.nth(0).getByTestId('trajectory-no-position').count()).toBe(0);
    expect(await rows.nth(0).getByTestId('trajectory-camera').innerText()).toBe('北门 North gate');
    expect(await rows.nth(2).getByTestId('trajectory-site').innerText()).toContain('沪太路卡口');
    expect(await rows.nth(0).getByTestId('trajectory-plate').innerText()).toBe(PLATE);
    // The evidence crop, fetched by the browser from the Argus server.
    await expect.poll(() => rows.nth(0).getByTestId('trajectory-thumb').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBe(120);

    // The map: no tiles, a coordinate grid, one numbered marker per positioned read, one line.
    const map = page.getByTestId('argus-map');
    expect(await map.getAttribute('data-tiles')).toBe('none');
    await expect.poll(() => map.getAttribute('data-markers')).toBe('3');
    const markers = map.getByTestId('map-marker');
    expect(await markers.evaluateAll((list) => list.map((m) => [m.getAttribute('data-marker-id'), m.textContent]))).toEqual([
      [reads[0]!.id, '1'],
      [reads[2]!.id, '3'],
      [reads[3]!.id, '4'],
    ]);
    expect(await map.locator('path.map-polyline').count()).toBe(1);
    expect(await map.locator('.leaflet-tile, .leaflet-tile-pane img').count()).toBe(0);
    const gridLabels = await map.getByTestId('map-grid-label').allInnerTexts();
    expect(gridLabels.some((l) => /^\d+(\.\d+)?°N$/.test(l))).toBe(true);
    expect(gridLabels.some((l) => /^\d+(\.\d+)?°E$/.test(l))).toBe(true);
    // Every marker lies inside the view the map chose.
    const inside = await markers.evaluateAll((list) => {
      const box = document.querySelector('[data-testid=argus-map]')!.getBoundingClientRect();
      return list.every((m) => {
        const r = m.getBoundingClientRect();
        return r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
      });
    });
    expect(inside).toBe(true);

    // A row selects its marker; a marker selects its row.
    await rows.nth(3).locator('button').click();
    await expect.poll(() => map.locator(`[data-marker-id="${reads[3]!.id}"]`).getAttribute('data-selected')).toBe('true');
    expect(await map.getAttribute('data-selected')).toBe(reads[3]!.id);
    expect(await rows.nth(3).getAttribute('data-selected')).toBe('true');
    await map.locator(`[data-marker-id="${reads[0]!.id}"]`).click();
    await expect.poll(() => rows.nth(0).getAttribute('data-selected')).toBe('true');
    expect(await rows.nth(3).getAttribute('data-selected')).toBe('false');
    expect(await map.locator(`[data-marker-id="${reads[3]!.id}"]`).getAttribute('data-selected')).toBe('false');

    // A plate that was never read, and one the server refuses (no wildcards in a trajectory).
    await searchPlate(page, '京Z00000');
    await page.getByTestId('trajectory-empty').waitFor();
    expect(await page.getByTestId('trajectory-empty').innerText()).toBe('No reads of 京Z00000 in this range.');
    await searchPlate(page, '沪AF*');
    const fieldError = page.locator('[data-testid=trajectory-form] [data-field=plate] .field-error');
    await fieldError.waitFor();
    expect(await fieldError.innerText()).toBe('a trajectory is of one plate: no wildcards');
    expect(await page.getByTestId('trajectory-panel').locator('.banner-error').getAttribute('data-error-code')).toBe('E_VALIDATION');

    expect(foreign(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('finds a person’s face sightings by another photo of them, most similar first', async () => {
    const { page, pageErrors, requests } = await openSearch('en-US');
    await page.getByTestId('search-tab-face').click();
    await page.getByTestId('face-photo').setInputFiles(join(FACES, 'img6.jpg'));
    await expect.poll(() => page.getByTestId('face-probe').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBeGreaterThan(0);
    await page.getByTestId('face-search').click();
    await page.getByTestId('face-results').waitFor();

    const cards = page.getByTestId('face-result');
    const shown = await cards.evaluateAll((list) => list.map((c) => ({ id: c.getAttribute('data-sighting-id')!, score: Number(c.getAttribute('data-score')) })));
    const ids = shown.map((s) => s.id);
    // Ordered by score; A's two sightings first, the others (if shown at all) below them.
    expect(shown.map((s) => s.score)).toEqual([...shown.map((s) => s.score)].sort((x, y) => y - x));
    expect([faces.a1.id, faces.a2.id]).toContain(ids[0]);
    expect(new Set(ids.slice(0, 2))).toEqual(new Set([faces.a1.id, faces.a2.id]));
    for (const other of [faces.b.id, faces.d.id]) {
      const at = ids.indexOf(other);
      if (at >= 0) expect(shown[at]!.score).toBeLessThan(shown[0]!.score);
    }
    // The top card: its face crop, its score as a percentage, its camera.
    const top = cards.first();
    expect(await top.getByTestId('face-score').innerText()).toBe(`Similarity ${Math.round(Math.max(0, Math.min(1, shown[0]!.score)) * 100)}%`);
    expect(await top.getByTestId('face-camera').innerText()).toBe('北门 North gate');
    await expect.poll(() => top.getByTestId('face-crop').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBeGreaterThan(20);

    // A minimum similarity above the others' scores leaves them out.
    const bestOther = Math.max(...shown.filter((s) => s.id !== faces.a1.id && s.id !== faces.a2.id).map((s) => s.score), -1);
    const lowestA = Math.min(...shown.filter((s) => s.id === faces.a1.id || s.id === faces.a2.id).map((s) => s.score));
    if (bestOther < lowestA - 0.02) {
      await page.getByTestId('face-form').locator('input[name=minScore]').fill(String(Math.ceil(bestOther * 100 + 1)));
      await page.getByTestId('face-search').click();
      await expect.poll(() => page.getByTestId('face-result').evaluateAll((list) => list.map((c) => c.getAttribute('data-sighting-id')).sort())).toEqual([faces.a1.id, faces.a2.id].sort());
    }

    expect(foreign(requests)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('takes a dropped photo, and shows the server’s refusal of one without a face', async () => {
    const { page, pageErrors } = await openSearch('en-US');
    await page.getByTestId('search-tab-face').click();
    // Dropped on the photo area rather than chosen.
    const png = (await readFile(NO_FACE)).toString('base64');
    await page.getByTestId('face-drop').evaluate((zone, data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'street.png', { type: 'image/png' }));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, png);
    await expect.poll(() => page.getByTestId('face-probe').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBeGreaterThan(0);
    await page.getByTestId('face-search').click();
    const banner = page.getByTestId('face-panel').locator('.banner-error');
    await banner.waitFor();
    expect(await banner.getAttribute('data-error-code')).toBe('E_VALIDATION');
    expect(await banner.innerText()).toContain('No face was found in the photo.');
    expect(await page.getByTestId('face-photo-error').innerText()).toBe('no face');
    expect(await page.getByTestId('face-result').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('speaks Chinese on both tabs (中文)', async () => {
    const { page, pageErrors } = await openSearch('zh-CN');
    expect(await page.locator('h1.screen-title').innerText()).toBe('检索');
    expect(await page.getByTestId('search-tab-trajectory').innerText()).toBe('车辆轨迹');
    expect(await page.getByTestId('search-tab-face').innerText()).toBe('以图搜人');
    expect(await page.locator('[data-testid=trajectory-form] [data-field=plate] label').innerText()).toBe('车牌号');

    await searchPlate(page, PLATE);
    await expect.poll(() => rowIds(page)).toEqual(reads.map((r) => r.id));
    expect(await page.getByTestId('trajectory-row').nth(1).getByTestId('trajectory-no-position').innerText()).toBe('无位置信息');
    const gridLabels = await page.getByTestId('argus-map').getByTestId('map-grid-label').allInnerTexts();
    expect(gridLabels.some((l) => /^北纬\d+(\.\d+)?°$/.test(l))).toBe(true);
    expect(gridLabels.some((l) => /^东经\d+(\.\d+)?°$/.test(l))).toBe(true);

    await page.getByTestId('search-tab-face').click();
    expect(await page.locator('[data-testid=face-form] label[for=face-photo-input]').innerText()).toBe('选择照片');
    expect(await page.locator('[data-testid=face-form] [data-field=minScore] label').innerText()).toBe('最低相似度（%）');
    await page.getByTestId('face-photo').setInputFiles(join(FACES, 'img6.jpg'));
    await page.getByTestId('face-search').click();
    await page.getByTestId('face-results').waitFor();
    expect(await page.getByTestId('face-result').first().getByTestId('face-score').innerText()).toMatch(/^相似度 \d+%$/);
    expect(pageErrors).toEqual([]);
  });

  it('draws the configured tile source (and only then asks a tile server for anything), with its attribution', async () => {
    const tilesAt = await startTileServer();
    tiledOptions.config.map.tiles.url = `${tilesAt}/{z}/{x}/{y}.png`;
    const { page, pageErrors } = await tiled.open({ locale: 'en-US' });
    const { sys: tiledSys } = await tiled.ready();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await signIn(page, tiledSys.baseUrl, analyst);
    await page.locator('[data-screen=search]').click();
    await searchPlate(page, PLATE);
    const map = page.getByTestId('argus-map');
    await expect.poll(() => map.getAttribute('data-tiles')).toBe('xyz');
    await expect.poll(() => map.locator('img.leaflet-tile-loaded').count()).toBeGreaterThan(0);
    expect(tileRequests.length).toBeGreaterThan(0);
    expect(tileRequests.every((u) => /^\/\d+\/\d+\/\d+\.png$/.test(u))).toBe(true);
    expect(await map.locator('.leaflet-control-attribution').innerText()).toContain('Test tiles 测试底图');
    expect(await map.getByTestId('map-grid-label').count()).toBe(0);
    expect(await map.getByTestId('map-marker').count()).toBe(1);
    expect(requests.filter((u) => !u.startsWith(`${tiledSys.baseUrl}/`) && !u.startsWith(`${tilesAt}/`) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
