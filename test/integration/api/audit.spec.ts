/**
 * The audit log through the real API, on PGlite and on a PostgreSQL server: each class of audited
 * action writes exactly its entry (who, what, target, the terms of searches), no entry holds a
 * secret, the database refuses to change or remove entries, no route can, and the administrators'
 * filters and CSV download work (the download itself audited).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../contracts/api.ts';
import { AUDIT_ACTIONS } from '../../../contracts/audit.ts';
import { buildApi } from '../../../command-ui/server/app.ts';
import { hashToken } from '../../../command-ui/server/services/auth.service.ts';
import { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import { auditFilter, csvField } from '../../../command-ui/server/services/system.service.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_KINDS } from '../storage/db-helpers.ts';
import { SQUARE } from '../../helpers/places.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const FACES = resolve(ROOT, '../shared/media/faces');

const CAMERA_PASSWORD = 'Cam-S3cret-9x';

describe.each(TEST_DATABASE_KINDS)('audit log on %s', (kind) => {
  let sys: TestSystem;
  let admin: string;
  let adminId: string;
  let analyst: string;
  let dispatcher: string;
  /** Every password and token this run used: none may appear in the audit log. */
  const secrets: string[] = [CAMERA_PASSWORD];

  const login = async (username: string, password: string) => {
    const token = await sys.login(username, password);
    secrets.push(password, token, hashToken(token));
    return token;
  };
  const audit = async (query: string): Promise<{ items: AuditEntry[]; total: number }> => {
    const res = await sys.api(`/api/audit?limit=1000&${query}`, { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  /** The one entry of `action` on `targetId` (fails when there are none or several). */
  const one = async (action: string, targetId?: string): Promise<AuditEntry> => {
    const found = (await audit(`action=${action}${targetId ? `&targetId=${encodeURIComponent(targetId)}` : ''}`)).items;
    expect(found, `${action} ${targetId ?? ''}: ${JSON.stringify(found)}`).toHaveLength(1);
    return found[0]!;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies of many shapes, checked by the assertions
  const ok = async (status: number, res: { status: number; body: any }): Promise<any> => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return res.body;
  };

  beforeAll(async () => {
    sys = await startTestSystem({ database: kind, config: { modelsDir: MODELS } });
    secrets.push(sys.admin.password);
    admin = await login(sys.admin.username, sys.admin.password);
    adminId = (await ok(200, await sys.api('/api/auth/me', { token: admin }))).id;
    await sys.createUser({ username: 'an1', password: 'analyst-pass-1', roles: ['analyst'] });
    await sys.createUser({ username: 'disp1', password: 'dispatch-pass-1', roles: ['dispatcher', 'commander'] });
    analyst = await login('an1', 'analyst-pass-1');
    dispatcher = await login('disp1', 'dispatch-pass-1');
  }, 180_000);
  afterAll(async () => {
    await sys?.stop();
  });

  it('records logins, failed logins with the name tried, and logouts', async () => {
    expect((await sys.api('/api/auth/login', { body: { username: 'ghost-user', password: 'not-a-password-1' } })).status).toBe(401);
    expect((await sys.api('/api/auth/login', { body: { username: 'an1', password: 'wrong-password-7' } })).status).toBe(401);
    secrets.push('not-a-password-1', 'wrong-password-7');
    const failed = (await audit('action=auth.login_failed')).items;
    expect(failed.find((e) => e.username === 'ghost-user')).toMatchObject({ userId: null, detail: { reason: 'unknown user' }, ip: '127.0.0.1' });
    expect(failed.find((e) => e.username === 'an1')).toMatchObject({ detail: { reason: 'wrong password', failures: 1 } });

    const token = await login('an1', 'analyst-pass-1');
    const logins = (await audit('action=auth.login&user=an1')).items;
    expect(logins.length).toBe(2); // beforeAll's and this one
    expect(logins[0]).toMatchObject({ username: 'an1', action: 'auth.login', ip: '127.0.0.1' });
    expect(await ok(204, await sys.api('/api/auth/logout', { token, method: 'POST' }))).toBeFalsy();
    expect((await audit('action=auth.logout&user=an1')).items).toEqual([expect.objectContaining({ username: 'an1', action: 'auth.logout' })]);
  });

  it('records user and role changes, each kind of change as its own action', async () => {
    const created = await ok(201, await sys.api('/api/users', { token: admin, body: { username: 'temp1', displayName: 'Temp', password: 'temp-password-1', roles: ['patrol'] } }));
    secrets.push('temp-password-1');
    expect(await one('user.create', created.id)).toMatchObject({ userId: adminId, username: sys.admin.username, targetType: 'user', detail: { username: 'temp1', roles: ['patrol'] } });
    await ok(200, await sys.api(`/api/users/${created.id}`, { token: admin, method: 'PATCH', body: { roles: ['patrol', 'analyst'], displayName: 'Temp Two' } }));
    expect(await one('user.role_change', created.id)).toMatchObject({ username: sys.admin.username, detail: { username: 'temp1', from: ['patrol'], to: ['patrol', 'analyst'] } });
    expect(await one('user.update', created.id)).toMatchObject({ detail: { changed: ['displayName'], to: 'Temp Two' } });
    await ok(200, await sys.api(`/api/users/${created.id}`, { token: admin, method: 'PATCH', body: { disabled: true, password: 'new-temp-password-2' } }));
    secrets.push('new-temp-password-2');
    expect(await one('user.disable', created.id)).toMatchObject({ detail: { username: 'temp1' } });
    expect(await one('user.password_reset', created.id)).toMatchObject({ detail: { username: 'temp1' } });
    await ok(200, await sys.api(`/api/users/${created.id}`, { token: admin, method: 'PATCH', body: { disabled: false } }));
    expect(await one('user.enable', created.id)).toMatchObject({ targetType: 'user' });
    // A change that changes nothing is not an entry.
    await ok(200, await sys.api(`/api/users/${created.id}`, { token: admin, method: 'PATCH', body: { roles: ['analyst', 'patrol'] } }));
    expect((await audit(`action=user.role_change&targetId=${created.id}`)).total).toBe(1);

    const temp = await login('temp1', 'new-temp-password-2');
    await ok(204, await sys.api('/api/auth/password', { token: temp, body: { currentPassword: 'new-temp-password-2', newPassword: 'own-temp-password-3' } }));
    secrets.push('own-temp-password-3');
    expect(await one('user.password_changed', created.id)).toMatchObject({ username: 'temp1' });
  });

  it('records plate searches and trajectories with their terms, and face searches without the photo', async () => {
    await ok(200, await sys.api('/api/sightings?plate=%E6%B2%AAA99999&plateMode=prefix', { token: analyst }));
    const search = (await audit('action=sightings.search&user=an1')).items;
    expect(search).toHaveLength(1);
    expect(search[0]).toMatchObject({ username: 'an1', targetType: 'sighting', detail: { plate: '沪A99999', plateMode: 'prefix', results: 0 } });
    // Paging on through the same search is not another entry.
    await ok(200, await sys.api('/api/sightings/trajectory?plate=%E6%B2%AAB12345', { token: analyst }));
    expect((await audit('action=sightings.trajectory&user=an1')).items).toEqual([expect.objectContaining({ detail: expect.objectContaining({ plate: '沪B12345', results: 0 }) })]);

    const res = await fetch(`${sys.baseUrl}/api/sightings/face-search?k=5&minScore=0.3`, {
      method: 'POST',
      headers: { authorization: `Bearer ${analyst}`, 'content-type': 'image/jpeg' },
      body: await readFile(join(FACES, 'img6.jpg')),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const face = (await audit('action=faces.search&user=an1')).items;
    expect(face).toHaveLength(1);
    expect(face[0]!.detail).toMatchObject({ k: 5, minScore: 0.3, results: 0 });
    expect(JSON.stringify(face[0]).length).toBeLessThan(1000);

    // Enrolling a photo records the quality, never the embedding or the image.
    const list = await ok(201, await sys.api('/api/watchlists', { token: admin, body: { name: '人脸审计', kind: 'face', level: 'blue' } }));
    const person = await ok(201, await sys.api(`/api/watchlists/${list.id}/entries`, { token: admin, body: { personName: '审计对象' } }));
    expect(await one('watchlist_entry.create', person.id)).toMatchObject({ detail: { watchlistId: list.id, personName: '审计对象' } });
    const photo = await fetch(`${sys.baseUrl}/api/watchlists/${list.id}/entries/${person.id}/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'image/jpeg' },
      body: await readFile(join(FACES, 'img4.jpg')),
    });
    expect(photo.status, await photo.clone().text()).toBe(201);
    const enrolled = await one('watchlist_entry.photo_add', person.id);
    expect(enrolled).toMatchObject({ targetType: 'watchlist_entry', detail: { watchlistId: list.id, model: expect.any(String), quality: expect.any(Number) } });
    expect(Object.keys(enrolled.detail).sort()).toEqual(['model', 'quality', 'watchlistId']);
  }, 120_000);

  it('records watchlist and entry changes, alert actions, and cameras without their password', async () => {
    const cam = await ok(201, await sys.api('/api/cameras', { token: admin, body: { name: 'Audit gate', sourceKind: 'rtsp', sourceUrl: `rtsp://op:${CAMERA_PASSWORD}@127.0.0.1:8554/gate` } }));
    expect(await one('camera.create', cam.id)).toMatchObject({ detail: { name: 'Audit gate', sourceUrl: 'rtsp://127.0.0.1:8554/gate' } });
    await ok(200, await sys.api(`/api/cameras/${cam.id}`, { token: admin, method: 'PATCH', body: { password: `${CAMERA_PASSWORD}-2` } }));
    secrets.push(`${CAMERA_PASSWORD}-2`);
    expect(await one('camera.update', cam.id)).toMatchObject({ detail: { changed: [], passwordChanged: true } });

    const list = await ok(201, await sys.api('/api/watchlists', { token: admin, body: { name: '审计名单', kind: 'plate', level: 'red' } }));
    expect(await one('watchlist.create', list.id)).toMatchObject({ targetType: 'watchlist', detail: { name: '审计名单', kind: 'plate', level: 'red' } });
    await ok(200, await sys.api(`/api/watchlists/${list.id}`, { token: admin, method: 'PATCH', body: { level: 'orange' } }));
    expect(await one('watchlist.update', list.id)).toMatchObject({ detail: { changed: ['level'] } });
    const entry = await ok(201, await sys.api(`/api/watchlists/${list.id}/entries`, { token: admin, body: { plate: '沪C77777', reason: '审计' } }));
    expect(await one('watchlist_entry.create', entry.id)).toMatchObject({ targetType: 'watchlist_entry', detail: { watchlistId: list.id, plate: '沪C77777' } });
    await ok(200, await sys.api(`/api/watchlists/${list.id}/entries/${entry.id}`, { token: admin, method: 'PATCH', body: { reason: '改' } }));
    expect(await one('watchlist_entry.update', entry.id)).toMatchObject({ detail: { watchlistId: list.id, changed: ['reason'] } });

    // A hit on the entry raises an alert; each officer action on it is an entry with the outcome.
    await sys.argus.services.sightings.record({ cameraId: cam.id, observedAt: new Date(), kind: 'plate', score: 0.95, plate: { text: '沪C77777', colour: 'blue', layers: 1 } });
    let alertId: string | undefined;
    for (let i = 0; i < 200 && !alertId; i++) {
      alertId = (await ok(200, await sys.api('/api/alerts', { token: dispatcher }))).items[0]?.id;
      if (!alertId) await new Promise((r) => setTimeout(r, 25));
    }
    expect(alertId).toBeDefined();
    await ok(200, await sys.api(`/api/alerts/${alertId}/acknowledge`, { token: dispatcher, body: {} }));
    await ok(200, await sys.api(`/api/alerts/${alertId}/inspect`, { token: dispatcher, body: { note: '已拦停' } }));
    await ok(200, await sys.api(`/api/alerts/${alertId}/resolve`, { token: dispatcher, body: { disposition: 'intercepted' } }));
    expect(await one('alert.acknowledge', alertId)).toMatchObject({ username: 'disp1', targetType: 'alert', detail: { level: 'orange', from: 'new', to: 'acknowledged' } });
    expect(await one('alert.inspect', alertId)).toMatchObject({ detail: { from: 'acknowledged', to: 'inspecting', note: '已拦停' } });
    expect(await one('alert.resolve', alertId)).toMatchObject({ detail: { to: 'resolved', disposition: 'intercepted' } });
    // A refused action is not an entry.
    expect((await sys.api(`/api/alerts/${alertId}/acknowledge`, { token: dispatcher, body: {} })).status).toBe(409);
    expect((await audit(`action=alert.&targetId=${alertId}`)).total).toBe(3);

    await ok(204, await sys.api(`/api/watchlists/${list.id}/entries/${entry.id}`, { token: admin, method: 'DELETE' }));
    expect(await one('watchlist_entry.delete', entry.id)).toMatchObject({ detail: { watchlistId: list.id } });
    const removed = await ok(200, await sys.api(`/api/watchlists/${list.id}`, { token: admin, method: 'DELETE' }));
    expect(await one(`watchlist.${removed.result === 'deleted' ? 'delete' : 'deactivate'}`, list.id)).toMatchObject({ username: sys.admin.username });
  }, 120_000);

  it('records incidents, dispatches, plans and units', async () => {
    const plan = await ok(201, await sys.api('/api/plans', { token: admin, body: { incidentType: 'fire', name: '审计预案', steps: ['一', '二'], notify: [], resources: [], cameraCount: 0 } }));
    expect(await one('plan.create', plan.id)).toMatchObject({ targetType: 'plan', detail: { incidentType: 'fire', name: '审计预案' } });
    await ok(200, await sys.api(`/api/plans/${plan.id}`, { token: admin, method: 'PATCH', body: { name: '审计预案二' } }));
    expect(await one('plan.update', plan.id)).toMatchObject({ detail: { changed: ['name'] } });

    const unit = await ok(201, await sys.api('/api/units', { token: dispatcher, body: { callSign: '审计1', kind: 'patrol_car' } }));
    expect(await one('unit.create', unit.id)).toMatchObject({ username: 'disp1', targetType: 'unit', detail: { callSign: '审计1', kind: 'patrol_car' } });
    await ok(200, await sys.api(`/api/units/${unit.id}`, { token: dispatcher, method: 'PATCH', body: { capabilities: ['traffic'] } }));
    expect(await one('unit.update', unit.id)).toMatchObject({ detail: { changed: ['capabilities'] } });

    const inc = await ok(201, await sys.api('/api/incidents', { token: dispatcher, body: { type: 'theft', priority: 'P2', source: 'call', location: SQUARE, caller: { name: '张', phone: '13900000000' } } }));
    expect(await one('incident.create', inc.id)).toMatchObject({ username: 'disp1', targetType: 'incident', detail: { source: 'call', type: 'theft', priority: 'P2' } });
    await ok(200, await sys.api(`/api/incidents/${inc.id}`, { token: dispatcher, method: 'PATCH', body: { priority: 'P1' } }));
    expect(await one('incident.update', inc.id)).toMatchObject({ detail: { changed: ['priority'] } });
    await ok(200, await sys.api(`/api/incidents/${inc.id}/notes`, { token: dispatcher, body: { note: '现场有人' } }));
    expect(await one('incident.note', inc.id)).toMatchObject({ username: 'disp1' });

    const [d] = (await ok(201, await sys.api(`/api/incidents/${inc.id}/dispatches`, { token: dispatcher, body: { unitIds: [unit.id] } }))).items;
    expect(await one('dispatch.create', d.id)).toMatchObject({ targetType: 'dispatch', detail: { incidentId: inc.id, unitId: unit.id, callSign: '审计1' } });
    await ok(200, await sys.api(`/api/incidents/${inc.id}/dispatches/${d.id}/status`, { token: dispatcher, body: { action: 'accept' } }));
    await ok(200, await sys.api(`/api/incidents/${inc.id}/dispatches/${d.id}/status`, { token: dispatcher, body: { action: 'cancel' } }));
    expect(await one('dispatch.accept', d.id)).toMatchObject({ detail: { incidentId: inc.id, from: 'sent', to: 'accepted' } });
    expect(await one('dispatch.cancel', d.id)).toMatchObject({ detail: { from: 'accepted', to: 'cancelled' } });

    await ok(200, await sys.api(`/api/incidents/${inc.id}/close`, { token: dispatcher, body: { outcome: 'resolved', report: '已处理' } }));
    expect(await one('incident.close', inc.id)).toMatchObject({ detail: { outcome: 'resolved' } });
    await ok(200, await sys.api(`/api/units/${unit.id}/status`, { token: dispatcher, body: { status: 'off_duty' } }));
    expect(await one('unit.status', unit.id)).toMatchObject({ detail: { to: 'off_duty' } });
    await ok(204, await sys.api(`/api/plans/${plan.id}`, { token: admin, method: 'DELETE' }));
    expect(await one('plan.delete', plan.id)).toMatchObject({ targetType: 'plan' });
  });

  it('holds no password, token, session id, camera credential or face data in any entry', async () => {
    const all = await audit('');
    expect(all.total).toBeGreaterThan(30);
    // Every action written is one of the typed list.
    for (const e of all.items) expect(AUDIT_ACTIONS as readonly string[]).toContain(e.action);
    const text = JSON.stringify(all.items);
    for (const secret of secrets) expect(text, 'a secret in the audit log').not.toContain(secret);
    expect(text).not.toMatch(/passwordHash|password_enc|"password"|scrypt|"token"|sessionId|embedding/i);
    // No image (base64 JPEG/PNG) and no vector of numbers.
    expect(text).not.toMatch(/\/9j\/|iVBORw0KGgo/);
    const longNumberArray = (v: unknown): boolean =>
      Array.isArray(v) ? (v.length >= 32 && v.every((x) => typeof x === 'number')) || v.some(longNumberArray) : typeof v === 'object' && v !== null ? Object.values(v).some(longNumberArray) : false;
    expect(all.items.filter((e) => longNumberArray(e.detail)).map((e) => e.action)).toEqual([]);
  });

  it('filters by action prefix, user (name or id), target, text and time, with paging', async () => {
    const auth = await audit('action=auth.');
    expect(auth.items.length).toBeGreaterThan(3);
    expect(new Set(auth.items.map((e) => e.action))).toEqual(new Set(['auth.login', 'auth.login_failed', 'auth.logout']));
    expect((await audit('action=auth')).total).toBe(auth.total);

    const byName = await audit('user=AN1');
    expect(byName.items.length).toBeGreaterThan(0);
    expect(byName.items.every((e) => e.username === 'an1')).toBe(true);
    const anId = byName.items.find((e) => e.userId)!.userId!;
    const byId = await audit(`user=${anId}`);
    expect(byId.items.every((e) => e.userId === anId)).toBe(true);

    const text = await audit('q=%E6%B2%AAA99999'); // 沪A99999, the analyst's search
    expect(text.items.map((e) => e.action)).toEqual(['sightings.search']);
    // LIKE wildcards in the text are literals.
    expect((await audit('q=%25')).total).toBe(0);

    const byType = await audit('targetType=plan');
    expect(new Set(byType.items.map((e) => e.action))).toEqual(new Set(['plan.create', 'plan.update', 'plan.delete']));

    const newest = await audit('');
    const p1 = (await sys.api('/api/audit?limit=3&offset=0', { token: admin })).body;
    const p2 = (await sys.api('/api/audit?limit=3&offset=3', { token: admin })).body;
    expect([...p1.items, ...p2.items].map((e: AuditEntry) => e.id)).toEqual(newest.items.slice(0, 6).map((e) => e.id));
    const ats = newest.items.map((e) => Date.parse(e.at));
    expect(ats).toEqual([...ats].sort((a, b) => b - a));

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit(`from=${encodeURIComponent(future)}`)).total).toBe(0);
    expect((await audit(`to=${encodeURIComponent(new Date(Date.parse(newest.items.at(-1)!.at)).toISOString())}`)).total).toBe(0);

    expect((await sys.api('/api/audit?action=DROP%20TABLE', { token: admin })).status).toBe(400);
    expect((await sys.api('/api/audit?nope=1', { token: admin })).status).toBe(400);
  });

  it('downloads the filtered log as CSV, and audits the download', async () => {
    const res = await fetch(`${sys.baseUrl}/api/audit.csv?action=auth.&user=an1`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="argus-audit-\d{8}-\d{6}\.csv"$/);
    const body = await res.text();
    const lines = body.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines[0]).toBe('at,username,user_id,action,target_type,target_id,ip,detail');
    const expected = await audit('action=auth.&user=an1');
    expect(lines.length - 1).toBe(expected.total);
    expect(lines.slice(1).every((l) => /^[^,]+,an1,[0-9a-f-]{36},auth\.(login|logout|login_failed),/.test(l))).toBe(true);
    expect(lines[1]!.startsWith(expected.items[0]!.at)).toBe(true);

    const exported = (await audit('action=audit.export')).items;
    expect(exported[0]).toMatchObject({ userId: adminId, action: 'audit.export', targetType: 'audit', detail: { action: 'auth.', user: 'an1' } });
    expect((await fetch(`${sys.baseUrl}/api/audit.csv`, { headers: { authorization: `Bearer ${analyst}` } })).status).toBe(403);

    // Downloads read in keyset pages: small pages give every row once, newest first, and stop at the cap.
    const repo = new AuditRepository(sys.argus.database.db);
    const all = (await audit('')).items.map((e) => e.id);
    const paged: string[] = [];
    for await (const e of repo.each({}, 1_000_000, 7)) paged.push(e.id);
    expect(paged).toEqual(all);
    const capped: string[] = [];
    for await (const e of repo.each({ action: 'auth.' }, 5, 2)) capped.push(e.id);
    expect(capped).toEqual((await audit('action=auth.')).items.slice(0, 5).map((e) => e.id));
  });

  it('answers 403 to users who are not administrators, 401 without a login', async () => {
    for (const token of [analyst, dispatcher]) expect((await sys.api('/api/audit', { token })).status).toBe(403);
    expect((await sys.api('/api/audit')).status).toBe(401);
    expect((await fetch(`${sys.baseUrl}/api/audit.csv`)).status).toBe(401);
  });

  it('has no route that changes or removes audit entries', async () => {
    const doc = await ok(200, await sys.api('/api/openapi.json'));
    const auditPaths = Object.keys(doc.paths).filter((p) => /audit/i.test(p));
    expect(auditPaths.sort()).toEqual(['/api/audit', '/api/audit.csv']);
    for (const p of auditPaths) expect(Object.keys(doc.paths[p]).filter((m) => m !== 'parameters')).toEqual(['get']);
    // The route table itself, for routes the document might not show.
    const app = await buildApi({ config: sys.argus.config, log: sys.argus.log, services: sys.argus.services, version: 'test' });
    try {
      await app.ready();
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        for (const url of ['/api/audit', '/api/audit/:id', '/api/audit.csv']) expect(app.hasRoute({ method, url }), `${method} ${url}`).toBe(false);
      }
      expect(app.hasRoute({ method: 'GET', url: '/api/audit' })).toBe(true);
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const res = await sys.api(`/api/audit/${adminId}`, { token: admin, method, body: {} });
        expect(res.status).toBe(404);
      }
    } finally {
      await app.close();
    }
  });

  it('is refused UPDATE, DELETE and TRUNCATE by the database itself', async () => {
    const db = sys.argus.database.db;
    const count = async () => Number((await sql<{ n: string | number }>`select count(*) as n from audit_log`.execute(db)).rows[0]!.n);
    const before = await count();
    await expect(sql`update audit_log set action = 'forged' where username = 'an1'`.execute(db)).rejects.toThrow(/append-only: UPDATE/);
    await expect(sql`delete from audit_log where username = 'an1'`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only: TRUNCATE/);
    await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    expect(await count()).toBe(before);
    expect((await audit('action=auth.login&user=an1')).items.every((e) => e.action === 'auth.login')).toBe(true);
  });
});

describe('audit filter and CSV helpers', () => {
  it('reads user as an id or a name, and a bare subject as a prefix', () => {
    expect(auditFilter({ user: '6F1C2B7E-0000-4000-8000-000000000001', action: 'live' })).toEqual({ userId: '6f1c2b7e-0000-4000-8000-000000000001', action: 'live.' });
    expect(auditFilter({ user: 'chief', action: 'live.open', q: 'x' })).toEqual({ username: 'chief', action: 'live.open', text: 'x' });
  });
  it('quotes CSV fields and defuses spreadsheet formulas', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('+1')).toBe("'+1");
  });
});
