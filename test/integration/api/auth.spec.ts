import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

describe('login, sessions and roles over HTTP', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ config: { auth: { maxFailedLogins: 3, lockMinutes: 5 } } });
    await sys.createUser({ username: 'patrol1', password: 'patrol-password-1', roles: ['patrol'] });
    await sys.createUser({ username: 'locky', password: 'locky-password-1', roles: ['analyst'] });
  });
  afterAll(async () => sys?.stop());

  it('logs in with the right password and returns the user without secrets', async () => {
    const res = await sys.api('/api/auth/login', { body: sys.admin });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: 'chief', roles: ['admin'], disabled: false });
    expect(JSON.stringify(res.body)).not.toMatch(/scrypt|passwordHash/);
    const me = await sys.api('/api/auth/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('chief');
  });

  it('refuses a wrong password and an unknown user with the same clear 401', async () => {
    const wrong = await sys.api('/api/auth/login', { body: { username: 'chief', password: 'not-the-password' } });
    const unknown = await sys.api('/api/auth/login', { body: { username: 'nobody', password: 'whatever-pass' } });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({ code: 'E_UNAUTHENTICATED', message: 'Wrong user name or password.' });
    }
    const audit = await sys.api('/api/audit?action=auth.login_failed', { token: await sys.login(sys.admin.username, sys.admin.password) });
    expect(audit.body.items.map((e: { username: string }) => e.username)).toEqual(expect.arrayContaining(['chief', 'nobody']));
  });

  it('locks an account after the configured failed logins, even for the right password', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await sys.api('/api/auth/login', { body: { username: 'locky', password: `bad-${i}` } })).status).toBe(401);
    }
    const res = await sys.api('/api/auth/login', { body: { username: 'locky', password: 'locky-password-1' } });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('E_RATE_LIMITED');
    expect(res.body.error.message).toMatch(/locked after 3 failed logins/);
  });

  it('rejects malformed requests with every problem and its path', async () => {
    const res = await sys.api('/api/auth/login', { body: { username: '', password: 7, extra: true } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('E_VALIDATION');
    const paths = res.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['username', 'password']));
    const notJson = await sys.api('/api/auth/login', { body: '{"username":' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('E_VALIDATION');
  });

  it('refuses a body over the size limit', async () => {
    const res = await sys.api('/api/auth/login', { body: { username: 'x', password: 'p'.repeat(2 * 1024 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/too large/);
  });

  it('answers 401 without a token and 403 for a role without the permission', async () => {
    expect((await sys.api('/api/cameras')).status).toBe(401);
    const token = await sys.login('patrol1', 'patrol-password-1');
    expect((await sys.api('/api/cameras', { token })).status).toBe(200);
    const create = await sys.api('/api/cameras', { token, body: { name: 'x', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/a' } });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('E_FORBIDDEN');
    expect(create.body.error.message).toMatch(/patrol/);
    expect((await sys.api('/api/users', { token })).status).toBe(403);
    expect((await sys.api('/api/audit', { token })).status).toBe(403);
  });

  it('ends the session on logout: the token no longer works', async () => {
    const token = await sys.login('patrol1', 'patrol-password-1');
    expect((await sys.api('/api/auth/logout', { token, method: 'POST' })).status).toBe(204);
    const after = await sys.api('/api/auth/me', { token });
    expect(after.status).toBe(401);
  });

  it('ends a user’s sessions when an admin disables the account', async () => {
    await sys.createUser({ username: 'temp1', password: 'temp-password-1', roles: ['analyst'] });
    const token = await sys.login('temp1', 'temp-password-1');
    const adminToken = await sys.login(sys.admin.username, sys.admin.password);
    const list = await sys.api('/api/users', { token: adminToken });
    const temp = list.body.items.find((u: { username: string }) => u.username === 'temp1');
    const res = await sys.api(`/api/users/${temp.id}`, { token: adminToken, method: 'PATCH', body: { disabled: true } });
    expect(res.status).toBe(200);
    expect((await sys.api('/api/auth/me', { token })).status).toBe(401);
    const login = await sys.api('/api/auth/login', { body: { username: 'temp1', password: 'temp-password-1' } });
    expect(login.status).toBe(403);
  });

  it('will not disable the last administrator', async () => {
    const adminToken = await sys.login(sys.admin.username, sys.admin.password);
    const list = await sys.api('/api/users', { token: adminToken });
    const admins = list.body.items.filter((u: { roles: string[]; disabled: boolean }) => u.roles.includes('admin') && !u.disabled);
    // The first-start admin and the test admin: disable one, the other is then the last.
    expect(admins).toHaveLength(2);
    const first = admins.find((u: { username: string }) => u.username === 'admin');
    expect((await sys.api(`/api/users/${first.id}`, { token: adminToken, method: 'PATCH', body: { disabled: true } })).status).toBe(200);
    const chief = admins.find((u: { username: string }) => u.username === 'chief');
    const res = await sys.api(`/api/users/${chief.id}`, { token: adminToken, method: 'PATCH', body: { roles: ['analyst'] } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/last active administrator/);
  });

  it('publishes an OpenAPI document generated from the schemas', async () => {
    const res = await sys.api('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/cameras', '/api/cameras/{id}', '/api/users']));
    const body = res.body.paths['/api/cameras'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['name', 'sourceKind', 'sourceUrl']));
  });

  it('reports health of the database and Redis', async () => {
    const res = await sys.api('/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: { kind: 'pglite', ok: true, vector: true }, redis: { ok: true } });
  });
});

describe('first start', () => {
  it('creates one admin whose password must be changed, and only on the first start', async () => {
    const sys = await startTestSystem();
    const dataDir = sys.dataDir;
    try {
      expect(sys.firstAdmin?.username).toBe('admin');
      const res = await sys.api('/api/auth/login', { body: sys.firstAdmin });
      expect(res.status).toBe(200);
      expect(res.body.user.mustChangePassword).toBe(true);
      const token = res.body.token;
      const weak = await sys.api('/api/auth/password', { token, body: { currentPassword: sys.firstAdmin!.password, newPassword: 'short' } });
      expect(weak.status).toBe(400);
      const ok = await sys.api('/api/auth/password', { token, body: { currentPassword: sys.firstAdmin!.password, newPassword: 'a-much-better-password' } });
      expect(ok.status).toBe(204);
      expect((await sys.api('/api/auth/me', { token })).body.mustChangePassword).toBe(false);
    } finally {
      await sys.argus.stop();
    }
    const restarted = await startTestSystem({ dataDir });
    try {
      expect(restarted.firstAdmin).toBeNull();
      expect((await restarted.api('/api/auth/login', { body: { username: 'admin', password: 'a-much-better-password' } })).status).toBe(200);
    } finally {
      await restarted.stop();
    }
  });
});
