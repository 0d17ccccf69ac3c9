/**
 * The patrol tablet's "alerts near me" and "cameras near my dispatch" in a real browser against a
 * real Argus, the tablet's geolocation at a known point: only watchlist hits within 2 km are listed,
 * newest first, in their level's colour with the plate, never a covert one; a dispatch shows the
 * incident's nearest cameras, and one tap opens them on the wall.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Incident, Unit } from '../../contracts/incidents.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';
import { EAST_475M, FAR, NORTH_111M, SQUARE } from '../helpers/places.ts';

const officer = { username: 'pat.near', password: 'patrol-pass-1' };

let sys: TestSystem;
let adminToken: string;
let unit: Unit;
const cameras: Record<string, string> = {};
const alerts: Record<string, string> = {};

const post = <T>(path: string, body: unknown, token = adminToken): Promise<T> => sys.apiOk<T>(path, { token, body });

const fixture = browserFixture(
  async (started) => {
    sys = started;
    await sys.createUser({ ...officer, roles: ['patrol'], displayName: '钱警官' });
    adminToken = await sys.login(sys.admin.username, sys.admin.password);
    const users = (await sys.api('/api/users', { token: adminToken })).body;
    const list = (Array.isArray(users) ? users : users.items) as Array<{ id: string; username: string }>;
    unit = await post<Unit>('/api/units', { callSign: '沪A-301', kind: 'patrol_car', userIds: [list.find((u) => u.username === officer.username)!.id] });
    for (const [name, at] of [
      ['square', SQUARE],
      ['east', EAST_475M],
      ['far', FAR],
    ] as const) {
      cameras[name] = (await post<{ id: string }>('/api/cameras', { name: `cam-${name}`, sourceKind: 'rtsp', sourceUrl: `rtsp://127.0.0.1:8554/${name}`, ...at })).id;
    }
    const detail = (plate: string, covert: boolean) =>
      JSON.stringify({ watchlist: { id: 'w', name: covert ? '秘密布控' : '在逃车辆', covert }, entry: { id: 'e', plate, reason: '涉嫌抢劫', caseNumber: null }, sighting: { id: 's', observedAt: new Date().toISOString(), score: 0.9 }, cropPath: null, framePath: null });
    const db = sys.argus.database.db;
    for (const [name, camera, level, plate, covert] of [
      ['square', 'square', 'red', '沪A12345', false],
      ['far', 'far', 'red', '沪B99999', false],
      ['covert', 'square', 'orange', '沪C77777', true],
      ['east', 'east', 'yellow', '沪D55555', false],
    ] as const) {
      alerts[name] = (await db.insertInto('alerts').values({ level, camera_id: cameras[camera]!, detail: detail(plate, covert) }).returning('id').executeTakeFirstOrThrow()).id;
    }
  },
  { config: { dispatch: { staleAfterSeconds: 3600, acceptWithinSeconds: 600 } } },
);
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

describe('patrol tablet: near me', () => {
  it('lists the watchlist hits near me, newest first, no covert ones, and opens my dispatch’s cameras on the wall', async () => {
    const { page, pageErrors } = await fixture.open({ locale: 'zh-CN', geolocation: { ...NORTH_111M, accuracy: 8 }, viewport: { width: 800, height: 1280 } });
    await signIn(page, sys.baseUrl, officer);
    await page.locator('[data-screen=patrol]').click();
    const near = page.getByTestId('patrol-alerts');
    await near.waitFor();
    await expect.poll(() => near.locator('li[data-alert-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-alert-id')))).toEqual([alerts.east, alerts.square]);
    const square = near.locator(`li[data-alert-id="${alerts.square}"]`);
    expect(await square.getAttribute('data-level')).toBe('red');
    expect(await square.innerText()).toContain('沪A12345');
    expect(await square.evaluate((e) => getComputedStyle(e).borderLeftColor)).not.toBe(await near.locator(`li[data-alert-id="${alerts.east}"]`).evaluate((e) => getComputedStyle(e).borderLeftColor));
    expect(await near.innerText()).toContain('附近预警');
    expect(await near.innerText()).not.toContain('沪C77777');

    // A dispatch: the incident's nearest cameras, and one tap opens them on the wall.
    const incident = await post<Incident>('/api/incidents', { type: 'fight', priority: 'P2', source: 'call', location: SQUARE, address: '人民广场' });
    await post(`/api/incidents/${incident.id}/dispatches`, { unitIds: [unit.id] });
    const cams = page.getByTestId('patrol-cameras');
    await expect.poll(() => cams.locator('li[data-camera-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-camera-id'))), { timeout: 10_000 }).toEqual([
      cameras.square,
      cameras.east,
      cameras.far,
    ]);
    await cams.getByTestId('patrol-cameras-wall').click();
    await page.getByTestId('wall-screen').waitFor();
    await expect
      .poll(() => page.locator('[data-testid=wall-grid] .tile[data-state]').evaluateAll((els) => els.map((e) => e.getAttribute('data-camera-id'))))
      .toEqual([cameras.square, cameras.east, cameras.far, null]);
    expect(pageErrors).toEqual([]);
  });
});
