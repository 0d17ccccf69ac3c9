/**
 * User administration and the forced password change, in a real browser against a real Argus.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { browserFixture, signIn } from './browser.ts';

const fixture = browserFixture();
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

describe('user administration', () => {
  it('creates a user who must change the password, then disables and enables it', async () => {
    const admin = await fixture.open();
    const { sys } = admin;
    await signIn(admin.page, sys.baseUrl, sys.admin);
    await admin.page.locator('[data-screen=users]').click();
    await admin.page.getByTestId('users-screen').waitFor();
    await admin.page.getByTestId('add-user').click();
    const form = admin.page.getByTestId('user-form');

    // Server validation: too short a password, no role.
    await form.locator('input[name=username]').fill('disp.wang');
    await form.locator('input[name=displayName]').fill('Wang Dispatcher');
    await form.locator('input[name=password]').fill('short');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => form.locator('[data-field=password] .field-error').count()).toBe(1);

    await form.locator('input[name=password]').fill('first-password-1');
    await form.locator('input[name=roles][value=dispatcher]').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    const row = admin.page.locator('tr[data-username="disp.wang"]');
    await row.waitFor();
    expect(await row.innerText()).toContain('Dispatcher');
    expect(await row.innerText()).toContain('Must change password');

    // The new user signs in, must change the password first, then sees only permitted screens.
    const user = await fixture.open();
    await user.page.goto(`${sys.baseUrl}/`);
    const login = user.page.getByTestId('login-form');
    await login.locator('input[name=username]').fill('disp.wang');
    await login.locator('input[name=password]').fill('first-password-1');
    await login.locator('button[type=submit]').click();
    const change = user.page.getByTestId('change-password-form');
    await change.waitFor();
    expect(await user.page.getByTestId('main-nav').count()).toBe(0);
    await change.locator('input[name=currentPassword]').fill('first-password-1');
    await change.locator('input[name=newPassword]').fill('second-password-2');
    await change.locator('input[name=repeatPassword]').fill('second-password-2');
    await change.getByRole('button', { name: 'Change password' }).click();
    await user.page.getByTestId('main-nav').waitFor();
    const screens = await user.page.locator('[data-screen]').evaluateAll((links) => links.map((l) => l.getAttribute('data-screen')));
    expect(screens).toContain('incidents');
    expect(screens).not.toContain('users');

    // Disable: the user can no longer sign in. Enable again: they can.
    await row.locator('[data-action=disable]').click();
    await row.locator('[data-action=enable]').waitFor();
    expect(await row.innerText()).toContain('Disabled');
    const refused = await sys.api('/api/auth/login', { body: { username: 'disp.wang', password: 'second-password-2' } });
    expect(refused.status).toBeGreaterThanOrEqual(400);

    await row.locator('[data-action=enable]').click();
    await row.locator('[data-action=disable]').waitFor();
    const accepted = await sys.api('/api/auth/login', { body: { username: 'disp.wang', password: 'second-password-2' } });
    expect(accepted.status).toBe(200);
    expect(admin.pageErrors).toEqual([]);
    expect(user.pageErrors).toEqual([]);
  });

  it('limits a user’s search to one area and its live view to one camera, in the camera access panel', async () => {
    const admin = await fixture.open();
    const { sys } = admin;
    const token = await sys.login(sys.admin.username, sys.admin.password);
    const site = (await sys.api('/api/sites', { token, body: { name: '南区', kind: 'area', code: 'SOUTH' } })).body as { id: string };
    const cam = (await sys.api('/api/cameras', { token, body: { name: '北门', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:1/n', enabled: false } })).body as { id: string };
    await sys.createUser({ username: 'ana.li', password: 'analyst-pass-1', roles: ['analyst'] });

    await signIn(admin.page, sys.baseUrl, sys.admin);
    await admin.page.locator('[data-screen=users]').click();
    const row = admin.page.locator('tr[data-username="ana.li"]');
    await row.waitFor();
    expect(await row.getByTestId('access-summary').innerText()).toBe('Live view: all cameras\nPlayback: all cameras\nSearch: all cameras');
    await row.locator('[data-action=access]').click();
    const panel = admin.page.getByTestId('access-panel');
    await panel.waitFor();
    const search = panel.locator('[data-kind=search]');
    await search.locator('input[value=some]').check();
    // Nothing chosen yet: the panel says what that means.
    await search.locator('.field-error').waitFor();
    await search.locator('input[data-site="南区"]').check();
    const live = panel.locator('[data-kind=live]');
    await live.locator('input[value=some]').check();
    await live.locator('input[data-camera="北门"]').check();
    await panel.getByTestId('access-save').click();
    await panel.waitFor({ state: 'detached' });
    await expect.poll(() => row.getByTestId('access-summary').innerText()).toBe('Live view: 0 areas, 1 cameras\nPlayback: all cameras\nSearch: 1 areas, 0 cameras');

    const users = (await sys.api('/api/users?limit=100', { token })).body.items as Array<{ username: string; cameraAccess: unknown }>;
    expect(users.find((u) => u.username === 'ana.li')!.cameraAccess).toEqual({
      live: { siteIds: [], cameraIds: [cam.id] },
      playback: null,
      search: { siteIds: [site.id], cameraIds: [] },
    });
    // And it holds: the camera outside the search scope is refused to the user.
    const ana = await sys.login('ana.li', 'analyst-pass-1');
    expect((await sys.api(`/api/sightings?cameraIds=${cam.id}`, { token: ana })).status).toBe(403);
    expect(admin.pageErrors).toEqual([]);
  });
});
