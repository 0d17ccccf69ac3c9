import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingsRepository } from '../../../storage/repositories/recordings.repository.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

describe('wall layouts and recorded video over HTTP', () => {
  let sys: TestSystem;
  let token: string;
  let cameraId: string;
  beforeAll(async () => {
    sys = await startTestSystem();
    token = await sys.login(sys.admin.username, sys.admin.password);
    cameraId = (await sys.api('/api/cameras', { token, body: { name: 'Rec cam', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/rec' } })).body.id;
    await sys.createUser({ username: 'viewer2', password: 'viewer-password-2', roles: ['dispatcher'] });
  });
  afterAll(async () => sys?.stop());

  it('saves, replaces, lists and deletes layouts per user', async () => {
    const layout = { grid: 4, tiles: [cameraId, null, null, null], tour: null };
    const saved = await sys.api('/api/me/layouts/东门%20四画面', { token, method: 'PUT', body: layout });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ name: '东门 四画面', grid: 4, tiles: [cameraId, null, null, null], tour: null });
    const tour = { cameraIds: [cameraId], intervalSeconds: 10, scope: 'tile', tileIndex: 0 };
    const replaced = await sys.api('/api/me/layouts/东门%20四画面', { token, method: 'PUT', body: { grid: 9, tiles: [cameraId], tour } });
    expect(replaced.body).toMatchObject({ grid: 9, tour });
    const mine = await sys.api('/api/me/layouts', { token });
    expect(mine.body.items).toHaveLength(1);
    const other = await sys.api('/api/me/layouts', { token: await sys.login('viewer2', 'viewer-password-2') });
    expect(other.body.items).toEqual([]);
    expect((await sys.api('/api/me/layouts/东门%20四画面', { token, method: 'DELETE' })).status).toBe(204);
    expect((await sys.api('/api/me/layouts/东门%20四画面', { token, method: 'DELETE' })).status).toBe(404);
  });

  it('refuses layouts that do not fit their grid', async () => {
    const tooMany = await sys.api('/api/me/layouts/x', { token, method: 'PUT', body: { grid: 1, tiles: [cameraId, cameraId], tour: null } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.issues[0].path).toBe('tiles');
    const badGrid = await sys.api('/api/me/layouts/x', { token, method: 'PUT', body: { grid: 5, tiles: [], tour: null } });
    expect(badGrid.status).toBe(400);
    const badTour = await sys.api('/api/me/layouts/x', {
      token,
      method: 'PUT',
      body: { grid: 4, tiles: [], tour: { cameraIds: [cameraId], intervalSeconds: 10, scope: 'tile', tileIndex: 7 } },
    });
    expect(badTour.status).toBe(400);
    expect(badTour.body.error.issues[0].path).toBe('tour.tileIndex');
  });

  it('lists recorded segments in a time range and serves their video with byte ranges', async () => {
    const dir = join(sys.dataDir, 'recordings', cameraId);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, '20261121T100000.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=10:duration=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
    const repo = new RecordingsRepository(sys.argus.database.db);
    const bytes = readFileSync(file);
    await repo.add({ cameraId, startedAt: new Date('2026-11-21T10:00:00Z'), endedAt: new Date('2026-11-21T10:00:01Z'), path: file, bytes: bytes.length });
    await repo.add({ cameraId, startedAt: new Date('2026-11-21T10:00:00Z'), endedAt: new Date('2026-11-21T10:00:01Z'), path: file, bytes: bytes.length });

    const list = await sys.api(`/api/cameras/${cameraId}/recordings?from=2026-11-21T09:00:00Z&to=2026-11-21T11:00:00Z`, { token });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toEqual({ id: expect.any(String), cameraId, startedAt: '2026-11-21T10:00:00.000Z', endedAt: '2026-11-21T10:00:01.000Z', bytes: bytes.length });
    expect(JSON.stringify(list.body)).not.toContain(sys.dataDir);
    const none = await sys.api(`/api/cameras/${cameraId}/recordings?from=2026-11-20T09:00:00Z&to=2026-11-20T11:00:00Z`, { token });
    expect(none.body.items).toEqual([]);

    const id = list.body.items[0].id;
    const whole = await fetch(`${sys.baseUrl}/api/recordings/${id}/media`, { headers: { authorization: `Bearer ${token}` } });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(`${sys.baseUrl}/api/recordings/${id}/media`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const beyond = await fetch(`${sys.baseUrl}/api/recordings/${id}/media`, { headers: { authorization: `Bearer ${token}`, range: `bytes=${bytes.length + 10}-` } });
    expect(beyond.status).toBe(416);
    // The session cookie is enough, as for a <video src>.
    const login = await fetch(`${sys.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sys.admin) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${sys.baseUrl}/api/recordings/${id}/media`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${sys.baseUrl}/api/recordings/${id}/media`)).status).toBe(401);
    const audit = await sys.api('/api/audit?action=recording.play', { token });
    expect(audit.body.total).toBeGreaterThanOrEqual(2);
  });

  it('never serves a file outside the recordings folder, whatever the row says', async () => {
    const secret = join(sys.dataDir, 'secret.txt');
    writeFileSync(secret, 'not a recording');
    const repo = new RecordingsRepository(sys.argus.database.db);
    await repo.add({ cameraId, startedAt: new Date('2026-11-21T12:00:00Z'), endedAt: new Date('2026-11-21T12:00:01Z'), path: join(sys.dataDir, 'recordings', '..', 'secret.txt'), bytes: 15 });
    const list = await sys.api(`/api/cameras/${cameraId}/recordings?from=2026-11-21T11:30:00Z&to=2026-11-21T12:30:00Z`, { token });
    const res = await sys.api(`/api/recordings/${list.body.items[0].id}/media`, { token });
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain('not a recording');
  });
});
