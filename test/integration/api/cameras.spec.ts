import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnvifSimulator } from '../../helpers/onvif-simulator.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

describe('camera administration over HTTP', () => {
  let sys: TestSystem;
  let token: string;
  beforeAll(async () => {
    sys = await startTestSystem();
    token = await sys.login(sys.admin.username, sys.admin.password);
  });
  afterAll(async () => sys?.stop());

  it('adds an RTSP camera, keeping the credentials out of the address and encrypted at rest', async () => {
    const res = await sys.api('/api/cameras', {
      token,
      body: { name: 'Gate 1 东门', sourceKind: 'rtsp', sourceUrl: 'rtsp://viewer:S3cr%40t-pw@127.0.0.1:8554/gate1', ptz: true },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Gate 1 东门',
      sourceKind: 'rtsp',
      sourceUrl: 'rtsp://127.0.0.1:8554/gate1',
      username: 'viewer',
      hasCredentials: true,
      ptz: true,
      enabled: true,
      status: 'unknown',
    });
    expect(JSON.stringify(res.body)).not.toContain('S3cr');
    const stored = await sql<{ password_enc: string }>`select password_enc from cameras where id = ${res.body.id}`.execute(sys.argus.database.db);
    const sealed = stored.rows[0]!.password_enc;
    expect(sealed).not.toContain('S3cr');
    expect(await sys.argus.services.cameras.credentials(res.body.id)).toEqual({ username: 'viewer', password: 'S3cr@t-pw' });
    const list = await sys.api('/api/cameras', { token });
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(res.body.id);
  });

  it('accepts an ONVIF host:port and fills in the device service path', async () => {
    const sim = await startOnvifSimulator({ username: 'admin', password: 'pw' });
    try {
      const res = await sys.api('/api/cameras', { token, body: { name: 'Dome', sourceKind: 'onvif', sourceUrl: `127.0.0.1:${sim.port}`, username: 'admin', password: 'pw' } });
      expect(res.status).toBe(201);
      expect(res.body.sourceUrl).toBe(`http://127.0.0.1:${sim.port}/onvif/device_service`);
    } finally {
      await sim.stop();
    }
  });

  it('refuses bad addresses with the field that is wrong', async () => {
    const cases = [
      { body: { name: 'x', sourceKind: 'rtsp', sourceUrl: 'http://127.0.0.1/stream' }, path: 'sourceUrl' },
      { body: { name: 'x', sourceKind: 'rtsp', sourceUrl: 'rtsp://' }, path: 'sourceUrl' },
      { body: { name: 'x', sourceKind: 'onvif', sourceUrl: 'ftp://cam' }, path: 'sourceUrl' },
      { body: { name: 'x', sourceKind: 'file', sourceUrl: '/no/such/video.mp4' }, path: 'sourceUrl' },
      { body: { name: 'x', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/a', subStreamUrl: 'nonsense' }, path: 'subStreamUrl' },
    ];
    for (const c of cases) {
      const res = await sys.api('/api/cameras', { token, body: c.body });
      expect(res.status, JSON.stringify(c.body)).toBe(400);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(c.path);
    }
    const schema = await sys.api('/api/cameras', { token, body: { name: '', sourceKind: 'rtmp', sourceUrl: 'x', latitude: 123 } });
    expect(schema.status).toBe(400);
    expect(schema.body.error.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['name', 'sourceKind', 'latitude']));
    // A position is both coordinates or neither, for cameras and sites alike (found by the fuzzer: a 500 before).
    const half = await sys.api('/api/cameras', { token, body: { name: 'x', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/a', latitude: 31.2 } });
    expect(half.status).toBe(400);
    expect(half.body.error.message).toBe('Give both latitude and longitude, or neither.');
    const halfSite = await sys.api('/api/sites', { token, body: { name: 'x', kind: 'area', longitude: 121.4 } });
    expect(halfSite.status).toBe(400);
    expect(halfSite.body.error.issues[0].path).toBe('latitude');
    const count = await sys.api('/api/cameras', { token });
    expect(count.body.items.every((c: { name: string }) => c.name !== 'x')).toBe(true);
    expect(((await sys.api('/api/sites', { token })).body.items as Array<{ name: string }>).every((s) => s.name !== 'x')).toBe(true);
  });

  it('accepts a file source that exists (demo videos)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-file-'));
    const file = join(dir, 'demo clip.avi');
    writeFileSync(file, 'not really a video');
    const res = await sys.api('/api/cameras', { token, body: { name: 'Demo', sourceKind: 'file', sourceUrl: file } });
    expect(res.status).toBe(201);
    expect(res.body.sourceUrl).toBe(`file://${dir}/demo%20clip.avi`);
  });

  it('edits a camera, replaces or clears its password, and removes it', async () => {
    const created = await sys.api('/api/cameras', { token, body: { name: 'Edit me', sourceKind: 'rtsp', sourceUrl: 'rtsp://u:p1@127.0.0.1/e' } });
    const id = created.body.id;
    const renamed = await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { name: 'Edited', password: 'p2' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Edited', sourceUrl: 'rtsp://127.0.0.1/e', hasCredentials: true });
    expect((await sys.argus.services.cameras.credentials(id)).password).toBe('p2');
    const cleared = await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { username: null, password: null } });
    expect(cleared.body.hasCredentials).toBe(false);
    expect((await sys.api(`/api/cameras/${id}`, { token, method: 'DELETE' })).status).toBe(204);
    expect((await sys.api(`/api/cameras/${id}`, { token })).status).toBe(404);
    expect((await sys.api(`/api/cameras/${id}`, { token, method: 'DELETE' })).status).toBe(404);
    expect((await sys.api('/api/cameras/not-a-uuid', { token })).status).toBe(400);
  });

  it('attaches a camera to a checkpoint and refuses an unknown one', async () => {
    const site = await sys.api('/api/sites', { token, body: { name: '东环路卡口', kind: 'checkpoint', code: 'KK-001', latitude: 31.82, longitude: 117.23 } });
    expect(site.status).toBe(201);
    const cam = await sys.api('/api/cameras', { token, body: { name: 'KK-001 lane 1', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/kk1', siteId: site.body.id } });
    expect(cam.status).toBe(201);
    expect(cam.body.siteId).toBe(site.body.id);
    const bad = await sys.api('/api/cameras', {
      token,
      body: { name: 'orphan', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/o', siteId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toContain('siteId');
  });

  it('records camera changes in the audit log without the password', async () => {
    const audit = await sys.api('/api/audit?action=camera.create', { token });
    expect(audit.body.total).toBeGreaterThan(0);
    expect(JSON.stringify(audit.body)).not.toContain('S3cr');
  });
});
