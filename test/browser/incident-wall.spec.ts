/**
 * One action from an incident to the video wall: the incident detail lists its nearest cameras and
 * "open on the wall" opens exactly those, one per tile, in a grid big enough, replacing what the
 * wall showed. The cameras are fake RTSP URLs (no ingest role): the test reads which camera each
 * tile holds, not video.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../contracts/incidents.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';
import { SQUARE } from '../helpers/places.ts';

const dispatcher = { username: 'disp.wall', password: 'dispatch-pass-1' };

let sys: TestSystem;
let adminToken: string;
/** Camera ids by name, nearest to the square first. */
const cameraIds = new Map<string, string>();

const post = <T>(path: string, body: unknown, token = adminToken): Promise<T> => sys.apiOk<T>(path, { token, body });

const fixture = browserFixture(async (started) => {
  sys = started;
  await sys.createUser({ ...dispatcher, roles: ['dispatcher'] });
  adminToken = await sys.login(sys.admin.username, sys.admin.password);
  // Five cameras 0.0005° (about 55 m) apart going north from the square, one on the Bund, one without a position.
  const cams: Array<[string, Record<string, number>]> = [
    ...[0, 1, 2, 3, 4].map((i): [string, Record<string, number>] => [`广场 ${i + 1}`, { latitude: SQUARE.latitude + i * 0.0005, longitude: SQUARE.longitude }]),
    ['外滩', { latitude: 31.24, longitude: 121.49 }],
    ['无坐标', {}],
  ];
  for (const [name, at] of cams) {
    const cam = await post<{ id: string }>('/api/cameras', { name, sourceKind: 'rtsp', sourceUrl: `rtsp://127.0.0.1:8554/${cameraIds.size}`, ...at });
    cameraIds.set(name, cam.id);
  }
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

async function tiles(page: Page): Promise<Array<string | null>> {
  return page.locator('[data-testid=wall-grid] .tile[data-state]').evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-camera-id')),
  );
}

describe('nearby cameras on the wall', () => {
  it('opens exactly the incident’s nearest cameras on the wall with one action', async () => {
    const { page } = await fixture.open({ locale: 'en-US' });
    await signIn(page, sys.baseUrl, dispatcher);
    // The wall first shows something else: the Bund camera in a single tile.
    await page.locator('[data-screen=wall]').click();
    await page.getByTestId('wall-screen').waitFor();
    await page.evaluate((id) => (window.location.hash = `#/wall?cameras=${id}`), cameraIds.get('外滩')!);
    await expect.poll(() => tiles(page)).toEqual([cameraIds.get('外滩')!]);
    // The query leaves the address once applied.
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/wall');

    const incident = await post<Incident>('/api/incidents', { type: 'fight', priority: 'P2', source: 'call', location: SQUARE, address: '人民广场' });
    await page.locator('[data-screen=incidents]').click();
    await page.evaluate((id) => (window.location.hash = `#/incidents/${id}`), incident.id);
    const nearby = page.getByTestId('nearby-cameras');
    const nearest = ['广场 1', '广场 2', '广场 3', '广场 4'].map((n) => cameraIds.get(n)!);
    await expect.poll(() => nearby.locator('[data-camera-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-camera-id')))).toEqual(nearest);
    await nearby.getByTestId('open-wall').click();

    await page.getByTestId('wall-screen').waitFor();
    await expect.poll(() => page.getByTestId('wall-grid').getAttribute('data-grid')).toBe('4');
    await expect.poll(() => tiles(page)).toEqual(nearest);
    expect(await page.evaluate(() => window.location.hash)).toBe('#/wall');
    // Chosen for the user: going away and back keeps them.
    await page.locator('[data-screen=overview]').click();
    await page.locator('[data-screen=wall]').click();
    await expect.poll(() => tiles(page)).toEqual(nearest);
  });
});
