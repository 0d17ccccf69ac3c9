/**
 * The live signalling routes in a Fastify app of their own (as buildApi registers them), with real
 * authentication and audit on PGlite and the real Janus relay behind LiveService.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuth } from '../../../command-ui/server/auth.plugin.ts';
import { createErrorHandler } from '../../../command-ui/server/errors.ts';
import { registerLiveRoutes } from '../../../command-ui/server/routes/live.routes.ts';
import type { ZodApp } from '../../../command-ui/server/routes/types.ts';
import { AuthService } from '../../../command-ui/server/services/auth.service.ts';
import { LiveService } from '../../../command-ui/server/services/live.service.ts';
import { hashPassword } from '../../../command-ui/server/services/passwords.ts';
import type { Role } from '../../../contracts/roles.ts';
import type { ArgusDatabase } from '../../../storage/database.ts';
import { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import { SessionsRepository } from '../../../storage/repositories/sessions.repository.ts';
import { UsersRepository } from '../../../storage/repositories/users.repository.ts';
import { openTestPglite } from '../storage/db-helpers.ts';
import { answerSdp, eventually, sdpAddresses, startTestRelay, testLog, type TestRelay } from './relay-helpers.ts';

interface ReplyBody {
  viewerId?: string;
  cameraId?: string;
  type?: string;
  sdp?: string;
  error?: { code: string; message: string };
}

describe('live signalling routes', () => {
  let adb: ArgusDatabase;
  let t: TestRelay;
  let app: ZodApp;
  let auth: AuthService;
  let live: LiveService;
  let audit: AuditRepository;
  const tokens: Record<string, string> = {};
  let cameraId: string;
  let disabledCameraId: string;
  let offlineCameraId: string;

  beforeAll(async () => {
    adb = await openTestPglite();
    t = await startTestRelay({ viewerAnswerSeconds: 2 });
    const users = new UsersRepository(adb.db);
    const sessions = new SessionsRepository(adb.db);
    audit = new AuditRepository(adb.db);
    const cameras = new CamerasRepository(adb.db);
    auth = new AuthService({
      users,
      sessions,
      audit,
      config: { sessionTtlMinutes: 60, maxFailedLogins: 10, lockMinutes: 15, loginRateLimitPerMinute: 60 },
      log: testLog,
    });
    live = new LiveService({ relay: t.relay, cameras, audit, log: testLog });
    auth.onSessionEnd((sessionId) => void live.closeSessionViewers(sessionId));
    for (const [username, roles] of [
      ['patrol1', ['patrol']],
      ['analyst1', ['analyst']],
    ] as Array<[string, Role[]]>) {
      await users.create({ username, displayName: username, passwordHash: await hashPassword(`${username}-password`), roles });
      tokens[username] = (await auth.login(username, `${username}-password`, { ip: '127.0.0.1', userAgent: 'test' })).token;
    }
    cameraId = (await cameras.create({ name: 'Gate 7', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/gate7' })).id;
    disabledCameraId = (await cameras.create({ name: 'Old gate', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/old', enabled: false })).id;
    offlineCameraId = (await cameras.create({ name: 'Offline', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/off' })).id;
    await t.relay.ensureCamera(cameraId);

    app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler(createErrorHandler(testLog));
    registerAuth(app as unknown as FastifyInstance);
    registerLiveRoutes(app, { auth, live });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await t?.stop();
    await adb?.close();
  });

  async function call(method: 'POST' | 'DELETE', url: string, user: string | null, body?: unknown) {
    const res = await app.inject({
      method,
      url,
      headers: user ? { authorization: `Bearer ${tokens[user]}` } : {},
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as ReplyBody) : null };
  }
  const open = (user: string | null, id = cameraId) => call('POST', `/api/live/${id}/viewers`, user);
  const answer = (user: string | null, viewerId: string, body: unknown = { type: 'answer', sdp: answerSdp() }) =>
    call('POST', `/api/live/viewers/${viewerId}/answer`, user, body);
  const close = (user: string | null, viewerId: string) => call('DELETE', `/api/live/viewers/${viewerId}`, user);

  it('needs a login for every live route', async () => {
    const someViewer = '00000000-0000-4000-8000-000000000000';
    expect((await open(null)).status).toBe(401);
    expect((await answer(null, someViewer)).status).toBe(401);
    expect((await close(null, someViewer)).status).toBe(401);
  });

  it('opens a viewer: 201 with the relay offer, candidates on 127.0.0.1, audited as live.open', async () => {
    const res = await open('patrol1');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ viewerId: expect.stringMatching(/^[0-9a-f-]{36}$/), cameraId, type: 'offer', sdp: expect.stringContaining('m=video') });
    const { candidates } = sdpAddresses(res.body!.sdp as string);
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.every((a) => a === '127.0.0.1')).toBe(true);
    const entries = (await audit.list({ action: 'live.open' })).items;
    expect(entries[0]).toMatchObject({ username: 'patrol1', targetType: 'camera', targetId: cameraId, detail: { viewerId: res.body!.viewerId, cameraName: 'Gate 7' } });
    expect((await close('patrol1', res.body!.viewerId as string)).status).toBe(204);
  });

  it('refuses unknown, malformed, disabled and offline cameras', async () => {
    expect((await open('patrol1', '5f0e2a8e-0000-4000-8000-000000000001')).status).toBe(404);
    expect((await open('patrol1', 'not-a-uuid')).status).toBe(400);
    const disabled = await open('patrol1', disabledCameraId);
    expect(disabled.status).toBe(409);
    expect(disabled.body?.error?.message).toMatch(/disabled/);
    const offline = await open('patrol1', offlineCameraId);
    expect(offline.status).toBe(503);
    expect(offline.body!.error).toMatchObject({ code: 'E_UNAVAILABLE', message: expect.stringMatching(/ingest session is not running/) });
  });

  it('takes the answer only from the user who opened the viewer, and only a valid one', async () => {
    const { body } = await open('patrol1');
    const viewerId = body!.viewerId as string;
    expect((await answer('analyst1', viewerId)).status).toBe(403);
    expect((await answer('patrol1', viewerId, { type: 'answer' })).status).toBe(400);
    expect((await answer('patrol1', viewerId, { type: 'offer', sdp: answerSdp() })).status).toBe(400);
    expect((await answer('patrol1', viewerId, { type: 'answer', sdp: answerSdp(), extra: 1 })).status).toBe(400);
    expect((await answer('patrol1', viewerId)).status).toBe(204);
    expect((await answer('patrol1', viewerId)).status).toBe(409);
    expect((await close('analyst1', viewerId)).status).toBe(403);
    expect((await close('patrol1', viewerId)).status).toBe(204);
    expect((await close('patrol1', viewerId)).status).toBe(404);
    const closes = (await audit.list({ action: 'live.close' })).items.filter((e) => (e.detail as { viewerId?: string }).viewerId === viewerId);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ username: 'patrol1', targetId: cameraId, detail: { viewerId, reason: 'closed', durationMs: expect.any(Number) } });
  });

  it('closes a viewer whose answer the relay refuses', async () => {
    const { body } = await open('patrol1');
    const refused = await answer('patrol1', body!.viewerId as string, { type: 'answer', sdp: 'v=0 this is not an SDP' });
    expect(refused.status).toBe(400);
    expect((await answer('patrol1', body!.viewerId as string)).status).toBe(404);
  });

  it('closes and audits a viewer that is not answered in time', async () => {
    const { body } = await open('analyst1');
    const viewerId = body!.viewerId as string;
    const entry = await eventually(
      async () => (await audit.list({ action: 'live.close' })).items.find((e) => (e.detail as { viewerId?: string }).viewerId === viewerId),
      5000,
      'the answer timeout',
    );
    expect(entry.detail).toMatchObject({ reason: 'answer-timeout' });
    expect((entry.detail as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(1900);
    expect((await answer('analyst1', viewerId)).status).toBe(404);
  });

  it("closes a user's viewers when they log out", async () => {
    const { body } = await open('analyst1');
    const viewerId = body!.viewerId as string;
    expect((await answer('analyst1', viewerId)).status).toBe(204);
    const before = t.relay.viewerCount();
    await auth.logout(await auth.authenticate(tokens.analyst1), { ip: '127.0.0.1', userAgent: 'test' });
    await eventually(() => t.relay.viewerCount() === before - 1, 5000, 'the viewer to close');
    const entry = await eventually(
      async () => (await audit.list({ action: 'live.close' })).items.find((e) => (e.detail as { viewerId?: string }).viewerId === viewerId),
      5000,
      'the live.close entry',
    );
    expect(entry.detail).toMatchObject({ reason: 'logout' });
  });
});
