/**
 * Camera administration in a real browser against a real Argus: add, edit and remove through the
 * form; credentials never reach the page; pushes over socket.io update an open list.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Camera } from '../../contracts/api.ts';
import type { TestSystem } from '../helpers/system.ts';
import { browserFixture, pageContent, signIn } from './browser.ts';

const SECRET = 'secret-Pa55';
const RTSP_WITH_CREDENTIALS = `rtsp://user:${SECRET}@127.0.0.1:8554/cam1`;

let sys: TestSystem;
/** A second session (the API, as another operator's browser would use it). */
let token: string;
const fixture = browserFixture(async (started) => {
  sys = started;
  token = await started.login(started.admin.username, started.admin.password);
});
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

async function openCameras(): Promise<{ page: Page; pageErrors: string[] }> {
  const { page, pageErrors } = await fixture.open();
  await signIn(page, sys.baseUrl, sys.admin);
  await page.locator('[data-screen=cameras]').click();
  await page.getByTestId('cameras-screen').waitFor();
  await expect.poll(() => page.getByTestId('live-indicator').getAttribute('data-connected')).toBe('true');
  return { page, pageErrors };
}

async function listCameras(): Promise<Camera[]> {
  const res = await sys.api('/api/cameras', { token });
  expect(res.status).toBe(200);
  return res.body.items as Camera[];
}

const row = (page: Page, name: string) => page.locator(`tr[data-camera-name="${name}"]`);

describe('camera administration', () => {
  it('adds, edits and removes a camera without ever showing its credentials', async () => {
    const { page, pageErrors } = await openCameras();

    // Server validation errors appear next to their fields.
    await page.getByTestId('add-camera').click();
    const form = page.getByTestId('camera-form');
    await form.getByTestId('camera-save').click();
    await expect.poll(() => form.locator('[data-field=name] .field-error').count()).toBe(1);
    await expect.poll(() => form.locator('[data-field=sourceUrl] .field-error').count()).toBe(1);
    expect(await listCameras()).toHaveLength(0);

    // Add.
    await form.locator('input[name=name]').fill('Gate 7 inbound');
    await form.locator('select[name=sourceKind]').selectOption('rtsp');
    await form.locator('input[name=sourceUrl]').fill(RTSP_WITH_CREDENTIALS);
    await form.locator('input[name=latitude]').fill('30.274085');
    await form.locator('input[name=longitude]').fill('120.155070');
    await form.locator('input[name=ptz]').check();
    await form.getByTestId('camera-save').click();
    await form.waitFor({ state: 'detached' });

    const added = row(page, 'Gate 7 inbound');
    await added.waitFor();
    expect(await added.locator('td.cell-url').innerText()).toBe('rtsp://127.0.0.1:8554/cam1');
    expect(await added.innerText()).toContain('Stored');
    expect(await added.innerText()).toContain('PTZ');

    const [stored] = await listCameras();
    expect(stored).toMatchObject({ name: 'Gate 7 inbound', sourceKind: 'rtsp', hasCredentials: true, ptz: true, latitude: 30.274085, longitude: 120.15507 });
    let content = await pageContent(page);
    expect(content).not.toContain(SECRET);
    expect(content).not.toContain('@127.0.0.1');

    // Edit: the stored password is not shown, and changing other fields keeps it.
    await added.locator('[data-action=edit]').click();
    await form.waitFor();
    expect(await form.locator('input[name=name]').inputValue()).toBe('Gate 7 inbound');
    expect(await form.locator('input[name=password]').inputValue()).toBe('');
    await form.getByTestId('credentials-stored').waitFor();
    content = await pageContent(page);
    expect(content).not.toContain(SECRET);
    expect(content).not.toContain('@127.0.0.1');

    await form.locator('input[name=name]').fill('Gate 7 outbound');
    await form.locator('input[name=enabled]').uncheck();
    await form.getByTestId('camera-save').click();
    await form.waitFor({ state: 'detached' });
    const edited = row(page, 'Gate 7 outbound');
    await edited.waitFor();
    expect(await row(page, 'Gate 7 inbound').count()).toBe(0);
    expect(await edited.locator('.bool').innerText()).toBe('No');
    const [updated] = await listCameras();
    expect(updated).toMatchObject({ id: stored!.id, name: 'Gate 7 outbound', enabled: false, hasCredentials: true, sourceUrl: 'rtsp://127.0.0.1:8554/cam1' });

    // Remove, after a confirmation; cancelling first keeps the camera.
    await edited.locator('[data-action=remove]').click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Gate 7 outbound');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await listCameras()).toHaveLength(1);

    await edited.locator('[data-action=remove]').click();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await edited.waitFor({ state: 'detached' });
    expect(await listCameras()).toHaveLength(0);
    expect(pageErrors).toEqual([]);
  });

  it('shows cameras created, changed and removed by another session without a reload', async () => {
    const { page, pageErrors } = await openCameras();
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

    const created = await sys.api('/api/cameras', {
      token,
      body: { name: 'Pushed camera', sourceKind: 'rtsp', sourceUrl: 'rtsp://operator:hunter2-x@127.0.0.1:8554/pushed' },
    });
    expect(created.status).toBe(201);
    const id = (created.body as Camera).id;

    const pushed = page.locator(`tr[data-camera-id="${id}"]`);
    await pushed.waitFor({ timeout: 5_000 });
    expect(await pushed.getAttribute('data-camera-name')).toBe('Pushed camera');
    expect(await pushed.locator('td.cell-url').innerText()).toBe('rtsp://127.0.0.1:8554/pushed');
    expect(await pageContent(page)).not.toContain('hunter2-x');

    const patched = await sys.api(`/api/cameras/${id}`, { method: 'PATCH', token, body: { name: 'Pushed camera (renamed)' } });
    expect(patched.status).toBe(200);
    await expect.poll(() => pushed.getAttribute('data-camera-name'), { timeout: 5_000 }).toBe('Pushed camera (renamed)');

    const removed = await sys.api(`/api/cameras/${id}`, { method: 'DELETE', token });
    expect(removed.status).toBe(204);
    await pushed.waitFor({ state: 'detached', timeout: 5_000 });

    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
