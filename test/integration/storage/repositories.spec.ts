import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { cameraSchema, siteSchema, userSchema, auditEntrySchema } from '../../../contracts/api.ts';
import type { AuditAction } from '../../../contracts/audit.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../contracts/errors.ts';
import { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import { CamerasRepository, toCamera } from '../../../storage/repositories/cameras.repository.ts';
import { SessionsRepository } from '../../../storage/repositories/sessions.repository.ts';
import { SitesRepository } from '../../../storage/repositories/sites.repository.ts';
import { toUser, UsersRepository } from '../../../storage/repositories/users.repository.ts';
import { TEST_DATABASE_KINDS, uniqueName, useTestDatabases } from './db-helpers.ts';

const dbs = useTestDatabases();

const hour = 3600_000;

describe.each(TEST_DATABASE_KINDS)('repositories on %s', (kind) => {
  const db = () => dbs.get(kind).db;

  describe('UsersRepository', () => {
    it('creates, finds (case-insensitively), lists, updates and counts users', async () => {
      const users = new UsersRepository(db());
      const name = uniqueName('Officer');
      const before = await users.count();
      const created = await users.create({ username: name, displayName: 'Officer One', passwordHash: 'hash-1', roles: ['patrol', 'checkpoint'] });
      expect(created).toMatchObject({
        username: name,
        displayName: 'Officer One',
        roles: ['patrol', 'checkpoint'],
        disabled: false,
        mustChangePassword: false,
        passwordHash: 'hash-1',
        failedLogins: 0,
        lockedUntil: null,
      });
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
      expect(await users.count()).toBe(before + 1);

      expect(await users.findById(created.id)).toEqual(created);
      expect(await users.findByUsername(name.toUpperCase())).toEqual(created);
      expect(await users.findByUsername(`${name}x`)).toBeUndefined();
      expect(await users.findById(randomUUID())).toBeUndefined();

      const updated = await users.update(created.id, { displayName: 'Renamed', roles: ['admin'], disabled: true, mustChangePassword: true, passwordHash: 'hash-2' });
      expect(updated).toMatchObject({ id: created.id, displayName: 'Renamed', roles: ['admin'], disabled: true, mustChangePassword: true, passwordHash: 'hash-2' });
      expect(await users.findById(created.id)).toEqual(updated);
      // Only the fields given change.
      expect(await users.update(created.id, { displayName: 'Again' })).toMatchObject({ displayName: 'Again', roles: ['admin'], passwordHash: 'hash-2' });
      expect(await users.update(randomUUID(), { displayName: 'Nobody' })).toBeUndefined();

      const page = await users.list({ limit: 1000, offset: 0 });
      expect(page.total).toBe(await users.count());
      expect(page.items.map((u) => u.id)).toContain(created.id);
      const names = page.items.map((u) => u.username.toLowerCase());
      expect(names).toEqual([...names].sort());
      const second = await users.list({ limit: 1, offset: 1 });
      expect(second.items).toHaveLength(Math.min(1, Math.max(0, page.total - 1)));
      if (page.items[1]) expect(second.items[0]!.id).toBe(page.items[1].id);
    });

    it('refuses a duplicate user name, whatever its case, with a ConflictError', async () => {
      const users = new UsersRepository(db());
      const name = uniqueName('dup');
      await users.create({ username: name, displayName: 'A', passwordHash: 'h', roles: ['analyst'] });
      const attempt = users.create({ username: name.toUpperCase(), displayName: 'B', passwordHash: 'h', roles: ['analyst'] });
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(users.create({ username: name, displayName: 'B', passwordHash: 'h', roles: ['analyst'] })).rejects.toThrow(
        `User name ${name} is already taken`,
      );
    });

    it('counts failed logins atomically, locks, and resets', async () => {
      const users = new UsersRepository(db());
      const u = await users.create({ username: uniqueName('lock'), displayName: 'L', passwordHash: 'h', roles: ['patrol'] });
      expect(await users.recordFailedLogin(u.id, null)).toBe(1);
      expect(await users.recordFailedLogin(u.id, null)).toBe(2);
      const counts = await Promise.all([1, 2, 3].map(() => users.recordFailedLogin(u.id, null)));
      expect(counts.sort()).toEqual([3, 4, 5]);
      const until = new Date(Date.now() + 15 * 60_000);
      expect(await users.recordFailedLogin(u.id, until)).toBe(6);
      const locked = await users.findById(u.id);
      expect(locked?.failedLogins).toBe(6);
      expect(locked?.lockedUntil?.getTime()).toBe(until.getTime());
      // A later failure without a lock time keeps the existing lock.
      await users.recordFailedLogin(u.id, null);
      expect((await users.findById(u.id))?.lockedUntil?.getTime()).toBe(until.getTime());
      await users.resetFailedLogins(u.id);
      expect(await users.findById(u.id)).toMatchObject({ failedLogins: 0, lockedUntil: null });
      await expect(users.recordFailedLogin(randomUUID(), null)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('toUser drops the secrets and matches the API schema', async () => {
      const users = new UsersRepository(db());
      const u = await users.create({ username: uniqueName('api'), displayName: 'A', passwordHash: 'secret-hash', roles: ['commander'], mustChangePassword: true });
      const api = toUser(u);
      expect(userSchema.strict().parse(api)).toEqual(api);
      expect(JSON.stringify(api)).not.toContain('secret-hash');
      expect(Object.keys(api).sort()).toEqual(['cameraAccess', 'createdAt', 'disabled', 'displayName', 'id', 'mustChangePassword', 'roles', 'username']);
      // A new user may see every camera; a scope set later is read back as stored.
      expect(api.cameraAccess).toEqual({ live: null, playback: null, search: null });
      const scoped = await users.update(u.id, { cameraAccess: { live: null, playback: { siteIds: [], cameraIds: [u.id] }, search: null } });
      expect(scoped?.cameraAccess.playback).toEqual({ siteIds: [], cameraIds: [u.id] });
    });
  });

  describe('SessionsRepository', () => {
    it('finds active sessions, not expired or revoked ones; touch renews; deleteExpired removes dead ones', async () => {
      const users = new UsersRepository(db());
      const sessions = new SessionsRepository(db());
      const u = await users.create({ username: uniqueName('sess'), displayName: 'S', passwordHash: 'h', roles: ['patrol'] });
      const now = new Date();
      const live = uniqueName('live');
      const old = uniqueName('old');
      const gone = uniqueName('gone');
      await sessions.create({ tokenHash: live, userId: u.id, expiresAt: new Date(now.getTime() + hour), ip: '127.0.0.1', userAgent: 'vitest' });
      await sessions.create({ tokenHash: old, userId: u.id, expiresAt: new Date(now.getTime() - 1000), ip: null, userAgent: null });
      await sessions.create({ tokenHash: gone, userId: u.id, expiresAt: new Date(now.getTime() + hour), ip: null, userAgent: null });

      const found = await sessions.findActive(live, now);
      expect(found).toEqual({ userId: u.id, expiresAt: new Date(now.getTime() + hour) });
      expect(await sessions.findActive(old, now)).toBeUndefined();
      // Expiry is judged at the time given.
      expect(await sessions.findActive(live, new Date(now.getTime() + 2 * hour))).toBeUndefined();
      expect(await sessions.findActive(uniqueName('none'), now)).toBeUndefined();

      const later = new Date(now.getTime() + 3 * hour);
      await sessions.touch(live, later);
      expect(await sessions.findActive(live, new Date(now.getTime() + 2 * hour))).toEqual({ userId: u.id, expiresAt: later });

      await sessions.revoke(gone);
      expect(await sessions.findActive(gone, now)).toBeUndefined();
      // A revoked session cannot be renewed back to life.
      await sessions.touch(gone, later);
      expect(await sessions.findActive(gone, now)).toBeUndefined();

      const removed = await sessions.deleteExpired(now);
      expect(removed).toBeGreaterThanOrEqual(2); // `old` (expired) and `gone` (revoked); other tests' rows may add
      const left = await db().selectFrom('sessions').select('token_hash').where('user_id', '=', u.id).execute();
      expect(left.map((r) => r.token_hash)).toEqual([live]);
    });

    it('revokeAllForUser ends every session of that user only; deleting a user deletes its sessions', async () => {
      const users = new UsersRepository(db());
      const sessions = new SessionsRepository(db());
      const a = await users.create({ username: uniqueName('sa'), displayName: 'A', passwordHash: 'h', roles: ['patrol'] });
      const b = await users.create({ username: uniqueName('sb'), displayName: 'B', passwordHash: 'h', roles: ['patrol'] });
      const now = new Date();
      const exp = new Date(now.getTime() + hour);
      const [a1, a2, b1] = [uniqueName('a1'), uniqueName('a2'), uniqueName('b1')];
      for (const [t, user] of [[a1, a], [a2, a], [b1, b]] as const) {
        await sessions.create({ tokenHash: t, userId: user.id, expiresAt: exp, ip: null, userAgent: null });
      }
      expect(await sessions.revokeAllForUser(a.id)).toBe(2);
      expect(await sessions.revokeAllForUser(a.id)).toBe(0);
      expect(await sessions.findActive(a1, now)).toBeUndefined();
      expect(await sessions.findActive(a2, now)).toBeUndefined();
      expect(await sessions.findActive(b1, now)).toEqual({ userId: b.id, expiresAt: exp });

      await db().deleteFrom('users').where('id', '=', b.id).execute();
      const rows = await db().selectFrom('sessions').select('token_hash').where('token_hash', '=', b1).execute();
      expect(rows).toEqual([]);
    });
  });

  describe('SitesRepository', () => {
    it('creates, lists by name, finds and deletes sites', async () => {
      const sites = new SitesRepository(db());
      const code = uniqueName('K').slice(0, 16);
      const s = await sites.create({ name: uniqueName('Zeta checkpoint'), kind: 'checkpoint', code, latitude: 31.2304, longitude: 121.4737 });
      expect(siteSchema.strict().parse(s)).toEqual(s);
      expect(s).toMatchObject({ kind: 'checkpoint', code, latitude: 31.2304, longitude: 121.4737 });
      const bare = await sites.create({ name: uniqueName('Alpha area'), kind: 'area' });
      expect(bare).toMatchObject({ code: null, latitude: null, longitude: null });

      expect(await sites.findById(s.id)).toEqual(s);
      const list = await sites.list();
      const names = list.map((x) => x.name);
      expect(names).toEqual([...names].sort());
      expect(list.map((x) => x.id)).toEqual(expect.arrayContaining([s.id, bare.id]));

      await expect(sites.create({ name: 'Dup', kind: 'station', code })).rejects.toBeInstanceOf(ConflictError);
      expect(await sites.update(bare.id, { kind: 'station', latitude: 10, longitude: 20 })).toMatchObject({ kind: 'station', latitude: 10, longitude: 20 });

      expect(await sites.delete(s.id)).toBe(true);
      expect(await sites.delete(s.id)).toBe(false);
      expect(await sites.findById(s.id)).toBeUndefined();
    });
  });

  describe('CamerasRepository', () => {
    it('creates, reads, lists by name, updates and deletes cameras', async () => {
      const cameras = new CamerasRepository(db());
      const sites = new SitesRepository(db());
      const site = await sites.create({ name: uniqueName('Gate'), kind: 'checkpoint' });
      const name = uniqueName('Cam North');
      const cam = await cameras.create({
        name,
        sourceKind: 'rtsp',
        sourceUrl: 'rtsp://10.0.0.5:554/Streaming/Channels/101',
        subStreamUrl: 'rtsp://10.0.0.5:554/Streaming/Channels/102',
        username: 'admin',
        passwordEnc: 'v1:sealed',
        siteId: site.id,
        latitude: 30.5,
        longitude: 114.3,
        ptz: true,
        enabled: true,
      });
      expect(cam).toMatchObject({
        name,
        sourceKind: 'rtsp',
        username: 'admin',
        passwordEnc: 'v1:sealed',
        hasCredentials: true,
        siteId: site.id,
        ptz: true,
        enabled: true,
        status: 'unknown',
        statusReason: null,
        statusChangedAt: null,
      });
      expect(await cameras.findById(cam.id)).toEqual(cam);

      const api = toCamera(cam);
      expect(cameraSchema.strict().parse(api)).toEqual(api);
      expect(JSON.stringify(api)).not.toContain('sealed');

      const bare = await cameras.create({ name: uniqueName('Cam Bare'), sourceKind: 'file', sourceUrl: 'file:///media/demo.mp4' });
      expect(bare).toMatchObject({ hasCredentials: false, username: null, passwordEnc: null, siteId: null, ptz: false, enabled: true, subStreamUrl: null });

      const updated = await cameras.update(cam.id, { name: `${name} 2`, username: null, passwordEnc: null, enabled: false });
      expect(updated).toMatchObject({ name: `${name} 2`, username: null, passwordEnc: null, hasCredentials: false, enabled: false, ptz: true, siteId: site.id });
      expect(new Date(updated!.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(cam.updatedAt).getTime());
      expect(await cameras.update(randomUUID(), { name: 'x' })).toBeUndefined();

      const page = await cameras.list({ limit: 1000, offset: 0 });
      const names = page.items.map((c) => c.name);
      expect(names).toEqual([...names].sort());
      expect(page.total).toBeGreaterThanOrEqual(2);
      expect(page.items.map((c) => c.id)).toEqual(expect.arrayContaining([cam.id, bare.id]));
      const one = await cameras.list({ limit: 1, offset: 0 });
      expect(one.items).toHaveLength(1);
      expect(one.total).toBe(page.total);

      // Deleting the site keeps the camera, without a site.
      await sites.delete(site.id);
      expect((await cameras.findById(cam.id))?.siteId).toBeNull();

      expect(await cameras.delete(cam.id)).toBe(true);
      expect(await cameras.delete(cam.id)).toBe(false);
      expect(await cameras.findById(cam.id)).toBeUndefined();
    });

    it('rejects a site that does not exist with a ValidationError naming siteId', async () => {
      const cameras = new CamerasRepository(db());
      const missing = randomUUID();
      const err = await cameras.create({ name: uniqueName('Orphan'), sourceKind: 'rtsp', sourceUrl: 'rtsp://h/s', siteId: missing }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues).toEqual([{ path: 'siteId', message: 'no such site' }]);
      expect((err as Error).message).toContain(missing);
      const cam = await cameras.create({ name: uniqueName('Ok'), sourceKind: 'rtsp', sourceUrl: 'rtsp://h/s' });
      await expect(cameras.update(cam.id, { siteId: missing })).rejects.toBeInstanceOf(ValidationError);
    });

    it('setStatus records the state; status_changed_at moves only when the status changes', async () => {
      const cameras = new CamerasRepository(db());
      const cam = await cameras.create({ name: uniqueName('Status'), sourceKind: 'onvif', sourceUrl: 'http://10.0.0.9/onvif/device_service' });
      const online = await cameras.setStatus(cam.id, 'online', null);
      expect(online).toMatchObject({ status: 'online', statusReason: null });
      expect(online!.statusChangedAt).not.toBeNull();
      // Make the recorded change time clearly older, then report the same status again.
      await sql`update cameras set status_changed_at = now() - interval '1 hour' where id = ${cam.id}`.execute(db());
      const changedAt = (await cameras.findById(cam.id))!.statusChangedAt!;
      const again = await cameras.setStatus(cam.id, 'online', 'still fine');
      expect(again).toMatchObject({ status: 'online', statusReason: 'still fine', statusChangedAt: changedAt });
      const degraded = await cameras.setStatus(cam.id, 'degraded', 'fps 3 < 10');
      expect(degraded).toMatchObject({ status: 'degraded', statusReason: 'fps 3 < 10' });
      expect(new Date(degraded!.statusChangedAt!).getTime()).toBeGreaterThan(new Date(changedAt).getTime() + 30 * 60_000);
      expect(await cameras.setStatus(randomUUID(), 'offline', 'gone')).toBeUndefined();
    });

    it('toCamera redacts credentials that a hand-typed source URL holds', async () => {
      const cameras = new CamerasRepository(db());
      const cam = await cameras.create({ name: uniqueName('Leaky'), sourceKind: 'rtsp', sourceUrl: 'rtsp://admin:hunter2@10.1.1.1/live' });
      expect(cam.sourceUrl).toBe('rtsp://admin:hunter2@10.1.1.1/live'); // the record keeps what ingest needs
      expect(toCamera(cam).sourceUrl).toBe('rtsp://admin:***@10.1.1.1/live');
    });

    it('refuses to delete a camera that has sightings (evidence)', async () => {
      const cameras = new CamerasRepository(db());
      const cam = await cameras.create({ name: uniqueName('Evidence'), sourceKind: 'rtsp', sourceUrl: 'rtsp://h/s' });
      await db().insertInto('sightings').values({ observed_at: new Date(), camera_id: cam.id, kind: 'plate', score: 0.9, box: '{}', attributes: '{}', plate_text: 'ABC123', track_id: null, label: null, plate_colour: null, plate_layers: null, crop_path: null, frame_path: null }).execute();
      await expect(cameras.delete(cam.id)).rejects.toBeInstanceOf(ConflictError);
      expect(await cameras.findById(cam.id)).toBeDefined();
    });
  });

  describe('AuditRepository', () => {
    it('appends and lists newest first, with filters and paging', async () => {
      const audit = new AuditRepository(db());
      const userId = randomUUID();
      // Unique names (not real actions) keep this test apart from others on the shared database.
      const action = uniqueName('camera.update') as AuditAction;
      const t0 = new Date();
      for (let i = 0; i < 5; i++) {
        // Apart by more than a millisecond, so the from/to cuts below (Date has ms precision) are exact.
        if (i > 0) await new Promise((r) => setTimeout(r, 3));
        await audit.append({ userId, username: 'admin', action, targetType: 'camera', targetId: `cam-${i}`, detail: { i, nested: { ok: true } }, ip: '10.0.0.1' });
      }
      const other = uniqueName('other') as AuditAction;
      await audit.append({ userId: null, username: null, action: other });

      const all = await audit.list({ action, limit: 100, offset: 0 });
      expect(all.total).toBe(5);
      expect(all.items.map((e) => e.targetId)).toEqual(['cam-4', 'cam-3', 'cam-2', 'cam-1', 'cam-0']);
      for (const e of all.items) expect(auditEntrySchema.strict().parse(e)).toEqual(e);
      expect(all.items[0]).toMatchObject({ userId, username: 'admin', action, targetType: 'camera', detail: { i: 4, nested: { ok: true } }, ip: '10.0.0.1' });
      const ats = all.items.map((e) => Date.parse(e.at));
      expect(ats).toEqual([...ats].sort((a, b) => b - a));

      const page2 = await audit.list({ action, limit: 2, offset: 2 });
      expect(page2.total).toBe(5);
      expect(page2.items.map((e) => e.targetId)).toEqual(['cam-2', 'cam-1']);

      const byUser = await audit.list({ userId, limit: 100, offset: 0 });
      expect(byUser.total).toBe(5);
      expect(byUser.items.every((e) => e.userId === userId)).toBe(true);

      const cut = all.items[1]!.at; // cam-3
      const to = await audit.list({ action, to: new Date(cut), limit: 100, offset: 0 });
      expect(to.items.map((e) => e.targetId)).toEqual(['cam-2', 'cam-1', 'cam-0']);
      const from = await audit.list({ action, from: new Date(cut), limit: 100, offset: 0 });
      expect(from.items.map((e) => e.targetId)).toEqual(['cam-4', 'cam-3']);
      expect((await audit.list({ action, from: new Date(t0.getTime() + hour), limit: 10, offset: 0 })).total).toBe(0);

      const minimal = await audit.list({ action: other, limit: 10, offset: 0 });
      expect(minimal.total).toBe(1);
      expect(minimal.items[0]).toMatchObject({ userId: null, username: null, targetType: null, targetId: null, detail: {}, ip: null });
    });

    it('audit rows cannot be changed or removed through the database', async () => {
      const audit = new AuditRepository(db());
      const action = uniqueName('user.login') as AuditAction;
      await audit.append({ userId: null, username: 'someone', action });
      await expect(db().updateTable('audit_log').set({ action: 'forged' }).where('action', '=', action).execute()).rejects.toThrow(/append-only/);
      await expect(db().deleteFrom('audit_log').where('action', '=', action).execute()).rejects.toThrow(/append-only/);
      expect((await audit.list({ action, limit: 10, offset: 0 })).items.map((e) => e.action)).toEqual([action]);
    });
  });
});
