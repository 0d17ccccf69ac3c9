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
});
