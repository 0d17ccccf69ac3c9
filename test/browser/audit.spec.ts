/**
 * The audit log screen in a real browser against a real Argus: a second user searches a plate
 * through the Sightings screen and opens and closes an incident; the administrator finds those
 * entries by user and by action group, with the search terms, downloads them as CSV, and reads the
 * screen in Chinese once. A user who is not an administrator neither sees nor reaches the screen.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { browserFixture, signIn } from './browser.ts';

const OFFICER = { username: 'an.li', password: 'analyst-pass-77' };
const PLATE = '沪AD7788';

const fixture = browserFixture(async (sys) => {
  await sys.createUser({ ...OFFICER, roles: ['analyst', 'dispatcher'], displayName: '李分析' });
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

/** The actions of the rows shown, top to bottom. */
const shownActions = (page: Page) => page.locator('[data-testid=audit-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
const shownUsers = (page: Page) => page.locator('[data-testid=audit-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-username')));

describe('audit log screen', () => {
  it('shows what another user did, filtered by user and by action, with the search terms; downloads it as CSV', async () => {
    // The officer searches a plate on the Sightings screen, and opens and closes an incident.
    const officer = await fixture.open();
    const { sys } = officer;
    await signIn(officer.page, sys.baseUrl, OFFICER);
    const screens = await officer.page.locator('[data-screen]').evaluateAll((links) => links.map((l) => l.getAttribute('data-screen')));
    expect(screens).toContain('sightings');
    expect(screens).not.toContain('audit');
    await officer.page.locator('[data-screen=sightings]').click();
    const form = officer.page.getByTestId('sightings-form');
    await form.locator('input[name=plate]').fill(PLATE);
    await form.getByTestId('sightings-search').click();
    const token = await sys.login(OFFICER.username, OFFICER.password);
    const adminToken = await sys.login(sys.admin.username, sys.admin.password);
    await expect.poll(async () => (await sys.api(`/api/audit?action=sightings.search&user=${OFFICER.username}&q=${encodeURIComponent(PLATE)}`, { token: adminToken })).body.total).toBe(1);
    const incident = await sys.api('/api/incidents', { token, body: { type: 'theft', priority: 'P3', source: 'call', address: '南京东路 100 号' } });
    expect(incident.status).toBe(201);
    expect((await sys.api(`/api/incidents/${incident.body.id}/close`, { token, body: { outcome: 'no_trace', report: '未发现' } })).status).toBe(200);

    // A typed address is refused too.
    await officer.page.goto(`${sys.baseUrl}/#/audit`);
    await officer.page.getByTestId('forbidden').waitFor();
    expect(await officer.page.getByTestId('audit-screen').count()).toBe(0);

    // The administrator filters by that user.
    const admin = await fixture.open();
    await signIn(admin.page, sys.baseUrl, sys.admin);
    await admin.page.locator('[data-screen=audit]').click();
    const page = admin.page;
    await page.getByTestId('audit-screen').waitFor();
    const filters = page.getByTestId('audit-form');
    await filters.locator('input[name=user]').fill(OFFICER.username);
    await filters.getByTestId('audit-apply').click();
    await expect.poll(async () => new Set(await shownUsers(page))).toEqual(new Set([OFFICER.username]));
    const actions = await shownActions(page);
    expect(actions).toEqual(expect.arrayContaining(['auth.login', 'sightings.search', 'incident.create', 'incident.close']));
    const search = page.locator(`[data-testid=audit-table] tbody tr[data-action="sightings.search"]`, { hasText: PLATE });
    expect(await search.count()).toBe(1);
    const searchText = await search.innerText();
    expect(searchText).toContain('Sightings searched');
    expect(searchText).toContain(`plate=${PLATE}`);
    expect(searchText).toContain('plateMode=contains');
    expect(searchText).toContain('127.0.0.1');

    // ... and by action group: only the incident entries, newest first.
    await filters.locator('select[name=action]').selectOption('incident.');
    await filters.getByTestId('audit-apply').click();
    await expect.poll(() => shownActions(page)).toEqual(['incident.close', 'incident.create']);
    const closed = page.locator('[data-testid=audit-table] tbody tr[data-action="incident.close"]');
    expect(await closed.innerText()).toContain('Incident closed');
    expect(await closed.innerText()).toContain('outcome=no_trace');
    expect(await page.getByTestId('audit-count').innerText()).toBe('2 of 2');

    // The CSV holds the same rows, and the download is itself in the log.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^argus-audit-\d{8}-\d{6}\.csv$/);
    const csv = (await readFile((await download.path())!, 'utf8')).replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(csv[0]).toBe('at,username,user_id,action,target_type,target_id,ip,detail');
    expect(csv.slice(1).map((l) => l.split(',')[3])).toEqual(['incident.close', 'incident.create']);
    expect(csv.slice(1).every((l) => l.split(',')[1] === OFFICER.username)).toBe(true);
    const exports = await sys.api('/api/audit?action=audit.export', { token: adminToken });
    expect(exports.body.items[0]).toMatchObject({ username: sys.admin.username, detail: { user: OFFICER.username, action: 'incident.' } });

    expect(officer.pageErrors).toEqual([]);
    expect(admin.pageErrors).toEqual([]);
  });

  it('reads in Chinese', async () => {
    const { page, sys, pageErrors } = await fixture.open({ locale: 'zh-CN' });
    await signIn(page, sys.baseUrl, sys.admin);
    expect(await page.locator('[data-screen=audit]').innerText()).toContain('审计日志');
    await page.locator('[data-screen=audit]').click();
    await page.getByTestId('audit-screen').waitFor();
    expect(await page.locator('.screen-title').innerText()).toBe('审计日志');
    await page.getByTestId('audit-form').locator('select[name=action]').selectOption('auth.');
    await page.getByTestId('audit-form').getByTestId('audit-apply').click();
    await expect.poll(async () => new Set(await shownActions(page))).toEqual(new Set(['auth.login']));
    const row = page.locator('[data-testid=audit-table] tbody tr').first();
    expect(await row.innerText()).toContain('登录');
    expect(await page.locator('[data-testid=audit-table] thead').innerText()).toMatch(/时间[\s\S]*用户[\s\S]*操作[\s\S]*对象[\s\S]*详情/);
    expect(pageErrors).toEqual([]);
  });
});
