/**
 * Watchlist alerts in a real browser against a real Argus: a plate list and its entry made through
 * the REST API, a plate sighting recorded through the same service the analytics role uses
 * (evidence JPEGs included), and the checkpoint terminal in Chromium showing the alert with its
 * image and level colour; acknowledging, inspecting and resolving it is stored with the user and
 * time. The terminal's live link cut while alerts are raised: once it is back, every alert is on
 * screen exactly once. The command centre's feed shows the same alerts with counts per level, and
 * the watchlists screen imports CSV with a row-by-row report before anything is stored.
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../contracts/alerts.ts';
import type { TestSystem } from '../helpers/system.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MEDIA_DIR, MODELS_DIR } from '../helpers/plate-clip.ts';
import { browserFixture, signIn } from './browser.ts';

const officer = { username: 'kk.zhang', password: 'checkpoint-pass-1' };
const commander = { username: 'cmd.li', password: 'commander-pass-1' };

let sys: TestSystem;
let adminToken: string;
let siteId: string;
let otherSiteId: string;
let cameraId: string;
let otherCameraId: string;
let redListId: string;
let orangeListId: string;

async function jpeg(colour: string, width = 120, height = 40): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toBuffer();
}

const post = (path: string, body: unknown): Promise<{ id: string }> => sys.apiOk<{ id: string }>(path, { token: adminToken, body });

/** A plate sighting at a camera, as the analytics role records it: matching raises the alerts. */
async function pass(plate: string, camera = cameraId): Promise<void> {
  await sys.argus.services.sightings.record({
    cameraId: camera,
    observedAt: new Date(),
    kind: 'plate',
    score: 0.95,
    plate: { text: plate, colour: 'blue', layers: 1 },
    label: 'car',
    crop: await jpeg('#0b4fd1'),
    frame: await jpeg('#333333', 320, 180),
  });
}

/** The stored alerts of a plate (newest first), read through the API. */
async function alertsOf(plate: string): Promise<Alert[]> {
  const res = await sys.api('/api/alerts?limit=200', { token: adminToken });
  expect(res.status).toBe(200);
  return (res.body.items as Alert[]).filter((a) => a.sighting.plateText === plate);
}

const fixture = browserFixture(async (started) => {
  sys = started;
  await sys.createUser({ ...officer, roles: ['checkpoint'] });
  await sys.createUser({ ...commander, roles: ['commander'] });
  adminToken = await sys.login(sys.admin.username, sys.admin.password);
  siteId = (await post('/api/sites', { name: '北环卡口', kind: 'checkpoint', code: 'KK-001' })).id;
  otherSiteId = (await post('/api/sites', { name: '南站卡口', kind: 'checkpoint', code: 'KK-002' })).id;
  cameraId = (await post('/api/cameras', { name: '北环卡口 1 号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/north', siteId })).id;
  otherCameraId = (await post('/api/cameras', { name: '南站卡口 1 号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/south', siteId: otherSiteId })).id;
  redListId = (await post('/api/watchlists', { name: '在逃车辆', kind: 'plate', level: 'red', covert: false })).id;
  await post(`/api/watchlists/${redListId}/entries`, { plate: '浙A88888', reason: '涉嫌抢劫逃逸', caseNumber: 'A3301002026110001' });
  orangeListId = (await post('/api/watchlists', { name: '套牌嫌疑', kind: 'plate', level: 'orange', covert: false })).id;
  for (let i = 1; i <= 6; i++) await post(`/api/watchlists/${orangeListId}/entries`, { plate: `浙B9000${i}`, reason: '套牌嫌疑', caseNumber: `B-${i}` });
  // With the face models: photos are really detected, aligned and embedded.
}, {
  config: {
    modelsDir: MODELS_DIR,
    // One level renamed and recoloured by this installation; the others keep their defaults.
    alerts: { levels: { orange: { name: { en: 'Amber', 'zh-CN': '琥珀' }, action: { en: 'Stop, search', 'zh-CN': '拦停搜查' }, colour: '#cc7700' } } },
  },
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

async function openTerminal(locale: string): Promise<{ page: Page; pageErrors: string[] }> {
  const { page, pageErrors } = await fixture.open({ locale });
  await signIn(page, sys.baseUrl, officer);
  await page.locator('[data-screen=checkpoint]').click();
  await page.getByTestId('terminal-screen').waitFor();
  const select = page.getByTestId('terminal-site');
  await expect.poll(() => select.locator('option').count()).toBe(3);
  await select.selectOption(siteId);
  await expect.poll(() => page.getByTestId('terminal-link').getAttribute('data-connected')).toBe('true');
  // The terminal has joined its checkpoint's room and read what is there.
  await expect.poll(() => page.getByTestId('terminal-screen').getAttribute('data-site-id')).toBe(siteId);
  return { page, pageErrors };
}

const terminalIds = (page: Page) => page.evaluate(() => window.__argusTerminal?.alertIds() ?? []);

describe('checkpoint terminal', () => {
  it('shows a red alert with its image and colour, sounds it, and records acknowledge → inspect → outcome with the user and time (中文)', async () => {
    const { page, pageErrors } = await openTerminal('zh-CN');
    expect(await page.locator('h1.screen-title').innerText()).toBe('卡口预警终端');

    const before = Date.now();
    await pass('浙A88888');
    const card = page.getByTestId('alert-card');
    await card.waitFor();
    expect(await card.getAttribute('data-level')).toBe('red');
    expect(await card.getAttribute('data-status')).toBe('new');
    // The level in its colour and its name.
    const head = card.locator('.alert-card-head');
    expect(await head.evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(255, 61, 61)');
    expect(await head.innerText()).toContain('红色');
    expect(await head.innerText()).toContain('拦截抓捕');
    // Plate as read and as listed, reason, case number, camera and checkpoint.
    expect(await card.getByTestId('alert-plate-read').innerText()).toBe('浙A88888');
    expect(await card.getByTestId('alert-plate-listed').innerText()).toBe('浙A88888');
    expect(await card.getByTestId('alert-reason').innerText()).toBe('涉嫌抢劫逃逸');
    expect(await card.getByTestId('alert-case').innerText()).toBe('A3301002026110001');
    expect(await card.innerText()).toContain('北环卡口 1 号');
    // The evidence crop, fetched by the browser with the session.
    const image = card.getByTestId('alert-image');
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBe(120);
    // The full frame one click away.
    await card.locator('[data-action=show-frame]').click();
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))).toBe(320);
    // A red alert sounds its triple tone, repeated until acknowledged.
    await expect.poll(() => page.evaluate(() => window.__argusTerminal!.sounds())).toContain('red');

    const [alert] = await alertsOf('浙A88888');
    expect(alert).toBeDefined();
    expect(await card.getAttribute('data-alert-id')).toBe(alert!.id);

    await card.locator('[data-action=acknowledge]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('acknowledged');
    const soundsAtAck = (await page.evaluate(() => window.__argusTerminal!.sounds())).length;
    await card.locator('[data-action=inspect]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('inspecting');
    await card.locator('[data-action=resolve]').click();
    const form = card.getByTestId('resolve-form');
    await form.locator('input[value=intercepted]').check();
    await form.locator('textarea[name=note]').fill('人车已移交刑侦大队');
    await form.locator('[data-action=submit-outcome]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('resolved');
    expect(await card.locator('.alert-status').innerText()).toContain('已拦截');
    // The repeating tone stopped with the acknowledgement.
    await new Promise((r) => setTimeout(r, 1800));
    expect((await page.evaluate(() => window.__argusTerminal!.sounds())).length).toBe(soundsAtAck);

    // Stored: who and when, for each step.
    const stored = (await sys.api(`/api/alerts/${alert!.id}`, { token: adminToken })).body as Alert;
    expect(stored.status).toBe('resolved');
    expect(stored.disposition).toBe('intercepted');
    const steps = stored.actions.filter((a) => ['acknowledge', 'inspect', 'resolve'].includes(a.action));
    expect(steps.map((a) => a.action)).toEqual(['acknowledge', 'inspect', 'resolve']);
    for (const step of steps) {
      expect(step.username).toBe(officer.username);
      expect(step.userId).toBeTruthy();
      expect(Date.parse(step.at)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(step.at)).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(steps[2]!.note).toBe('人车已移交刑侦大队');
    expect(steps.map((a) => a.toStatus)).toEqual(['acknowledged', 'inspecting', 'resolved']);
    // The history on the card says the same.
    expect(await card.getByTestId('alert-history').innerText()).toContain(officer.username);

    // Tablet layout: the recent alerts go under the current one.
    await page.setViewportSize({ width: 800, height: 1280 });
    await expect
      .poll(async () => {
        const cardBox = await card.boundingBox();
        const recentBox = await page.getByTestId('terminal-recent').boundingBox();
        return cardBox && recentBox ? recentBox.y >= cardBox.y + cardBox.height - 1 : false;
      })
      .toBe(true);
    await page.setViewportSize({ width: 1440, height: 900 });

    // The checkpoint is remembered on this device.
    await page.reload();
    await page.getByTestId('terminal-screen').waitFor();
    await expect.poll(() => page.getByTestId('terminal-site').inputValue()).toBe(siteId);
    expect(pageErrors).toEqual([]);
  });

  it('shows every alert exactly once after its link was cut while alerts were raised (English)', async () => {
    const { page, pageErrors } = await openTerminal('en-US');
    await pass('浙B90001');
    await expect.poll(async () => (await alertsOf('浙B90001')).length).toBe(1);
    const first = (await alertsOf('浙B90001'))[0]!;
    await expect.poll(() => terminalIds(page)).toContain(first.id);
    expect(await page.locator(`[data-testid=alert-card]`).getAttribute('data-level')).toBe('orange');
    // Orange in the colour this installation configured for it (#cc7700), not the built-in one.
    expect(await page.locator('.alert-card-head').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(204, 119, 0)');

    // The network drops: the socket goes, and alerts are raised meanwhile (one at another checkpoint).
    await page.context().setOffline(true);
    await page.evaluate(() => window.__argusTerminal!.disconnect());
    await expect.poll(() => page.getByTestId('terminal-link').getAttribute('data-connected')).toBe('false');
    await pass('浙B90002');
    await pass('浙B90003');
    await pass('浙B90004', otherCameraId);
    await pass('浙B90005');
    await new Promise((r) => setTimeout(r, 500));
    const missedIds = await Promise.all(['浙B90002', '浙B90003', '浙B90005'].map(async (p) => (await alertsOf(p))[0]!.id));
    const elsewhere = (await alertsOf('浙B90004'))[0]!;
    expect(elsewhere.siteId).toBe(otherSiteId);
    for (const id of missedIds) expect(await terminalIds(page)).not.toContain(id);

    // Back online: the terminal asks for everything after the last seq it saw, and a new alert arrives live as well.
    const replays: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/alerts/since')) replays.push(request.url());
    });
    await page.context().setOffline(false);
    await page.evaluate(() => window.__argusTerminal!.connect());
    await pass('浙B90006');
    await expect.poll(() => page.getByTestId('terminal-link').getAttribute('data-connected')).toBe('true');
    const live = await (async () => {
      await expect.poll(async () => (await alertsOf('浙B90006')).length).toBe(1);
      return (await alertsOf('浙B90006'))[0]!;
    })();
    await expect.poll(() => replays.length).toBeGreaterThan(0);
    expect(new URL(replays[0]!).searchParams.get('seq')).toBe(String(first.seq));
    expect(new URL(replays[0]!).searchParams.get('siteId')).toBe(siteId);
    const want = [first.id, ...missedIds, live.id];
    await expect.poll(async () => [...(await terminalIds(page))].sort()).toEqual(expect.arrayContaining(want));
    const shown = await terminalIds(page);
    // Exactly once each; nothing from the other checkpoint.
    expect(new Set(shown).size).toBe(shown.length);
    for (const id of want) expect(shown.filter((s) => s === id)).toHaveLength(1);
    expect(shown).not.toContain(elsewhere.id);
    // The time each alert was drawn is kept for the camera-to-terminal benchmark.
    const drawn = await page.evaluate(() => window.__argusTerminal!.drawnAt());
    for (const id of [...missedIds, live.id]) expect(drawn[id]).toBeGreaterThan(0);
    // A second drop and return replays nothing twice.
    await page.evaluate(() => window.__argusTerminal!.disconnect());
    await expect.poll(() => page.getByTestId('terminal-link').getAttribute('data-connected')).toBe('false');
    await page.evaluate(() => window.__argusTerminal!.connect());
    await expect.poll(() => page.getByTestId('terminal-link').getAttribute('data-connected')).toBe('true');
    await new Promise((r) => setTimeout(r, 800));
    const again = await terminalIds(page);
    expect(new Set(again).size).toBe(again.length);
    expect(again.filter((id) => want.includes(id))).toHaveLength(want.length);
    // The DOM rows agree with the hook: one row per alert.
    for (const id of want) expect(await page.locator(`[data-testid=terminal-recent] [data-alert-id="${id}"]`).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});

describe('alert feed', () => {
  it('lists alerts with their level colours and counts, filters by level, and acts on them (command centre)', async () => {
    // One alert of another level already there (the feed test also runs alone).
    await fixture.ready();
    await pass('浙B90003');
    const { page, pageErrors } = await fixture.open({ locale: 'en-US' });
    await signIn(page, sys.baseUrl, commander);
    await page.locator('[data-screen=alerts]').click();
    await page.getByTestId('alerts-screen').waitFor();
    await expect.poll(() => page.getByTestId('live-indicator').getAttribute('data-connected')).toBe('true');
    const rows = page.locator('[data-testid=alerts-table] tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    const before = await rows.count();

    // A new alert arrives live, on top.
    await pass('浙A88888');
    await expect.poll(() => rows.count()).toBe(before + 1);
    const top = rows.first();
    expect(await top.getAttribute('data-level')).toBe('red');
    expect(await top.getAttribute('data-status')).toBe('new');
    expect(await top.locator('.level-chip').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(255, 61, 61)');
    const redCount = Number((await page.locator('[data-testid=alerts-counts] [data-level=red]').innerText()).replace(/\D+/g, ''));
    expect(redCount).toBeGreaterThanOrEqual(1);
    // The configured name and colour of the orange level, everywhere it is drawn.
    const orangeCount = page.locator('[data-testid=alerts-counts] [data-level=orange]');
    expect(await orangeCount.innerText()).toMatch(/^Amber \d+$/);
    expect(await orangeCount.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(204, 119, 0)');
    const orangeRow = page.locator('[data-testid=alerts-table] tbody tr[data-level=orange]').first();
    expect(await orangeRow.locator('.level-chip').innerText()).toContain('Amber');
    expect(await orangeRow.locator('.level-chip').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(204, 119, 0)');

    // Acknowledge from the row.
    await top.locator('[data-action=acknowledge]').click();
    await expect.poll(() => top.getAttribute('data-status')).toBe('acknowledged');
    const id = (await top.getAttribute('data-alert-id'))!;
    const stored = (await sys.api(`/api/alerts/${id}`, { token: adminToken })).body as Alert;
    expect(stored.actions.find((a) => a.action === 'acknowledge')?.username).toBe(commander.username);

    // Filter: orange only.
    await page.locator('[data-testid=alerts-counts] [data-level=orange]').click();
    await expect.poll(async () => new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-level'))))).toEqual(new Set(['orange']));
    expect(pageErrors).toEqual([]);
  });
});

describe('watchlists screen', () => {
  it('creates a plate list, adds an entry, and imports CSV only after a clean dry run', async () => {
    const { page, pageErrors } = await fixture.open({ locale: 'en-US' });
    await signIn(page, sys.baseUrl, commander);
    await page.locator('[data-screen=watchlists]').click();
    await page.getByTestId('watchlists-screen').waitFor();

    await page.getByTestId('watchlist-new').click();
    const form = page.getByTestId('watchlist-form');
    await form.locator('input[name=name]').fill('Test yellow list');
    await form.locator('select[name=level]').selectOption('yellow');
    await form.locator('select[name=tolerance]').selectOption('1');
    await page.getByTestId('watchlist-save').click();
    await form.waitFor({ state: 'detached' });
    const lists = (await sys.api('/api/watchlists', { token: adminToken })).body as { id: string; name: string; level: string; tolerance: number }[];
    const created = lists.find((l) => l.name === 'Test yellow list')!;
    expect(created).toMatchObject({ level: 'yellow', tolerance: 1 });

    const panel = page.getByTestId('entries-panel');
    await expect.poll(() => panel.getAttribute('data-watchlist-id')).toBe(created.id);
    await panel.getByTestId('entry-form').locator('input[name=subject]').fill('苏E12345');
    await panel.getByTestId('entry-form').locator('input[name=reason]').fill('Unpaid fines');
    await panel.getByTestId('entry-add').click();
    await expect.poll(() => panel.locator('[data-testid=entries-table] tbody tr').count()).toBe(1);

    // A CSV with a bad row: the dry run says which line and why; Import stays disabled; nothing stored.
    await panel.getByTestId('import-toggle').click();
    const csv = panel.getByTestId('import-csv');
    await csv.fill('plate,reason,case_number,valid_from,valid_to\n苏E22222,ok,,,\nNOT A PLATE!!,bad,,,\n');
    await panel.getByTestId('import-check').click();
    const report = panel.getByTestId('import-report');
    await expect.poll(() => report.getAttribute('data-ok')).toBe('false');
    expect(await report.locator('tr[data-line="3"]').count()).toBe(1);
    expect(await panel.getByTestId('import-commit').isDisabled()).toBe(true);
    expect((await sys.api(`/api/watchlists/${created.id}/entries`, { token: adminToken })).body.items).toHaveLength(1);

    // A clean CSV: dry run reports every row valid, then Import stores them all.
    await csv.fill('plate,reason,case_number,valid_from,valid_to\n苏E22222,ok,C-1,,\n苏E33333,ok,C-2,,\n');
    await panel.getByTestId('import-check').click();
    await expect.poll(() => report.getAttribute('data-ok')).toBe('true');
    expect(await report.getAttribute('data-dry-run')).toBe('true');
    expect((await sys.api(`/api/watchlists/${created.id}/entries`, { token: adminToken })).body.items).toHaveLength(1);
    await panel.getByTestId('import-commit').click();
    await expect.poll(() => report.getAttribute('data-dry-run')).toBe('false');
    await expect.poll(() => panel.locator('[data-testid=entries-table] tbody tr').count()).toBe(3);
    expect(pageErrors).toEqual([]);
  });

  it('enrols a real face photo and refuses one with no face and one with two, with the server’s reason, storing nothing for them', async () => {
    const { page, pageErrors } = await fixture.open({ locale: 'zh-CN' });
    const list = await post('/api/watchlists', { name: '重点人员', kind: 'face', level: 'orange', covert: false, threshold: 0.5 });
    const entry = await post(`/api/watchlists/${list.id}/entries`, { personName: '张三', reason: '网上逃犯' });
    const photo = await jpeg('#888888', 200, 200);
    // What the server says about this photo when sent directly.
    const direct = await fetch(`${sys.baseUrl}/api/watchlists/${list.id}/entries/${entry.id}/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(photo),
    });
    expect(direct.status).toBe(400);
    const reason = ((await direct.json()) as { error: { message: string } }).error.message;
    expect(reason).toMatch(/no face/i);

    await signIn(page, sys.baseUrl, commander);
    await page.goto(`${sys.baseUrl}/#/watchlists`);
    await page.locator(`tr[data-watchlist-id="${list.id}"] td`).first().click();
    const panel = page.getByTestId('entries-panel');
    await expect.poll(() => panel.getAttribute('data-watchlist-id')).toBe(list.id);
    const row = panel.locator(`tr[data-entry-id="${entry.id}"]`);
    expect(await row.innerText()).toContain('张三');
    await row.getByTestId('photo-input').setInputFiles({ name: 'grey.jpg', mimeType: 'image/jpeg', buffer: photo });
    await expect.poll(() => row.getByTestId('photo-error').innerText()).toBe(reason);
    expect(await row.getByTestId('photo-count').innerText()).toBe('0 张照片');
    const photosOf = async () =>
      ((await sys.api(`/api/watchlists/${list.id}/entries`, { token: adminToken })).body.items as { id: string; photos: unknown[] }[]).find((e) => e.id === entry.id)!.photos;
    expect(await photosOf()).toHaveLength(0);

    // Two people in one photo: refused, saying so.
    await row.getByTestId('photo-input').setInputFiles({ name: 'couple.jpg', mimeType: 'image/jpeg', buffer: readFileSync(join(MEDIA_DIR, 'faces/couple.jpg')) });
    await expect.poll(() => row.getByTestId('photo-error').innerText()).toMatch(/faces|人脸/i);
    expect(await photosOf()).toHaveLength(0);

    // A real face: enrolled, counted on the row, and stored with its embedding.
    await row.getByTestId('photo-input').setInputFiles({ name: 'img1.jpg', mimeType: 'image/jpeg', buffer: readFileSync(join(MEDIA_DIR, 'faces/img1.jpg')) });
    await expect.poll(() => row.getByTestId('photo-count').innerText()).toBe('1 张照片');
    expect(await photosOf()).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });

  it('is not offered to a checkpoint officer, and refused when typed', async () => {
    const { page } = await fixture.open();
    await signIn(page, sys.baseUrl, officer);
    expect(await page.locator('[data-screen=watchlists]').count()).toBe(0);
    expect(await page.locator('[data-screen=checkpoint]').count()).toBe(1);
    await page.goto(`${sys.baseUrl}/#/watchlists`);
    await page.getByTestId('forbidden').waitFor();
  });
});
