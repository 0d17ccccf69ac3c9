/**
 * The whole checkpoint chain with nothing simulated: a real RTSP camera (GStreamer) at a checkpoint
 * serves a vehicle passing (a clip composed from a real plate photo), ingest pulls it with ffmpeg,
 * the analytics role reads the plate with the real models, the read matches a red watchlist entry,
 * and the checkpoint terminal in Chromium shows the alert with its evidence image; the officer
 * acknowledges and resolves it, which is stored with the user and the time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../contracts/alerts.ts';
import { makePlateClip, MODELS_DIR } from '../helpers/plate-clip.ts';
import { startRtspCamera, type RtspCamera } from '../helpers/rtsp-camera.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';

const PLATE = '皖K66666';
const officer = { username: 'kk.wang', password: 'checkpoint-pass-2' };
let dir: string;
let camera: RtspCamera;
let sys: TestSystem;
let adminToken: string;
let siteId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'argus-checkpoint-'));
  const clip = await makePlateClip(dir, [{ image: 'plates/scenes/single_yellow.jpg', text: PLATE }], 6, 20);
  camera = await startRtspCamera({ mounts: [{ path: 'lane1', source: { kind: 'file', path: clip.path }, width: 1280, height: 720, fps: 10 }] });
}, 120_000);

const fixture = browserFixture(
  async (started) => {
    sys = started;
    await sys.createUser({ ...officer, roles: ['checkpoint'] });
    adminToken = await sys.login(sys.admin.username, sys.admin.password);
    const post = async (path: string, body: unknown) => {
      const res = await sys.api(path, { token: adminToken, body });
      if (res.status !== 201 && res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    siteId = (await post('/api/sites', { name: '东环卡口', kind: 'checkpoint', code: 'KK-101' })).id;
    const list = await post('/api/watchlists', { name: '在逃车辆', kind: 'plate', level: 'red', covert: false });
    await post(`/api/watchlists/${list.id}/entries`, { plate: PLATE, reason: '涉嫌肇事逃逸', caseNumber: 'J2026-1121' });
  },
  {
    config: {
      roles: ['api', 'worker', 'ingest', 'analytics'],
      modelsDir: MODELS_DIR,
      relay: { enabled: false },
      ingest: { roundSeconds: 1, leaseSeconds: 5, recording: { enabled: false }, analytics: { fps: 5, width: 1280 } },
    },
  },
);
afterEach(() => fixture.closePages());
afterAll(async () => {
  await fixture.stop();
  await camera?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('checkpoint: camera to terminal', () => {
  it('shows the alert of a listed plate read from a real RTSP camera, and records acknowledge, inspection and outcome', async () => {
    const { page } = await fixture.open({ locale: 'zh-CN' });
    await signIn(page, sys.baseUrl, officer);
    await page.locator('[data-screen=checkpoint]').click();
    await page.getByTestId('terminal-screen').waitFor();
    await page.getByTestId('terminal-site').selectOption(siteId);
    await expect.poll(() => page.getByTestId('terminal-link').getAttribute('data-connected')).toBe('true');

    // The camera is added only now, with plates analysed: the vehicle passes while the terminal watches.
    const created = await sys.api('/api/cameras', { token: adminToken, body: { name: '东环卡口 1 号车道', sourceKind: 'rtsp', sourceUrl: camera.url('lane1'), siteId } });
    expect(created.status).toBe(201);
    const settings = await sys.api(`/api/cameras/${created.body.id}/analytics`, { token: adminToken, method: 'PUT', body: { pipelines: ['plates'], fps: 5 } });
    expect(settings.status).toBe(200);

    const card = page.getByTestId('alert-card');
    await card.waitFor({ timeout: 60_000 });
    expect(await card.getAttribute('data-level')).toBe('red');
    expect(await card.getByTestId('alert-plate-read').innerText()).toBe(PLATE);
    expect(await card.getByTestId('alert-plate-listed').innerText()).toBe(PLATE);
    expect(await card.getByTestId('alert-reason').innerText()).toBe('涉嫌肇事逃逸');
    expect(await card.innerText()).toContain('东环卡口 1 号车道');
    // The evidence crop cut from the camera's frame, loaded by the browser.
    const image = card.getByTestId('alert-image');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), { timeout: 10_000 }).toBeGreaterThan(40);

    const before = Date.now();
    await card.locator('[data-action=acknowledge]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('acknowledged');
    await card.locator('[data-action=inspect]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('inspecting');
    await card.locator('[data-action=resolve]').click();
    const form = card.getByTestId('resolve-form');
    await form.locator('input[value=intercepted]').check();
    await form.locator('[data-action=submit-outcome]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('resolved');

    const alertId = await card.getAttribute('data-alert-id');
    const stored = (await sys.api(`/api/alerts/${alertId}`, { token: adminToken })).body as Alert;
    expect(stored).toMatchObject({ status: 'resolved', disposition: 'intercepted', level: 'red', siteId });
    expect(stored.sighting.plateText).toBe(PLATE);
    const steps = stored.actions.filter((a) => ['acknowledge', 'inspect', 'resolve'].includes(a.action));
    expect(steps.map((a) => a.action)).toEqual(['acknowledge', 'inspect', 'resolve']);
    for (const step of steps) {
      expect(step.username).toBe(officer.username);
      expect(Date.parse(step.at)).toBeGreaterThanOrEqual(before - 1000);
    }
    // One vehicle passing is one alert, not one per frame.
    const all = (await sys.api('/api/alerts?limit=50', { token: adminToken })).body.items as Alert[];
    expect(all.filter((a) => a.sighting.plateText === PLATE)).toHaveLength(1);
  }, 150_000);
});
