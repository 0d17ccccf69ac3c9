import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../contracts/events.ts';
import type { ExportJob } from '../../../contracts/exports.ts';
import { readTar } from '../../../storage/export-tar.ts';
import { RecordingsRepository } from '../../../storage/repositories/recordings.repository.ts';
import { flipByte, repack } from '../../helpers/export-tamper.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The real command, as a user runs it. */
function verifyCli(file: string, publicKey?: string) {
  const args = [join(ROOT, 'bin/argus.mjs'), 'verify-export', file, ...(publicKey ? ['--public-key', publicKey] : [])];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('evidence export: API, job, package, verify-export', () => {
  let sys: TestSystem;
  let admin: string;
  let analyst: string;
  let cameraId: string;
  let otherCameraId: string;
  const segments: string[] = [];
  let outside: string;
  let sightingId: string;
  let alertId: string;
  let covertAlertId: string | undefined;
  const from = new Date(Date.now() - 10 * 60_000);
  const to = new Date(Date.now() + 60_000);

  beforeAll(async () => {
    sys = await startTestSystem();
    admin = await sys.login(sys.admin.username, sys.admin.password);
    await sys.createUser({ username: 'an1', password: 'analyst-pass-1', roles: ['analyst'] });
    await sys.createUser({ username: 'an2', password: 'analyst-pass-2', roles: ['analyst'] });
    await sys.createUser({ username: 'pt1', password: 'patrol-pass-1', roles: ['patrol'] });
    analyst = await sys.login('an1', 'analyst-pass-1');
    cameraId = (await sys.api('/api/cameras', { token: admin, body: { name: '东门 卡口 1', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/gate1' } })).body.id;
    otherCameraId = (await sys.api('/api/cameras', { token: admin, body: { name: 'Other', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/other' } })).body.id;

    // Real recorded segments (H.264 by ffmpeg) registered as the recorder does: two in the range, one before it.
    const dir = join(sys.dataDir, 'recordings', cameraId);
    mkdirSync(dir, { recursive: true });
    const repo = new RecordingsRepository(sys.argus.database.db);
    const starts = [new Date(from.getTime() + 60_000), new Date(from.getTime() + 120_000), new Date(from.getTime() - 3600_000)];
    for (const [i, start] of starts.entries()) {
      const file = join(dir, `${start.toISOString().replace(/[-:]/g, '').slice(0, 15)}.mp4`);
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=320x180:rate=10:duration=${i + 1}`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
      await repo.add({ cameraId, startedAt: start, endedAt: new Date(start.getTime() + (i + 1) * 1000), path: file, bytes: readFileSync(file).length });
      if (i < 2) segments.push(file);
      else outside = file;
    }

    // A listed plate read with its evidence image: a sighting and an alert.
    const list = await sys.api('/api/watchlists', { token: admin, body: { name: '在逃车辆', kind: 'plate', level: 'red' } });
    await sys.api(`/api/watchlists/${list.body.id}/entries`, { token: admin, body: { plate: '京A12345', caseNumber: 'AJ-2026-001' } });
    const crop = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#2050c0' } }).jpeg().toBuffer();
    const sighting = await sys.argus.services.sightings.record({ cameraId, observedAt: new Date(from.getTime() + 90_000), kind: 'plate', score: 0.93, plate: { text: '京A12345', colour: 'blue', layers: 1 }, crop });
    sightingId = sighting.id;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const alerts = await sys.api('/api/alerts', { token: admin });
      alertId = alerts.body.items?.[0]?.id;
      if (alertId) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(alertId).toBeTruthy();
    // A hit of a covert list on the other camera: only those cleared for covert lists may export it.
    const covert = await sys.api('/api/watchlists', { token: admin, body: { name: '秘密布控', kind: 'plate', level: 'orange', covert: true } });
    await sys.api(`/api/watchlists/${covert.body.id}/entries`, { token: admin, body: { plate: '京B99999' } });
    await sys.argus.services.sightings.record({ cameraId: otherCameraId, observedAt: new Date(from.getTime() + 100_000), kind: 'plate', score: 0.9, plate: { text: '京B99999' } });
    while (Date.now() < deadline + 10_000) {
      const alerts = await sys.api('/api/alerts', { token: admin });
      covertAlertId = alerts.body.items?.find((a: { id: string }) => a.id !== alertId)?.id;
      if (covertAlertId) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(covertAlertId).toBeTruthy();
  });
  afterAll(async () => sys?.stop());

  it('refuses bad requests with a clear message, and users without exports.create', async () => {
    const body = { cameraIds: [cameraId], from: from.toISOString(), to: to.toISOString(), reason: 'case 1' };
    const reversed = await sys.api('/api/exports', { token: analyst, body: { ...body, from: new Date(from.getTime() + 300_000).toISOString(), to: body.from } });
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.message).toMatch(/the end of the range must be after its start/);
    expect(reversed.body.error.issues).toEqual([{ path: 'to', message: 'the end of the range must be after its start' }]);
    const long = await sys.api('/api/exports', { token: analyst, body: { ...body, to: new Date(from.getTime() + 25 * 3600_000).toISOString() } });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/longer than 24 hours \(exports\.maxRangeHours\)/);
    const unknown = '00000000-0000-4000-8000-000000000001';
    const ghost = await sys.api('/api/exports', { token: analyst, body: { ...body, cameraIds: [cameraId, unknown] } });
    expect(ghost.status).toBe(400);
    expect(ghost.body.error.issues).toEqual([{ path: 'cameraIds.1', message: `no camera with id ${unknown}` }]);
    const noReason = await sys.api('/api/exports', { token: analyst, body: { ...body, reason: '  ' } });
    expect(noReason.status).toBe(400);
    const patrol = await sys.login('pt1', 'patrol-pass-1');
    expect((await sys.api('/api/exports', { token: patrol, body })).status).toBe(403);
    expect((await sys.api('/api/exports', { token: patrol })).status).toBe(403);
    expect((await sys.api('/api/exports')).status).toBe(401);
    expect((await sys.api('/api/exports', { token: analyst })).body.items).toEqual([]);
  });

  it('builds a signed package on the real job queue with pushed progress; the CLI verifies it and names each alteration', async () => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(sys.baseUrl, { transports: ['websocket'], auth: { token: analyst }, forceNew: true, reconnection: false });
    const updates: ExportJob[] = [];
    let done!: (job: ExportJob) => void;
    const finished = new Promise<ExportJob>((r) => (done = r));
    socket.on('export.updated', (job) => {
      updates.push(job);
      if (job.status === 'done' || job.status === 'failed') done(job);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    let job: ExportJob;
    try {
      const created = await sys.api('/api/exports', { token: analyst, body: { cameraIds: [cameraId], from: from.toISOString(), to: to.toISOString(), reason: '案件 AJ-2026-001 请求' } });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({ status: 'queued', progress: 0, cameraIds: [cameraId], createdBy: { username: 'an1' }, sha256: null });
      job = await finished;
    } finally {
      socket.disconnect();
    }
    expect(job.status).toBe('done');
    expect(job.error).toBeNull();
    // Pushed to its creator: queued, running from 0, growing progress, done at 100.
    expect(updates[0]!.status).toBe('queued');
    expect(updates.some((u) => u.status === 'running')).toBe(true);
    const progress = updates.map((u) => u.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    expect(new Set(progress).size).toBeGreaterThanOrEqual(3);

    const stored = await sys.api(`/api/exports/${job.id}`, { token: analyst });
    expect(stored.body).toMatchObject({ id: job.id, status: 'done', progress: 100, fileName: `argus-export-${job.id}.tar`, sha256: job.sha256, bytes: job.bytes });
    // Other analysts do not see it; administrators do.
    const an2 = await sys.login('an2', 'analyst-pass-2');
    expect((await sys.api(`/api/exports/${job.id}`, { token: an2 })).status).toBe(404);
    expect((await sys.api(`/api/exports/${job.id}/download`, { token: an2 })).status).toBe(404);
    expect((await sys.api('/api/exports', { token: admin })).body.items.map((e: ExportJob) => e.id)).toContain(job.id);

    // Download: the bytes are the package the job recorded.
    const res = await fetch(`${sys.baseUrl}/api/exports/${job.id}/download`, { headers: { authorization: `Bearer ${analyst}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="argus-export-${job.id}.tar"`);
    const tar = Buffer.from(await res.arrayBuffer());
    expect(tar.length).toBe(job.bytes);
    expect(sha(tar)).toBe(job.sha256);
    const work = join(sys.dataDir, 'verify');
    mkdirSync(work);
    const file = join(work, `argus-export-${job.id}.tar`);
    writeFileSync(file, tar);
    const key = await sys.api('/api/exports/public-key', { token: analyst });
    expect(key.body.fingerprint).toBe(job.keyFingerprint);
    const pem = join(work, 'server-key.pem');
    writeFileSync(pem, key.body.pem);

    // What is inside: the recorder's files byte for byte (not the segment outside the range), the
    // sighting with its evidence image, the alert, the audit entry of the export's creation.
    const { entries } = await readTar(file, (p) => p.endsWith('.json') || p.endsWith('.jpg'));
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const clipPaths = entries.filter((e) => e.path.startsWith('clips/')).map((e) => e.path);
    expect(clipPaths.sort()).toEqual(segments.map((s) => `clips/${cameraId}/${s.split('/').pop()}`).sort());
    for (const s of segments) expect(byPath.get(`clips/${cameraId}/${s.split('/').pop()}`)!.sha256).toBe(sha(readFileSync(s)));
    expect(clipPaths.join()).not.toContain(outside.split('/').pop());
    const sightings = JSON.parse(byPath.get('sightings.json')!.data!.toString('utf8'));
    expect(sightings).toHaveLength(1);
    expect(sightings[0]).toMatchObject({ id: sightingId, plate: { text: '京A12345' }, cameraId });
    expect(byPath.get(sightings[0].cropFile)?.data?.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const alerts = JSON.parse(byPath.get('alerts.json')!.data!.toString('utf8'));
    expect(alerts.map((a: { id: string }) => a.id)).toEqual([alertId]);
    const audit = JSON.parse(byPath.get('audit.json')!.data!.toString('utf8'));
    expect(audit).toContainEqual(expect.objectContaining({ action: 'export.create', targetId: job.id, username: 'an1' }));
    const manifest = JSON.parse(byPath.get('manifest.json')!.data!.toString('utf8'));
    expect(manifest).toMatchObject({ exportId: job.id, reason: '案件 AJ-2026-001 请求', cameras: [{ id: cameraId, name: '东门 卡口 1' }], counts: { segments: 2, sightings: 1, alerts: 1, evidenceImages: 1 } });

    // The real command: verified with the server key…
    const ok = verifyCli(file, pem);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`VERIFIED: ${manifest.files.length} files, signed by key ${job.keyFingerprint} (the key given with --public-key)`);
    // …and without it, verified with a clear warning about origin.
    const own = verifyCli(file);
    expect(own.code).toBe(0);
    expect(own.out).toMatch(/warning: the signature was checked with the key inside the package .* not who signed it/);

    // Tampered copies: exactly what was altered, exit 1.
    const clip = `clips/${cameraId}/${segments[0]!.split('/').pop()}`;
    const flipped = join(work, 'flipped.tar');
    flipByte(file, flipped, clip, 200);
    const changed = verifyCli(flipped, pem);
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(new RegExp(`ALTERED ${clip}: content changed \\(sha256 [0-9a-f]{12}…≠[0-9a-f]{12}…\\)\\n`));
    expect(changed.out).toContain('NOT VERIFIED: 1 problem\n');
    const removed = join(work, 'removed.tar');
    await repack(file, removed, (list) => list.filter((e) => e.path !== 'sightings.json'));
    const gone = verifyCli(removed, pem);
    expect(gone.code).toBe(1);
    expect(gone.out).toContain('ALTERED sightings.json: missing\n');
    // Unreadable: exit 2.
    const cut = join(work, 'cut.tar');
    copyFileSync(file, cut);
    truncateSync(cut, Math.floor(tar.length / 2));
    const truncated = verifyCli(cut, pem);
    expect(truncated.code).toBe(2);
    expect(truncated.err).toMatch(/^UNREADABLE .*cut\.tar: the package is truncated/);

    // Creation and download are in the audit log.
    const rows = await sys.argus.database.db.selectFrom('audit_log').selectAll().where('action', 'like', 'export.%').orderBy('at').execute();
    expect(rows.map((r) => [r.action, r.username, r.target_id])).toEqual([
      ['export.create', 'an1', job.id],
      ['export.download', 'an1', job.id],
    ]);

    // Deleting the package keeps the record; the download is then refused.
    const del = await sys.api(`/api/exports/${job.id}`, { token: analyst, method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body.fileDeletedAt).not.toBeNull();
    expect((await sys.api(`/api/exports/${job.id}/download`, { token: analyst })).status).toBe(404);
    // Five runs of the real command (each starts tsx): generous on a loaded machine.
  }, 300_000);

  it('keeps covert hits out of an analyst\'s export and puts them in an administrator\'s; a camera without recordings adds none', async () => {
    const mine = await sys.api('/api/exports', { token: analyst, body: { cameraIds: [otherCameraId], from: from.toISOString(), to: to.toISOString(), reason: 'covert?' } });
    expect(mine.status).toBe(202);
    const created = await sys.api('/api/exports', { token: admin, body: { cameraIds: [otherCameraId, cameraId], from: from.toISOString(), to: to.toISOString(), reason: 'both' } });
    expect(created.status).toBe(202);
    let job: ExportJob = created.body;
    const deadline = Date.now() + 30_000;
    while (job.status !== 'done' && job.status !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await sys.api(`/api/exports/${job.id}`, { token: admin })).body;
    }
    expect(job.status).toBe('done');
    const res = await fetch(`${sys.baseUrl}/api/exports/${job.id}/download`, { headers: { authorization: `Bearer ${admin}` } });
    const file = join(sys.dataDir, 'both.tar');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const r = verifyCli(file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('VERIFIED: ');
    const alertsIn = async (path: string) => {
      const { entries } = await readTar(path, (p) => p === 'alerts.json' || p === 'manifest.json');
      const get = (p: string) => JSON.parse(entries.find((e) => e.path === p)!.data!.toString('utf8'));
      return { alerts: (get('alerts.json') as Array<{ id: string }>).map((a) => a.id).sort(), manifest: get('manifest.json') };
    };
    const both = await alertsIn(file);
    expect(both.alerts).toEqual([alertId, covertAlertId].sort());
    expect(both.manifest.cameras.map((c: { id: string }) => c.id)).toEqual([otherCameraId, cameraId]);
    expect(both.manifest.counts.segments).toBe(2);

    // The analyst's export of the other camera: no recordings, no covert alert, still signed.
    let analystJob: ExportJob = mine.body;
    while (analystJob.status !== 'done' && analystJob.status !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      analystJob = (await sys.api(`/api/exports/${analystJob.id}`, { token: analyst })).body;
    }
    expect(analystJob.status).toBe('done');
    const dl = await fetch(`${sys.baseUrl}/api/exports/${analystJob.id}/download`, { headers: { authorization: `Bearer ${analyst}` } });
    const analystFile = join(sys.dataDir, 'analyst.tar');
    writeFileSync(analystFile, Buffer.from(await dl.arrayBuffer()));
    const theirs = await alertsIn(analystFile);
    expect(theirs.alerts).toEqual([]);
    expect(theirs.manifest.counts).toMatchObject({ segments: 0, alerts: 0, sightings: 1 });
  }, 120_000);
});
