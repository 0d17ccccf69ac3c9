/**
 * The Sightings screen in a real browser against a real Argus, with sightings recorded through the
 * same service the analytics role uses (evidence JPEGs included): search a plate and see the row
 * with its thumbnail (fetched by the browser, authenticated by the session cookie); new sightings
 * arrive live at the top and are refined in place; a row links to the recording at its moment;
 * administrators edit a camera's analytics settings, region of interest included.
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { CameraAnalytics, Sighting } from '../../contracts/sightings.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';

const analyst = { username: 'analyst1', password: 'analyst-pass-1' };
const patrol = { username: 'patrol1', password: 'patrol-pass-1' };

let sys: TestSystem;
let adminToken: string;
let cameraId: string;
let wanted: Sighting;

async function jpeg(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 120, height: 40, channels: 3, background: colour } }).jpeg().toBuffer();
}

const fixture = browserFixture(async (started) => {
  sys = started;
  await sys.createUser({ ...analyst, roles: ['analyst'] });
  await sys.createUser({ ...patrol, roles: ['patrol'] });
  adminToken = await sys.login(sys.admin.username, sys.admin.password);
  const res = await sys.api('/api/cameras', { token: adminToken, body: { name: '北门卡口 North gate', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/north' } });
  expect(res.status).toBe(201);
  cameraId = res.body.id;
  const now = Date.now();
  wanted = await sys.argus.services.sightings.record({
    cameraId,
    observedAt: new Date(now - 20 * 60_000),
    kind: 'plate',
    score: 0.94,
    plate: { text: '浙A12345', colour: 'blue', layers: 1 },
    label: 'car',
    crop: await jpeg('#0b4fd1'),
    frame: await jpeg('#333333'),
  });
  await sys.argus.services.sightings.record({
    cameraId,
    observedAt: new Date(now - 10 * 60_000),
    kind: 'plate',
    score: 0.88,
    plate: { text: '沪B99999', colour: 'yellow', layers: 2 },
    crop: await jpeg('#f2c200'),
  });
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

async function openSightings(locale: string, user = analyst): Promise<{ page: Page; pageErrors: string[] }> {
  const { page, pageErrors } = await fixture.open({ locale });
  await signIn(page, sys.baseUrl, user);
  await page.locator('[data-screen=sightings]').click();
  await page.getByTestId('sightings-screen').waitFor();
  await expect.poll(() => page.getByTestId('live-indicator').getAttribute('data-connected')).toBe('true');
  return { page, pageErrors };
}

const shownPlates = (page: Page) => page.locator('[data-testid=sightings-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-plate')));

describe('sightings screen', () => {
  it('searches a plate (中文) and shows the row with its evidence thumbnail and a link to the recording', async () => {
    const { page, pageErrors } = await openSightings('zh-CN');
    expect(await page.locator('h1.screen-title').innerText()).toBe('识别记录');
    // The last 24 hours at first: both, newest first, and the chart counts them.
    await expect.poll(() => shownPlates(page)).toEqual(['沪B99999', '浙A12345']);
    await expect.poll(() => page.getByTestId('sightings-chart').getAttribute('data-total')).toBe('2');

    const form = page.getByTestId('sightings-form');
    await form.locator('input[name=plate]').fill('浙a 123');
    await form.locator('select[name=plateMode]').selectOption('prefix');
    await page.getByTestId('sightings-search').click();
    await expect.poll(() => shownPlates(page)).toEqual(['浙A12345']);

    const row = page.locator(`tr[data-sighting-id="${wanted.id}"]`);
    expect(await row.innerText()).toContain('北门卡口 North gate');
    expect(await row.locator('.plate-chip').getAttribute('data-colour')).toBe('blue');
    expect(await row.innerText()).toContain('小汽车');
    const thumb = row.getByTestId('sighting-thumb');
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBe(120);

    // A fuzzy search with one character misread finds it too.
    await form.locator('input[name=plate]').fill('浙A12845');
    await form.locator('select[name=plateMode]').selectOption('fuzzy');
    await page.getByTestId('sightings-search').click();
    await expect.poll(() => shownPlates(page)).toEqual(['浙A12345']);
    expect(await page.getByTestId('sightings-fuzzy').isVisible()).toBe(true);

    // The recording at its moment.
    const href = await row.locator('[data-action=playback]').getAttribute('href');
    expect(href).toMatch(new RegExp(`^#/playback/${cameraId}\\?from=`));
    const from = new URLSearchParams(href!.split('?')[1]).get('from')!;
    expect(Date.parse(wanted.observedAt) - Date.parse(from)).toBe(5000);
    await row.locator('[data-action=playback]').click();
    await page.getByTestId('playback-view').waitFor();
    expect(await page.getByTestId('playback-view').getAttribute('data-camera-id')).toBe(cameraId);
    expect(pageErrors).toEqual([]);
  });

  it('puts new sightings on top as they are recorded and refines them in place (English)', async () => {
    const { page, pageErrors } = await openSightings('en-US');
    expect(await page.locator('h1.screen-title').innerText()).toBe('Sightings');
    expect(await page.getByTestId('sightings-live').getAttribute('data-live')).toBe('true');
    await expect.poll(() => shownPlates(page)).toEqual(['沪B99999', '浙A12345']);

    const early = await sys.argus.services.sightings.record({
      cameraId,
      observedAt: new Date(),
      kind: 'plate',
      score: 0.7,
      plate: { text: '粤C1234X', colour: 'green', layers: 1 },
      stage: 'early',
      crop: await jpeg('#3cc47c'),
    });
    await expect.poll(() => shownPlates(page)).toEqual(['粤C1234X', '沪B99999', '浙A12345']);
    const row = page.locator(`tr[data-sighting-id="${early.id}"]`);
    expect(await row.getAttribute('class')).toContain('fresh');
    expect(await row.getAttribute('data-stage')).toBe('early');
    await expect.poll(() => page.getByTestId('sightings-chart').getAttribute('data-total')).toBe('3');

    await sys.argus.services.sightings.refine(early.id, early.observedAt, { plate: { text: '粤C12345' }, score: 0.96 });
    await expect.poll(() => row.getAttribute('data-stage')).toBe('final');
    expect(await row.getAttribute('data-plate')).toBe('粤C12345');
    expect(await shownPlates(page)).toEqual(['粤C12345', '沪B99999', '浙A12345']);

    // A sighting the current search would not find does not appear.
    await page.getByTestId('sightings-form').locator('select[name=kind]').selectOption('face');
    await page.getByTestId('sightings-search').click();
    await page.getByTestId('sightings-empty').waitFor();
    await sys.argus.services.sightings.record({ cameraId, observedAt: new Date(), kind: 'plate', score: 0.9, plate: { text: 'A00001' } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await shownPlates(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('is not offered to a patrol officer, and refused when typed', async () => {
    const { page } = await fixture.open();
    await signIn(page, sys.baseUrl, patrol);
    expect(await page.locator('[data-screen=sightings]').count()).toBe(0);
    await page.goto(`${sys.baseUrl}/#/sightings`);
    await page.getByTestId('forbidden').waitFor();
    expect(await page.getByTestId('sightings-screen').count()).toBe(0);
  });

  it('lets an administrator set a camera’s analytics, with a region drawn by clicking', async () => {
    const { page, pageErrors } = await fixture.open();
    await signIn(page, sys.baseUrl, sys.admin);
    await page.goto(`${sys.baseUrl}/#/cameras`);
    await page.locator(`tr[data-camera-id="${cameraId}"] [data-action=analytics]`).click();
    const form = page.getByTestId('analytics-form');
    await form.locator('input[name=fps]').waitFor();
    expect(await form.locator('input[name=fps]').inputValue()).toBe('5');

    await form.locator('input[name=pipeline-faces]').uncheck();
    await form.locator('input[name=fps]').fill('40');
    const editor = form.getByTestId('roi-editor');
    const box = (await editor.boundingBox())!;
    for (const [x, y] of [
      [0.1, 0.2],
      [0.9, 0.2],
      [0.5, 0.9],
    ]) {
      await page.mouse.click(box.x + box.width * x!, box.y + box.height * y!);
    }
    await form.getByTestId('analytics-save').click();
    // The server refuses 40 fps and says so at the field; nothing is stored.
    await expect.poll(() => form.locator('[data-field=fps] .field-error').count()).toBe(1);
    expect((await sys.api(`/api/cameras/${cameraId}/analytics`, { token: adminToken })).body.isDefault).toBe(true);

    await form.locator('input[name=fps]').fill('8');
    await form.getByTestId('analytics-save').click();
    await page.getByTestId('analytics-form').waitFor({ state: 'detached' });
    const stored = (await sys.api(`/api/cameras/${cameraId}/analytics`, { token: adminToken })).body as CameraAnalytics;
    expect(stored.settings).toMatchObject({ enabled: true, pipelines: ['plates', 'objects'], fps: 8 });
    expect(stored.settings.roi).toHaveLength(3);
    stored.settings.roi!.forEach(([x, y], i) => {
      const want = [
        [0.1, 0.2],
        [0.9, 0.2],
        [0.5, 0.9],
      ][i]!;
      expect(Math.abs(x - want[0]!)).toBeLessThan(0.02);
      expect(Math.abs(y - want[1]!)).toBeLessThan(0.02);
    });
    expect(pageErrors).toEqual([]);
  });
});
