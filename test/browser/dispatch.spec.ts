/**
 * Emergency command and dispatch in a real browser against a real Argus, with two contexts: a
 * dispatcher at the dispatch desk and a patrol officer on the tablet (geolocation granted, at a
 * known point). A 110 call typed by the dispatcher becomes an incident, the nearest available unit
 * is proposed first and dispatched; the tablet shows it with its tone, the officer accepts, goes en
 * route and on scene and clears; the dispatcher's timeline shows each step with the user and time,
 * and the incident closes with a report. An SOS on the tablet reaches the dispatcher's screen; a
 * latitude out of range is shown at its field; both screens speak Chinese.
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Dispatch, Incident, Unit } from '../../contracts/incidents.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, signIn } from './browser.ts';
import { BUND_1882M, EAST_475M, NORTH_111M, SQUARE } from '../helpers/places.ts';

const dispatcher = { username: 'disp.wang', password: 'dispatch-pass-1' };
const officer = { username: 'pat.zhao', password: 'patrol-pass-1' };

let sys: TestSystem;
let adminToken: string;
let cameraId: string;
const units: Record<string, Unit> = {};

const post = <T>(path: string, body: unknown, token = adminToken): Promise<T> => sys.apiOk<T>(path, { token, body });

const fixture = browserFixture(
  async (started) => {
    sys = started;
    await sys.createUser({ ...dispatcher, roles: ['dispatcher'], displayName: '调度员王' });
    await sys.createUser({ ...officer, roles: ['patrol'], displayName: '赵警官' });
    adminToken = await sys.login(sys.admin.username, sys.admin.password);
    const users = (await sys.api('/api/users', { token: adminToken })).body;
    const list = (Array.isArray(users) ? users : users.items) as Array<{ id: string; username: string }>;
    const officerId = list.find((u) => u.username === officer.username)!.id;
    // The officer's car (its position comes from the tablet), a farther car, a nearer one that is off duty.
    units['沪A-101'] = await post<Unit>('/api/units', { callSign: '沪A-101', kind: 'patrol_car', members: [{ name: '赵警官', badge: '012345' }], userIds: [officerId] });
    units['沪A-102'] = await post<Unit>('/api/units', { callSign: '沪A-102', kind: 'patrol_car' });
    units['沪A-103'] = await post<Unit>('/api/units', { callSign: '沪A-103', kind: 'officer', status: 'off_duty' });
    await post('/api/units/positions', {
      positions: [
        { unitId: units['沪A-101']!.id, ...NORTH_111M },
        { unitId: units['沪A-102']!.id, ...BUND_1882M },
        { unitId: units['沪A-103']!.id, ...EAST_475M },
      ],
    });
    // A camera at the square with a red plate list: a pass raises an alert to turn into an incident.
    cameraId = (await post<{ id: string }>('/api/cameras', { name: '人民广场 1 号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/square', ...SQUARE })).id;
    const plates = await post<{ id: string }>('/api/watchlists', { name: '在逃车辆', kind: 'plate', level: 'red', covert: false });
    await post(`/api/watchlists/${plates.id}/entries`, { plate: '沪A12345', reason: '涉嫌抢劫逃逸', caseNumber: 'A3101002026110001' });
  },
  // Long enough that the fed positions stay current for the whole file.
  { config: { dispatch: { staleAfterSeconds: 3600, acceptWithinSeconds: 600 } } },
);
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

async function openDesk(locale = 'en-US'): Promise<{ page: Page; pageErrors: string[] }> {
  const { page, pageErrors } = await fixture.open({ locale });
  await signIn(page, sys.baseUrl, dispatcher);
  await page.locator('[data-screen=incidents]').click();
  await page.getByTestId('incidents-screen').waitFor();
  return { page, pageErrors };
}

async function openTablet(locale = 'en-US'): Promise<{ page: Page; pageErrors: string[] }> {
  const { page, pageErrors } = await fixture.open({ locale, geolocation: { ...NORTH_111M, accuracy: 8 }, viewport: { width: 800, height: 1280 } });
  await signIn(page, sys.baseUrl, officer);
  await page.locator('[data-screen=patrol]').click();
  await page.getByTestId('patrol-screen').waitFor();
  // The tablet reports where it is: the indicator says when.
  await expect.poll(() => page.getByTestId('position-status').getAttribute('data-sent'), { timeout: 15_000 }).toBe('true');
  expect(await page.getByTestId('position-status').innerText()).toMatch(/^Position sent \d{2}:\d{2}:\d{2}$|^位置已上报 \d{2}:\d{2}:\d{2}$/);
  return { page, pageErrors };
}

const dispatchStatus = (page: Page) => page.getByTestId('patrol-dispatch').getAttribute('data-status');

describe('dispatch desk and patrol tablet', () => {
  it('takes a 110 call, proposes the nearest unit, dispatches it to the tablet and follows it to the report', async () => {
    const tablet = await openTablet();
    expect(await dispatchStatus(tablet.page)).toBe('');
    const desk = await openDesk();

    // The 110 call.
    const form = desk.page.getByTestId('intake-form');
    await form.locator('input[name=caller]').fill('王先生');
    await form.locator('input[name=phone]').fill('13800000000');
    await expect.poll(() => form.locator('select[name=type] option').count()).toBeGreaterThan(3);
    await form.locator('select[name=type]').selectOption('fight');
    await form.locator('select[name=priority]').selectOption('P2');
    await form.locator('input[name=address]').fill('人民广场东侧');
    await form.locator('textarea[name=description]').fill('两名男子在广场东侧打架');
    await form.locator('input[name=latitude]').fill(String(SQUARE.latitude));
    await form.locator('input[name=longitude]').fill(String(SQUARE.longitude));
    await desk.page.getByTestId('intake-submit').click();

    const detail = desk.page.getByTestId('incident-detail');
    await detail.waitFor();
    const incidentId = (await detail.getAttribute('data-incident-id'))!;
    expect(desk.page.url()).toContain(`#/incidents/${incidentId}`);
    const stored = (await sys.api(`/api/incidents/${incidentId}`, { token: adminToken })).body as Incident;
    expect(stored).toMatchObject({ type: 'fight', priority: 'P2', source: 'call', status: 'open', address: '人民广场东侧', location: SQUARE, caller: { name: '王先生', phone: '13800000000' } });
    // It is listed among the open incidents.
    await desk.page.locator(`[data-testid=incident-row][data-incident-id="${incidentId}"]`).waitFor();

    // The nearest available unit first; the off-duty one, though nearer than the second, is not proposed.
    const rows = desk.page.getByTestId('candidate-row');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-call-sign')).toBe('沪A-101');
    expect(await rows.nth(0).getByTestId('candidate-distance').innerText()).toBe('111 m');
    expect(await rows.nth(1).getAttribute('data-call-sign')).toBe('沪A-102');
    expect(await rows.nth(1).getByTestId('candidate-distance').innerText()).toBe('1.9 km');

    await rows.nth(0).locator('[data-action=dispatch]').click();
    const dispatchRow = desk.page.getByTestId('dispatch-row');
    await dispatchRow.waitFor();
    expect(await dispatchRow.getAttribute('data-status')).toBe('sent');
    const dispatchId = (await dispatchRow.getAttribute('data-dispatch-id'))!;

    // The tablet shows it at once, with the tone and where it is from here.
    await expect.poll(() => dispatchStatus(tablet.page)).toBe('sent');
    expect(await tablet.page.getByTestId('patrol-dispatch').getAttribute('data-dispatch-id')).toBe(dispatchId);
    expect(await tablet.page.getByTestId('patrol-address').innerText()).toBe('人民广场东侧');
    expect(await tablet.page.getByTestId('patrol-type').innerText()).toBe('Fight');
    expect(await tablet.page.getByTestId('patrol-directions').innerText()).toBe('111 m south');
    await expect.poll(() => tablet.page.evaluate(() => window.__argusPatrol?.sounds() ?? [])).toContain(dispatchId);
    await expect.poll(() => tablet.page.evaluate((id) => window.__argusPatrol?.shownAt()[id] ?? null, dispatchId)).not.toBeNull();

    // accept → en route → on scene, each seen on the dispatcher's screen.
    for (const [action, status] of [
      ['accept', 'accepted'],
      ['en_route', 'en_route'],
      ['on_scene', 'on_scene'],
    ] as const) {
      await tablet.page.locator(`[data-testid=patrol-dispatch] [data-action=${action}]`).click();
      await expect.poll(() => dispatchStatus(tablet.page)).toBe(status);
      await expect.poll(() => dispatchRow.getAttribute('data-status')).toBe(status);
    }
    // Timers: the phase in progress counts up on the desk and the tablet.
    const deskTimer = dispatchRow.getByTestId('dispatch-timer');
    await expect.poll(() => deskTimer.getAttribute('data-phase')).toBe('on_scene');
    expect(await tablet.page.locator('[data-testid=patrol-dispatch] [data-testid=dispatch-timer]').getAttribute('data-phase')).toBe('on_scene');
    const timerBefore = await deskTimer.innerText();
    expect(timerBefore).toMatch(/^on scene for 0:0\d$/);
    // Accepted: the tone stopped ringing (no further repeats after a few seconds).
    const rung = (await tablet.page.evaluate(() => window.__argusPatrol?.sounds() ?? [])).length;
    await tablet.page.waitForTimeout(3500);
    expect((await tablet.page.evaluate(() => window.__argusPatrol?.sounds() ?? [])).length).toBe(rung);
    const timerAfter = await deskTimer.innerText();
    expect(timerAfter).toMatch(/^on scene for 0:\d\d$/);
    expect(Number(timerAfter.slice(-2))).toBeGreaterThanOrEqual(Number(timerBefore.slice(-2)) + 3);
    // The legs done so far, measured between the times the server stamped.
    const stamped = ((await sys.api(`/api/incidents/${incidentId}/dispatches`, { token: adminToken })).body as { items: Dispatch[] }).items.find((d) => d.id === dispatchId)!;
    const legMs = (leg: string) => dispatchRow.locator(`[data-leg=${leg}]`).getAttribute('data-ms').then(Number);
    expect(await legMs('to_accept')).toBe(Date.parse(stamped.acceptedAt!) - Date.parse(stamped.sentAt));
    expect(await legMs('travel')).toBe(Date.parse(stamped.onSceneAt!) - Date.parse(stamped.enRouteAt!));
    expect(await legMs('response')).toBe(Date.parse(stamped.onSceneAt!) - Date.parse(stamped.sentAt));
    await expect.poll(() => desk.page.getByTestId('incident-status').innerText()).toBe('On scene');

    // The timeline: each step with who and when, newest last.
    const timeline = desk.page.getByTestId('timeline-entry');
    for (const to of ['accepted', 'en_route', 'on_scene']) {
      const entry = desk.page.locator(`[data-testid=timeline-entry][data-kind=dispatch_status][data-to=${to}]`);
      await entry.waitFor();
      const text = await entry.innerText();
      expect(text).toContain(officer.username);
      expect(text).toContain('沪A-101');
      expect(text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    }
    const kinds = await timeline.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('data-to') ?? ''}`));
    // The incident's own status follows its dispatches: open → dispatched, then → on scene.
    expect(kinds).toEqual(['created:', 'dispatch_created:', 'updated:', 'dispatch_status:accepted', 'dispatch_status:en_route', 'dispatch_status:on_scene', 'updated:']);
    expect(await timeline.nth(2).innerText()).toContain('Status: Open → Dispatched');
    expect(await timeline.nth(6).innerText()).toContain('Status: Dispatched → On scene');
    expect(await timeline.nth(1).innerText()).toContain(dispatcher.username);

    // Clear on the tablet; the dispatcher closes with a report.
    await tablet.page.locator('[data-testid=patrol-dispatch] [data-action=clear]').click();
    await expect.poll(() => dispatchStatus(tablet.page)).toBe('');
    await expect.poll(() => dispatchRow.getAttribute('data-status')).toBe('cleared');
    // Cleared: the running timer stops; the time on scene is a leg now.
    await expect.poll(() => dispatchRow.getByTestId('dispatch-timer').count()).toBe(0);
    await dispatchRow.locator('[data-leg=on_scene]').waitFor();
    await expect.poll(() => tablet.page.getByTestId('unit-status').getAttribute('data-status')).toBe('available');
    expect(await tablet.page.getByTestId('patrol-history').innerText()).toContain('人民广场东侧');

    const close = desk.page.getByTestId('close-form');
    await close.locator('select[name=outcome]').selectOption('resolved');
    await close.locator('textarea[name=report]').fill('双方已调解，无人受伤。');
    await desk.page.getByTestId('close-submit').click();
    await expect.poll(() => desk.page.getByTestId('incident-status').innerText()).toBe('Closed');
    expect(await desk.page.getByTestId('incident-report').innerText()).toBe('双方已调解，无人受伤。');
    const closed = desk.page.locator('[data-testid=timeline-entry][data-kind=closed]');
    expect(await closed.innerText()).toContain(dispatcher.username);
    expect(await closed.innerText()).toContain('双方已调解，无人受伤。');
    // Closed incidents leave the open list.
    await expect.poll(() => desk.page.locator(`[data-testid=incident-row][data-incident-id="${incidentId}"]`).count()).toBe(0);
    const final = (await sys.api(`/api/incidents/${incidentId}`, { token: adminToken })).body as Incident;
    expect(final).toMatchObject({ status: 'closed', outcome: 'resolved', report: '双方已调解，无人受伤。' });

    expect(tablet.pageErrors).toEqual([]);
    expect(desk.pageErrors).toEqual([]);
  });

  it('brings an SOS from the tablet to the dispatcher’s screen', async () => {
    const desk = await openDesk();
    const tablet = await openTablet();
    await tablet.page.getByTestId('sos').click();
    // A confirm step first: nothing is sent by one touch.
    expect(await desk.page.getByTestId('sos-banner').count()).toBe(0);
    await tablet.page.getByTestId('sos-confirm').click();
    await tablet.page.getByTestId('sos-sent').waitFor();

    const banner = desk.page.getByTestId('sos-banner');
    await banner.waitFor();
    const incidentId = (await banner.getAttribute('data-incident-id'))!;
    const incident = (await sys.api(`/api/incidents/${incidentId}`, { token: adminToken })).body as Incident;
    expect(incident).toMatchObject({ source: 'sos', priority: 'P1', sosUnitId: units['沪A-101']!.id, location: NORTH_111M });
    const row = desk.page.locator(`[data-testid=incident-row][data-incident-id="${incidentId}"]`);
    expect(await row.getAttribute('data-priority')).toBe('P1');
    await banner.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => desk.page.getByTestId('incident-detail').getAttribute('data-incident-id')).toBe(incidentId);
    expect(desk.pageErrors).toEqual([]);
    expect(tablet.pageErrors).toEqual([]);
  });

  it('shows a latitude out of range at its field', async () => {
    const desk = await openDesk();
    const form = desk.page.getByTestId('intake-form');
    await expect.poll(() => form.locator('select[name=type] option').count()).toBeGreaterThan(3);
    // Picking on the map fills the coordinates with the clicked point.
    await desk.page.getByTestId('pick-on-map').click();
    const pickMap = desk.page.getByTestId('intake-map');
    await pickMap.waitFor();
    await pickMap.click({ position: { x: 120, y: 100 } });
    await expect.poll(() => form.locator('input[name=latitude]').inputValue()).toMatch(/^-?\d+\.\d{6}$/);
    expect(Math.abs(Number(await form.locator('input[name=latitude]').inputValue()))).toBeLessThanOrEqual(90);
    expect(await form.locator('input[name=longitude]').inputValue()).toMatch(/^-?\d+\.\d{6}$/);
    expect(await pickMap.locator('[data-testid=map-marker][data-marker-id=pick]').count()).toBe(1);

    await form.locator('input[name=latitude]').fill('91');
    await form.locator('input[name=longitude]').fill('121.47');
    await desk.page.getByTestId('intake-submit').click();
    const error = form.locator('[data-field="location.latitude"] .field-error');
    await error.waitFor();
    expect(await form.locator('[data-field="location.latitude"] input').getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('[data-field="location.longitude"] .field-error').count()).toBe(0);
    expect(await desk.page.getByTestId('incident-detail').count()).toBe(0);
    // Editing the field takes the message away.
    await form.locator('input[name=latitude]').fill('31.23');
    expect(await error.count()).toBe(0);
  });

  it('speaks Chinese on both screens', async () => {
    const desk = await openDesk('zh-CN');
    expect(await desk.page.locator('h1.screen-title').innerText()).toBe('警情处置');
    const form = desk.page.getByTestId('intake-form');
    expect(await form.locator('.panel-title').innerText()).toBe('110 接警登记');
    expect(await form.locator('[data-field="caller.name"] .field-label').innerText()).toBe('报警人');
    await expect.poll(() => form.locator('select[name=type] option').allInnerTexts()).toContain('打架斗殴');
    expect(await desk.page.getByTestId('intake-submit').innerText()).toBe('登记警情');

    const tablet = await openTablet('zh-CN');
    expect(await tablet.page.locator('h1.screen-title').innerText()).toBe('巡逻终端');
    expect(await tablet.page.getByTestId('sos').innerText()).toBe('一键求助 SOS');
    expect(await tablet.page.getByTestId('position-status').innerText()).toMatch(/^位置已上报 \d{2}:\d{2}:\d{2}$/);
    expect(await tablet.page.locator('[data-testid=patrol-unit-status] button[data-status=available]').innerText()).toBe('空闲');
    expect(desk.pageErrors).toEqual([]);
    expect(tablet.pageErrors).toEqual([]);
  });

  it('turns an alert into an incident with one action, keeping its evidence and the camera’s position', async () => {
    await fixture.ready();
    const jpeg = (colour: string, width: number, height: number) => sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toBuffer();
    await sys.argus.services.sightings.record({
      cameraId,
      observedAt: new Date(),
      kind: 'plate',
      score: 0.95,
      plate: { text: '沪A12345', colour: 'blue', layers: 1 },
      label: 'car',
      crop: await jpeg('#0b4fd1', 120, 40),
      frame: await jpeg('#333333', 320, 180),
    });
    const desk = await openDesk();
    await desk.page.locator('[data-screen=alerts]').click();
    const row = desk.page.locator('[data-testid=alerts-table] tbody tr').first();
    await row.waitFor();
    await row.locator('[data-action=create-incident]').click();

    const detail = desk.page.getByTestId('incident-detail');
    await detail.waitFor();
    const incidentId = (await detail.getAttribute('data-incident-id'))!;
    expect(desk.page.url()).toContain(`#/incidents/${incidentId}`);
    const incident = (await sys.api(`/api/incidents/${incidentId}`, { token: adminToken })).body as Incident;
    expect(incident).toMatchObject({ source: 'alert', priority: 'P1', location: SQUARE, evidence: { cameraId } });
    // The evidence image is shown and loads.
    const image = detail.locator('[data-testid=incident-evidence] img');
    await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(120);
    // Its nearby cameras, with the camera that saw it.
    await expect.poll(() => desk.page.locator(`[data-testid=nearby-cameras] [data-camera-id="${cameraId}"]`).count()).toBe(1);
    expect(desk.pageErrors).toEqual([]);
  });

  it('shows cameras, units by status and open incidents on the map, live', async () => {
    const desk = await openDesk();
    await desk.page.locator('[data-screen=map]').click();
    await desk.page.getByTestId('map-screen').waitFor();
    const map = desk.page.getByTestId('command-map');
    const unitMarker = (id: string) => map.locator(`[data-testid=map-marker][data-marker-id="unit:${id}"]`);
    const second = units['沪A-102']!.id;
    await unitMarker(second).waitFor();
    await map.locator(`[data-testid=map-marker][data-marker-id="camera:${cameraId}"]`).waitFor();
    expect(await map.locator('[data-testid=map-marker][data-marker-id^="incident:"]').count()).toBeGreaterThan(0);
    const colour = () => unitMarker(second).evaluate((e) => (e as HTMLElement).style.getPropertyValue('--marker-colour'));
    expect(await colour()).toBe('#2fbf71');
    // A status change is pushed and recoloured.
    expect((await sys.api(`/api/units/${second}/status`, { token: adminToken, body: { status: 'busy' } })).status).toBe(200);
    await expect.poll(colour).toBe('#a070ff');
    // Choosing a unit shows it, and it can be followed.
    // The map fits everything shown; with the legend open a marker may sit below the fold of this
    // window, so the marker's own click is sent rather than a pointer click at its place.
    await unitMarker(second).dispatchEvent('click');
    await expect.poll(() => desk.page.getByTestId('map-selection').innerText()).toContain('沪A-102');
    expect(await desk.page.getByTestId('map-unit-status').innerText()).toContain('Busy');
    await desk.page.getByTestId('follow-unit').check();
    expect(desk.pageErrors).toEqual([]);
  });
});

