/**
 * Script and SQL injection in every text field a user can type, shown inert (issue 7, item 5). A
 * camera name, a site name, a watchlist name and entry reason, an alert note, an incident's title,
 * description and note, and a user's display name each hold HTML that would run script if it were
 * inserted as markup, a SQL fragment and a template expression. Each screen that shows them is
 * opened in Chromium: the text appears literally, no element from the payload exists, no script ran
 * (`window.__pwned` stays undefined, no dialog opened), and the tables are all still there.
 */
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';

/** 89 characters, under every name's limit; a prefix tells the fields apart. */
const PAYLOAD = `<img src=x onerror="__pwned=1"><script>__pwned=1</script>'; DROP TABLE cameras; --{{7*7}}`;
const P = (tag: string) => `${tag}${PAYLOAD}`;

let sys: TestSystem;
let adminToken: string;
const ids: Record<string, string> = {};

async function post<T = { id: string }>(path: string, body: unknown): Promise<T> {
  const res = await sys.api(path, { token: adminToken, body });
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

const fixture = browserFixture(async (started) => {
  sys = started;
  adminToken = await sys.login(sys.admin.username, sys.admin.password);
  await sys.createUser({ username: 'inject.user', password: 'inject-password-1', roles: ['dispatcher'], displayName: P('U') });
  const site = await post('/api/sites', { name: P('S'), kind: 'checkpoint', latitude: 31.2304, longitude: 121.4737 });
  ids.camera = (await post('/api/cameras', { name: P('C'), sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:1/inject', siteId: site.id, latitude: 31.2304, longitude: 121.4737 })).id;
  ids.list = (await post('/api/watchlists', { name: P('W'), kind: 'plate', level: 'red', covert: false })).id;
  await post(`/api/watchlists/${ids.list}/entries`, { plate: '沪A12345', reason: P('R') });
  const jpeg = (colour: string, width: number, height: number) => sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toBuffer();
  await sys.argus.services.sightings.record({
    cameraId: ids.camera,
    observedAt: new Date(),
    kind: 'plate',
    score: 0.95,
    plate: { text: '沪A12345', colour: 'blue', layers: 1 },
    label: 'car',
    crop: await jpeg('#0b4fd1', 120, 40),
    frame: await jpeg('#333333', 320, 180),
  });
  // The alert is stored as the sighting is; wait for it rather than for a fixed time.
  let alertId: string | undefined;
  for (let i = 0; i < 50 && !alertId; i++) {
    alertId = (await sys.api('/api/alerts', { token: adminToken })).body.items?.[0]?.id;
    if (!alertId) await new Promise((r) => setTimeout(r, 100));
  }
  if (!alertId) throw new Error('no alert was raised for the listed plate');
  ids.alert = alertId;
  await post(`/api/alerts/${alertId}/note`, { note: P('A') });
  ids.incident = (await post('/api/incidents', { type: 'fight', priority: 'P2', title: P('I'), description: P('D'), location: { latitude: 31.2304, longitude: 121.4737 }, address: P('X') })).id;
  await post(`/api/incidents/${ids.incident}/notes`, { note: P('N') });
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

interface Watched {
  page: Page;
  pageErrors: string[];
  dialogs: string[];
}

async function openAsAdmin(): Promise<Watched> {
  const { page, pageErrors } = await fixture.open();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await signIn(page, sys.baseUrl, sys.admin);
  return { page, pageErrors, dialogs };
}

async function showScreen(page: Page, screen: string): Promise<void> {
  await page.locator(`[data-screen=${screen}]`).click();
  await page.getByTestId(`${screen}-screen`).waitFor();
}

/** Wait until the visible text holds each tagged payload literally. */
async function expectLiteral(page: Page, tags: string[]): Promise<void> {
  for (const tag of tags) {
    try {
      // Shown (innerText; a heading styled in capitals shows it in capitals) and exactly that text in the document.
      await page.waitForFunction(
        (text) => document.body.textContent!.includes(text) && document.body.innerText.toUpperCase().includes(text.toUpperCase()),
        P(tag),
        { timeout: 15_000 },
      );
    } catch (err) {
      const text = await page.evaluate(() => document.body.innerText);
      throw new Error(`the text tagged ${tag} never appeared literally; the page shows: ${text.slice(0, 3000)}`, { cause: err });
    }
  }
}

/** Nothing from the payload became markup or ran. */
async function expectInert(w: Watched): Promise<void> {
  const state = await w.page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: unknown }).__pwned,
    injectedImages: document.querySelectorAll('img[src="x"], img[onerror]').length,
    injectedScripts: [...document.querySelectorAll('script')].filter((s) => s.textContent?.includes('__pwned')).length,
    handlerAttributes: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    evaluatedTemplate: document.body.innerText.includes('--49'),
  }));
  expect(state).toEqual({ pwned: undefined, injectedImages: 0, injectedScripts: 0, handlerAttributes: 0, evaluatedTemplate: false });
  expect(w.dialogs).toEqual([]);
  expect(w.pageErrors).toEqual([]);
}

describe('injection in text fields is shown as text', () => {
  it('cameras screen: the camera and site names', async () => {
    await fixture.ready();
    const w = await openAsAdmin();
    await showScreen(w.page, 'cameras');
    await expectLiteral(w.page, ['C']);
    await expectInert(w);
  });

  it('watchlists screen: the list name and the entry reason', async () => {
    await fixture.ready();
    const w = await openAsAdmin();
    await showScreen(w.page, 'watchlists');
    await expectLiteral(w.page, ['W']);
    await w.page.locator(`[data-watchlist-id="${ids.list}"]`).first().click();
    await w.page.getByTestId('entries-table').waitFor();
    await expectLiteral(w.page, ['R']);
    await expectInert(w);
  });

  it('alerts screen: the camera, the list, the reason and the note', async () => {
    await fixture.ready();
    const w = await openAsAdmin();
    await showScreen(w.page, 'alerts');
    const row = w.page.locator('[data-testid=alerts-table] tbody tr').first();
    await row.waitFor();
    await expectLiteral(w.page, ['C', 'W']);
    await row.click();
    await expectLiteral(w.page, ['R', 'A']);
    await expectInert(w);
  });

  it('incidents screen: the title, description, address and the note on the timeline', async () => {
    await fixture.ready();
    const w = await openAsAdmin();
    await showScreen(w.page, 'incidents');
    const row = w.page.locator(`[data-testid=incident-row][data-incident-id="${ids.incident}"]`);
    await row.waitFor();
    // The list shows the type and the address.
    await expectLiteral(w.page, ['X']);
    await row.click();
    await w.page.getByTestId('incident-detail').waitFor();
    await w.page.getByTestId('timeline-entry').first().waitFor();
    await expectLiteral(w.page, ['I', 'D', 'N']);
    await expectInert(w);
  });

  it('users screen: the display name', async () => {
    await fixture.ready();
    const w = await openAsAdmin();
    await showScreen(w.page, 'users');
    await expectLiteral(w.page, ['U']);
    await expectInert(w);
  });

  it('video wall: the camera tree with the site and camera names', async () => {
    await fixture.ready();
    const w = await openAsAdmin();
    await showScreen(w.page, 'wall');
    await w.page.getByTestId('tree-camera').first().waitFor();
    await expectLiteral(w.page, ['S', 'C']);
    await expectInert(w);
  });

  it('map: the marker titles and the selected camera’s panel', async () => {
    await fixture.ready();
    const w = await openAsAdmin();
    await showScreen(w.page, 'map');
    const marker = w.page.locator(`[data-testid=map-marker][data-marker-id*="${ids.camera}"]`).first();
    await marker.waitFor();
    // Leaflet sets the title as an attribute: the text, not markup.
    const titles = await w.page.locator('.leaflet-marker-icon').evaluateAll((els) => els.map((e) => e.getAttribute('title') ?? ''));
    expect(titles).toContain(P('C'));
    // The alert raised at the same spot lies over the camera's marker: click the camera's own element.
    await marker.locator('xpath=..').dispatchEvent('click');
    await w.page.getByTestId('map-selection').waitFor();
    await expectLiteral(w.page, ['C']);
    await expectInert(w);
  });

  it('left every table in place: the SQL in the text was stored as text', async () => {
    await fixture.ready();
    const cameras = await sys.api('/api/cameras', { token: adminToken });
    expect(cameras.status).toBe(200);
    expect(cameras.body.items.map((c: { name: string }) => c.name)).toContain(P('C'));
    for (const path of ['/api/watchlists', '/api/alerts', '/api/incidents', '/api/users', '/api/sites']) {
      expect((await sys.api(path, { token: adminToken })).status, path).toBe(200);
    }
    const incident = (await sys.api(`/api/incidents/${ids.incident}`, { token: adminToken })).body;
    expect(incident).toMatchObject({ title: P('I'), description: P('D'), address: P('X') });
  });
});
