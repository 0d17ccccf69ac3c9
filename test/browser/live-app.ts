/**
 * The API part of the live-video browser tests: the live routes of Argus on a real database and a
 * real relay (Janus), with a wall user signed in, and a bare page at /live-test that the test drives
 * (it opens a viewer through the API and plays it over WebRTC).
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerAuth } from '../../command-ui/server/auth.plugin.ts';
import { createErrorHandler } from '../../command-ui/server/errors.ts';
import { registerLiveRoutes } from '../../command-ui/server/routes/live.routes.ts';
import type { ZodApp } from '../../command-ui/server/routes/types.ts';
import { AuthService } from '../../command-ui/server/services/auth.service.ts';
import { LiveService } from '../../command-ui/server/services/live.service.ts';
import { hashPassword } from '../../command-ui/server/services/passwords.ts';
import type { ArgusDatabase } from '../../storage/database.ts';
import { AuditRepository } from '../../storage/repositories/audit.repository.ts';
import { CamerasRepository } from '../../storage/repositories/cameras.repository.ts';
import { SessionsRepository } from '../../storage/repositories/sessions.repository.ts';
import { UsersRepository } from '../../storage/repositories/users.repository.ts';
import { testLog, type TestRelay } from '../integration/relay/relay-helpers.ts';

export interface LiveApp {
  app: ZodApp;
  baseUrl: string;
  /** Bearer token of the signed-in wall user (a commander). */
  token: string;
  cameras: CamerasRepository;
  audit: AuditRepository;
}

export async function startLiveApp(adb: ArgusDatabase, relay: TestRelay, page: string): Promise<LiveApp> {
  const users = new UsersRepository(adb.db);
  const audit = new AuditRepository(adb.db);
  const cameras = new CamerasRepository(adb.db);
  const auth = new AuthService({
    users,
    sessions: new SessionsRepository(adb.db),
    audit,
    config: { sessionTtlMinutes: 60, maxFailedLogins: 10, lockMinutes: 15, loginRateLimitPerMinute: 60 },
    log: testLog,
  });
  const live = new LiveService({ relay: relay.relay, cameras, audit, log: testLog });
  await users.create({ username: 'wall1', displayName: 'Wall 1', passwordHash: await hashPassword('wall-password-1'), roles: ['commander'] });
  const token = (await auth.login('wall1', 'wall-password-1', { ip: '127.0.0.1', userAgent: 'test' })).token;

  const app: ZodApp = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(testLog));
  registerAuth(app as unknown as FastifyInstance);
  registerLiveRoutes(app, { auth, live });
  app.get('/live-test', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, token, cameras, audit };
}
