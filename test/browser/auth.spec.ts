/**
 * Sign-in, role-based navigation and the language switch, in a real browser against a real Argus.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { browserFixture, signIn } from './browser.ts';

const patrol = { username: 'patrol.li', password: 'patrol-password-7' };
const fixture = browserFixture((sys) => sys.createUser({ ...patrol, roles: ['patrol'] }));
afterEach(() => fixture.closePages());
afterAll(() => fixture.stop());

const page = (locale = 'en-US') => fixture.open({ locale });

describe('sign-in', () => {
  it('shows the server’s message for a wrong password and stays on the sign-in page', async () => {
    const { page: p, pageErrors, sys } = await page();
    const expected = await sys.api('/api/auth/login', { body: { username: sys.admin.username, password: 'not-the-password' } });
    expect(expected.status).toBe(401);
    const message = expected.body.error.message as string;
    expect(message.length).toBeGreaterThan(0);

    await p.goto(`${sys.baseUrl}/`);
    const form = p.getByTestId('login-form');
    await form.locator('input[name=username]').fill(sys.admin.username);
    await form.locator('input[name=password]').fill('not-the-password');
    await form.locator('button[type=submit]').click();

    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('E_UNAUTHENTICATED');
    const text = await alert.innerText();
    expect(text).toContain('Not signed in');
    expect(text).toContain(message);
    expect(await p.getByTestId('main-nav').count()).toBe(0);
    expect(await form.isVisible()).toBe(true);
    expect(await p.evaluate(() => localStorage.getItem('argus.token'))).toBeNull();

    // The right password then signs in, and the token survives a reload.
    await form.locator('input[name=password]').fill(sys.admin.password);
    await form.locator('button[type=submit]').click();
    await p.getByTestId('main-nav').waitFor();
    await p.reload();
    await p.getByTestId('main-nav').waitFor();
    expect(await p.getByTestId('current-user').getAttribute('title')).toContain(sys.admin.username);
    expect(pageErrors).toEqual([]);
  });

  it('returns to the sign-in page when the session ends on the server', async () => {
    const { page: p, sys } = await page();
    await signIn(p, sys.baseUrl, sys.admin);
    await expect.poll(() => p.getByTestId('live-indicator').getAttribute('data-connected')).toBe('true');
    // End the session behind the page's back: the server closes its socket, the page asks
    // GET /api/auth/me, gets 401 and shows the sign-in form, without any click.
    const pageToken = await p.evaluate(() => localStorage.getItem('argus.token'));
    expect(pageToken).toBeTruthy();
    const out = await sys.api('/api/auth/logout', { method: 'POST', token: pageToken });
    expect(out.status).toBe(204);
    await p.getByTestId('login-form').waitFor({ timeout: 5_000 });
    expect(await p.getByTestId('main-nav').count()).toBe(0);
    expect(await p.evaluate(() => localStorage.getItem('argus.token'))).toBeNull();
  });

  it('answers a 401 from the API with the sign-in page', async () => {
    const { page: p, sys } = await page();
    await signIn(p, sys.baseUrl, sys.admin);
    await p.evaluate(() => localStorage.setItem('argus.token', 'not-a-valid-session-token'));
    await p.reload();
    const form = p.getByTestId('login-form');
    await form.waitFor();
    expect(await form.innerText()).toContain('Your session has ended');
    expect(await p.getByTestId('main-nav').count()).toBe(0);
    expect(await p.evaluate(() => localStorage.getItem('argus.token'))).toBeNull();
  });
});

describe('roles', () => {
  it('hides administration from a patrol officer and refuses its addresses', async () => {
    const { page: p, pageErrors, sys } = await page();
    await signIn(p, sys.baseUrl, patrol);
    const nav = p.getByTestId('main-nav');
    const screens = await nav.locator('[data-screen]').evaluateAll((links) => links.map((l) => l.getAttribute('data-screen')));
    expect(screens).toEqual(expect.arrayContaining(['overview', 'alerts', 'incidents', 'patrol']));
    expect(screens).not.toContain('cameras');
    expect(screens).not.toContain('users');
    expect(screens).not.toContain('search');
    expect(await nav.textContent()).not.toContain('Administration');

    for (const address of ['#/cameras', '#/cameras/new', '#/users']) {
      await p.goto(`${sys.baseUrl}/${address}`);
      const refusal = p.getByTestId('forbidden');
      await refusal.waitFor();
      expect(await refusal.innerText()).toContain('Access refused');
      expect(await p.getByTestId('cameras-screen').count()).toBe(0);
      expect(await p.getByTestId('camera-form').count()).toBe(0);
      expect(await p.getByTestId('users-screen').count()).toBe(0);
    }

    // The administrator, by contrast, gets the screens.
    const admin = await page();
    await signIn(admin.page, sys.baseUrl, sys.admin);
    await admin.page.goto(`${sys.baseUrl}/#/cameras/new`);
    await admin.page.getByTestId('camera-form').waitFor();
    expect(await admin.page.getByTestId('forbidden').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

describe('language', () => {
  it('follows the browser language at first', async () => {
    const { page: p, sys } = await page('zh-CN');
    await p.goto(`${sys.baseUrl}/`);
    await p.getByTestId('login-form').waitFor();
    expect(await p.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await p.locator('#login-title').innerText()).toBe('登录');
  });

  it('switches between 中文 and English and keeps the choice across reloads', async () => {
    const { page: p, pageErrors, sys } = await page('en-US');
    await p.goto(`${sys.baseUrl}/`);
    await p.getByTestId('login-form').waitFor();
    expect(await p.getAttribute('html', 'lang')).toBe('en');
    expect(await p.locator('#login-title').innerText()).toBe('Sign in');

    await p.getByTestId('language-switch').getByRole('button', { name: '中文' }).click();
    await expect.poll(() => p.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await p.locator('#login-title').innerText()).toBe('登录');
    await p.reload();
    await p.getByTestId('login-form').waitFor();
    expect(await p.locator('#login-title').innerText()).toBe('登录');

    await signIn(p, sys.baseUrl, sys.admin);
    const nav = p.getByTestId('main-nav');
    expect(await nav.textContent()).toContain('系统管理');
    expect(await nav.locator('[data-screen=cameras]').innerText()).toBe('摄像机');
    expect(await nav.locator('[data-screen=wall]').innerText()).toBe('视频墙');

    await p.getByTestId('language-switch').getByRole('button', { name: 'English' }).click();
    await expect.poll(() => nav.locator('[data-screen=cameras]').innerText()).toBe('Cameras');
    expect(await p.getAttribute('html', 'lang')).toBe('en');
    expect(await nav.textContent()).toContain('Administration');
    await p.reload();
    await p.getByTestId('main-nav').waitFor();
    expect(await p.getAttribute('html', 'lang')).toBe('en');
    expect(await p.getByTestId('main-nav').locator('[data-screen=wall]').innerText()).toBe('Video wall');
    expect(pageErrors).toEqual([]);
  });
});
