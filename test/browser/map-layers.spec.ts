/**
 * The command map's checkpoint and recent-alert layers in a real browser against a real Argus:
 * checkpoints with a position are drawn, alerts of the last hour at their camera's (or site's)
 * position in their level's colour, older ones not; each layer has a legend entry and a toggle.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';
import { NORTH_111M, SQUARE } from '../helpers/places.ts';

const dispatcher = { username: 'disp.map', password: 'dispatch-pass-1' };

let sys: TestSystem;
let checkpointId: string;
let noPositionSiteId: string;
const alerts: Record<string, string> = {};

const fixture = browserFixture(async (started) => {
  sys = started;
  await sys.createUser({ ...dispatcher, roles: ['dispatcher'] });
  const db = sys.argus.database.db;
  checkpointId = (await db.insertInto('sites').values({ name: '北卡口', kind: 'checkpoint', code: 'KK-01', ...NORTH_111M }).returning('id').executeTakeFirstOrThrow()).id;
  noPositionSiteId = (await db.insertInto('sites').values({ name: '无坐标卡口', kind: 'checkpoint' }).returning('id').executeTakeFirstOrThrow()).id;
  const camera = (await db.insertInto('cameras').values({ name: '广场 1', source_kind: 'rtsp', source_url: 'rtsp://127.0.0.1:1/a', ...SQUARE }).returning('id').executeTakeFirstOrThrow()).id;
  const detail = (plate: string) =>
    JSON.stringify({ watchlist: { id: 'w', name: '在逃车辆', covert: false }, entry: { id: 'e', plate, reason: null, caseNumber: null }, sighting: { id: 's', observedAt: new Date().toISOString(), score: 0.9 }, cropPath: null, framePath: null });
  for (const [name, level, ago] of [
    ['recent', 'red', 5 * 60_000],
    ['old', 'orange', 2 * 3_600_000],
  ] as const) {
    alerts[name] = (await db.insertInto('alerts').values({ level, camera_id: camera, created_at: new Date(Date.now() - ago), detail: detail('沪A12345') }).returning('id').executeTakeFirstOrThrow()).id;
  }
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

describe('command map layers', () => {
  it('draws checkpoints and the last hour’s alerts with a legend and toggles', async () => {
    const { sys: s, page, pageErrors } = await fixture.open({ locale: 'zh-CN' });
    await signIn(page, s.baseUrl, dispatcher);
    await page.locator('[data-screen=map]').click();
    const map = page.getByTestId('command-map');
    const marker = (id: string) => map.locator(`[data-testid=map-marker][data-marker-id="${id}"]`);
    await marker(`checkpoint:${checkpointId}`).waitFor();
    expect(await marker(`checkpoint:${noPositionSiteId}`).count()).toBe(0);
    await marker(`alert:${alerts.recent}`).waitFor();
    expect(await marker(`alert:${alerts.old}`).count()).toBe(0);
    const colour = await marker(`alert:${alerts.recent}`).evaluate((e) => (e as HTMLElement).style.getPropertyValue('--marker-colour'));
    const settings = (await s.api('/api/settings/display', { token: await s.login(dispatcher.username, dispatcher.password) })).body as { alertLevels: Record<string, { colour: string }> };
    expect(colour.trim().toLowerCase()).toBe(settings.alertLevels.red!.colour.toLowerCase());

    const legend = page.getByTestId('map-legend');
    const text = await legend.innerText();
    for (const phrase of ['图层', '卡口', '近1小时预警', '摄像机', 'P1']) expect(text).toContain(phrase);
    // Toggling a layer hides and shows its markers only.
    await legend.getByTestId('map-layer-alerts').uncheck();
    await expect.poll(() => marker(`alert:${alerts.recent}`).count()).toBe(0);
    expect(await marker(`checkpoint:${checkpointId}`).count()).toBe(1);
    await legend.getByTestId('map-layer-checkpoints').uncheck();
    await expect.poll(() => marker(`checkpoint:${checkpointId}`).count()).toBe(0);
    await legend.getByTestId('map-layer-alerts').check();
    await marker(`alert:${alerts.recent}`).waitFor();
    // Selecting the alert shows what it is.
    await marker(`alert:${alerts.recent}`).click();
    await expect.poll(() => page.getByTestId('map-selection').innerText()).toContain('沪A12345');
    expect(pageErrors).toEqual([]);
  });
});
