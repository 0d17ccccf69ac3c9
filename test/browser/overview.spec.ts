/**
 * The command-centre overview in a real browser against a real Argus: a dispatcher sees the open
 * incidents by priority, units by status (stale apart), alerts awaiting acknowledgement by level
 * (a covert one left out), cameras offline and the 24-hour chart; a new incident raises its
 * priority's count live (well before the 10 s poll); the screen speaks Chinese.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';
import { SQUARE } from '../helpers/places.ts';

const dispatcher = { username: 'disp.ov', password: 'dispatch-pass-1' };

let sys: TestSystem;
let adminToken: string;

const post = <T>(path: string, body: unknown, token = adminToken): Promise<T> => sys.apiOk<T>(path, { token, body });

const alertDetail = (covert: boolean) =>
  JSON.stringify({
    watchlist: { id: 'w', name: covert ? '秘密布控' : '在逃车辆', covert },
    entry: { id: 'e', plate: '沪A12345', reason: null, caseNumber: null },
    sighting: { id: 's', observedAt: new Date().toISOString(), score: 0.9 },
    cropPath: null,
    framePath: null,
  });

const fixture = browserFixture(
  async (started) => {
    sys = started;
    await sys.createUser({ ...dispatcher, roles: ['dispatcher'], displayName: '调度员' });
    adminToken = await sys.login(sys.admin.username, sys.admin.password);
    const a = await post<{ id: string }>('/api/units', { callSign: '沪A-201', kind: 'patrol_car' });
    await post<{ id: string }>('/api/units', { callSign: '沪A-202', kind: 'patrol_car' }); // no position: stale
    await post<{ id: string }>('/api/units', { callSign: '沪A-203', kind: 'officer', status: 'off_duty' });
    await post('/api/units/positions', { positions: [{ unitId: a.id, ...SQUARE }] });
    await post('/api/incidents', { type: 'fight', priority: 'P2', source: 'call', location: SQUARE, address: '人民广场' });
    await post('/api/incidents', { type: 'theft', priority: 'P3', source: 'manual', location: SQUARE });
    const camera = await post<{ id: string }>('/api/cameras', { name: '人民广场 1 号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/square', ...SQUARE });
    const db = sys.argus.database.db;
    await db.updateTable('cameras').set({ status: 'offline' }).where('id', '=', camera.id).execute();
    await db
      .insertInto('alerts')
      .values([
        { level: 'red', detail: alertDetail(false) },
        { level: 'yellow', detail: alertDetail(false) },
        { level: 'orange', detail: alertDetail(true) },
      ])
      .execute();
  },
  { config: { dispatch: { staleAfterSeconds: 3600 } } },
);
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

async function openOverview(locale = 'en-US'): Promise<{ page: Page; pageErrors: string[] }> {
  const { page, pageErrors } = await fixture.open({ locale });
  await signIn(page, sys.baseUrl, dispatcher);
  await page.locator('[data-screen=overview]').click();
  await page.getByTestId('overview-command').waitFor();
  return { page, pageErrors };
}

const value = (page: Page, testId: string) => page.getByTestId(testId).getAttribute('data-value');

describe('command-centre overview', () => {
  it('shows the counts and the 24-hour chart, and a new incident raises its count live', async () => {
    const { page, pageErrors } = await openOverview();
    await expect.poll(() => value(page, 'incidents-P2')).toBe('1');
    expect(await value(page, 'incidents-P3')).toBe('1');
    expect(await value(page, 'incidents-P1')).toBe('0');
    expect(await value(page, 'incidents-total')).toBe('2');
    expect(await value(page, 'units-available')).toBe('1');
    expect(await value(page, 'units-off_duty')).toBe('1');
    expect(await value(page, 'units-stale')).toBe('1');
    // The covert alert is not counted for a dispatcher.
    expect(await value(page, 'alerts-red')).toBe('1');
    expect(await value(page, 'alerts-yellow')).toBe('1');
    expect(await value(page, 'alerts-orange')).toBe('0');
    expect(await value(page, 'headline-alerts')).toBe('2');
    expect(await value(page, 'headline-cameras-offline')).toBe('1');

    const chart = page.getByTestId('overview-chart');
    expect(await chart.locator('g.hour').count()).toBe(24);
    expect(await chart.getAttribute('data-total')).toBe('4');
    const current = chart.locator('g.hour').last();
    expect(await current.locator('rect.bar-incidents').getAttribute('data-value')).toBe('2');
    expect(await current.locator('rect.bar-alerts').getAttribute('data-value')).toBe('2');

    // A new P1 reaches the screen through the socket (throttled to one reload per 2 s), not the 10 s poll.
    const started = Date.now();
    await post('/api/incidents', { type: 'fire', priority: 'P1', source: 'call', location: SQUARE, address: '南京东路' });
    await expect.poll(() => value(page, 'incidents-P1'), { timeout: 4000 }).toBe('1');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await value(page, 'incidents-total')).toBe('3');
    await expect.poll(() => current.locator('rect.bar-incidents').getAttribute('data-value')).toBe('3');
    expect(pageErrors).toEqual([]);
  });

  it('speaks Chinese', async () => {
    const { page, pageErrors } = await openOverview('zh-CN');
    const text = await page.getByTestId('overview').innerText();
    for (const phrase of ['指挥中心总览', '待签收预警', '离线摄像机', '近24小时警情与预警', '在办警情', '警力状态']) expect(text).toContain(phrase);
    expect(pageErrors).toEqual([]);
  });
});
