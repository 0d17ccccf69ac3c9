import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArgus, type ArgusInstance } from '../../../cli/serve.ts';
import { loadConfig } from '../../../config/load.ts';
import { createLogger } from '../../../config/logger.ts';
import { startOnvifSimulator } from '../../helpers/onvif-simulator.ts';
import { TEST_REDIS_URL } from '../../helpers/system.ts';

/**
 * No secret reaches a log line: a real Argus (api, worker and ingest roles, logging at trace, every
 * line captured) is given a camera with a password in its fields and in its RTSP URL (ingest pulls it,
 * fails and reconnects, logging the URL), users with passwords, logins, a password change, session
 * tokens used and ended, a face enrolled on a watchlist and a face search by photo. Then no captured
 * line may hold the camera password, a user's password, a session token or a face embedding.
 *
 * It starts Argus itself, with the settings of test/helpers/system.ts startTestSystem, because that
 * helper logs to standard output, where pino writes past process.stdout and nothing can catch it.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const FACE = resolve(ROOT, '../shared/media/faces/img1.jpg');

const CAMERA_PASSWORD = `CamPw-${randomBytes(6).toString('hex')}`;
const URL_PASSWORD = `UrlPw-${randomBytes(6).toString('hex')}`;
const USER_PASSWORD = `UserPw-${randomBytes(6).toString('hex')}`;
const NEW_PASSWORD = `NewPw-${randomBytes(6).toString('hex')}`;
const ADMIN_PASSWORD = `AdminPw-${randomBytes(6).toString('hex')}`;
const ONVIF_PASSWORD = `OnvifPw-${randomBytes(6).toString('hex')}`;

/** Sixteen or more numbers with decimals in a row, in a JSON array or as text: what an embedding looks like. */
const FLOAT_RUN = /(-?\d+(\.\d+)?(e-?\d+)?\s*,\s*){15,}-?\d+\.\d+/i;

describe('no secret in any log line', () => {
  const lines: string[] = [];
  let argus: ArgusInstance;
  let dataDir: string;
  const api = async (path: string, init: { method?: string; token?: string; body?: unknown; raw?: Buffer; type?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.raw) headers['content-type'] = init.type ?? 'application/octet-stream';
    const res = await fetch(`${argus.url}${path}`, {
      method: init.method ?? (init.body !== undefined || init.raw ? 'POST' : 'GET'),
      headers,
      body: init.raw ? new Uint8Array(init.raw) : init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies of several shapes, read by field
    return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
  };
  const login = async (username: string, password: string) => {
    const res = await api('/api/auth/login', { body: { username, password } });
    expect(res.status).toBe(200);
    return res.body.token as string;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'argus-secrecy-'));
    const config = loadConfig({
      env: {},
      overrides: {
        roles: ['api', 'worker', 'ingest'],
        relay: { enabled: false },
        dataDir,
        modelsDir: MODELS,
        server: { host: '127.0.0.1', port: 0 },
        redis: { url: TEST_REDIS_URL, startLocal: false, prefix: `argus-secrecy-${randomBytes(6).toString('hex')}` },
        secrets: { key: randomBytes(32).toString('hex') },
        ingest: { roundSeconds: 1, backoffSeconds: [0.2] },
        log: { level: 'trace', pretty: false },
      },
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    argus = await startArgus(config, { log: createLogger(config, sink) });
  }, 60_000);
  afterAll(async () => {
    await argus?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs no camera password, user password, session token or face embedding', async () => {
    // Users and sessions: an administrator created over the API, logins, a password change, logout.
    await argus.services.users.create({ username: 'boss', displayName: 'Boss', password: ADMIN_PASSWORD, roles: ['admin'] }, null, { ip: null, userAgent: null });
    const admin = await login('boss', ADMIN_PASSWORD);
    expect((await api('/api/users', { token: admin, body: { username: 'analyst1', displayName: 'A', password: USER_PASSWORD, roles: ['analyst', 'admin'] } })).status).toBe(201);
    const wrong = await api('/api/auth/login', { body: { username: 'analyst1', password: `${USER_PASSWORD}-wrong` } });
    expect(wrong.status).toBe(401);
    const token = await login('analyst1', USER_PASSWORD);
    expect((await api('/api/auth/me', { token })).status).toBe(200);
    expect((await api('/api/auth/password', { token, body: { currentPassword: USER_PASSWORD, newPassword: NEW_PASSWORD } })).status).toBe(204);
    const token2 = await login('analyst1', NEW_PASSWORD);
    expect((await api('/api/auth/me', { token: `${token2}x` })).status).toBe(401); // a wrong token is logged as refused
    // A socket with the token, and one with a wrong token.
    for (const [auth, event] of [
      [token2, 'connect'],
      [`${token2}x`, 'connect_error'],
    ] as const) {
      const socket = connect(argus.url!, { transports: ['websocket'], auth: { token: auth }, forceNew: true, reconnection: false });
      await new Promise<void>((resolve) => socket.once(event, () => resolve()));
      socket.disconnect();
    }

    // Cameras: a password in the fields and another in the URL; ingest pulls both (nothing listens
    // there), so ffmpeg's command line, its errors and the reconnects are logged.
    const cam1 = await api('/api/cameras', {
      token: admin,
      body: { name: 'Gate 1', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:9/gate1', username: 'viewer', password: CAMERA_PASSWORD },
    });
    expect(cam1.status).toBe(201);
    const cam2 = await api('/api/cameras', { token: admin, body: { name: 'Gate 2', sourceKind: 'rtsp', sourceUrl: `rtsp://admin:${URL_PASSWORD}@127.0.0.1:9/gate2` } });
    expect(cam2.status).toBe(201);
    expect((await api(`/api/cameras/${cam1.body.id}`, { token: admin, method: 'PATCH', body: { password: `${CAMERA_PASSWORD}2` } })).status).toBe(200);
    // An ONVIF camera: refused with a wrong password, then added (its stream address is asked for and pulled).
    const sim = await startOnvifSimulator({ username: 'admin', password: ONVIF_PASSWORD });
    try {
      const onvif = { name: 'Dome', sourceKind: 'onvif', sourceUrl: `127.0.0.1:${sim.port}`, username: 'admin' };
      expect((await api('/api/cameras', { token: admin, body: { ...onvif, password: `${ONVIF_PASSWORD}-wrong` } })).status).toBeGreaterThanOrEqual(400);
      expect((await api('/api/cameras', { token: admin, body: { ...onvif, password: ONVIF_PASSWORD } })).status).toBe(201);
    } finally {
      await sim.stop();
    }

    // A face enrolled on a watchlist, and a face search by photo (both compute an embedding).
    const list = await api('/api/watchlists', { token: admin, body: { name: 'persons', kind: 'face', level: 'orange' } });
    const entry = await api(`/api/watchlists/${list.body.id}/entries`, { token: admin, body: { personName: '张三', reason: 'test' } });
    const photo = await readFile(FACE);
    const enrolled = await api(`/api/watchlists/${list.body.id}/entries/${entry.body.id}/photos`, { token: admin, raw: photo, type: 'image/jpeg' });
    expect(enrolled.status).toBe(201);
    expect((await api('/api/sightings/face-search?k=5', { token: admin, raw: photo, type: 'image/jpeg' })).status).toBe(200);

    // Wait until ingest has tried both cameras and logged their failure (with the URL).
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && lines.filter((l) => l.includes('"stream lost"')).length < 3) await new Promise((r) => setTimeout(r, 200));
    expect(lines.filter((l) => l.includes('"stream lost"')).length).toBeGreaterThanOrEqual(3);

    expect((await api('/api/auth/logout', { token: token2, method: 'POST' })).status).toBeLessThan(300);

    const embedding = (
      await sql<{ embedding: number[] }>`select embedding from face_embeddings where owner_kind = 'watchlist_entry' and owner_id = ${entry.body.id}`.execute(argus.database.db)
    ).rows[0]!.embedding;
    expect(embedding.length).toBeGreaterThanOrEqual(128);

    // The test sees what it checks: the log holds the requests, logins and camera events at all.
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.some((l) => l.includes('camera created'))).toBe(true);
    expect(lines.some((l) => l.includes('rtsp://admin:***@127.0.0.1:9/gate2'))).toBe(true);

    const secrets = { CAMERA_PASSWORD, URL_PASSWORD, ONVIF_PASSWORD, USER_PASSWORD, NEW_PASSWORD, ADMIN_PASSWORD, token, token2 };
    for (const [name, secret] of Object.entries(secrets)) {
      const leaks = lines.filter((l) => l.includes(secret));
      expect(leaks, `${name} in the log`).toEqual([]);
    }
    // A face embedding: neither its numbers (at any precision pino would print) nor any long run of floats.
    const head = embedding.slice(0, 3).map((v) => String(v));
    expect(lines.filter((l) => head.every((v) => l.includes(v))), 'the embedding in the log').toEqual([]);
    expect(lines.filter((l) => FLOAT_RUN.test(l)), 'a float array in the log').toEqual([]);
  }, 90_000);
});
