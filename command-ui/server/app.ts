import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../config/logger.ts';
import { ERROR_CODES } from '../../contracts/errors.ts';
import { registerAuth } from './auth.plugin.ts';
import { createErrorHandler, errorBody } from './errors.ts';
import { registerAlertRoutes } from './routes/alerts.routes.ts';
import { registerAuthRoutes } from './routes/auth.routes.ts';
import { registerCameraRoutes } from './routes/cameras.routes.ts';
import { registerLiveRoutes } from './routes/live.routes.ts';
import { registerMediaRoutes } from './routes/media.routes.ts';
import { registerSightingRoutes } from './routes/sightings.routes.ts';
import { registerSystemRoutes } from './routes/system.routes.ts';
import type { ApiServices, ZodApp } from './routes/types.ts';
import { registerUserRoutes } from './routes/users.routes.ts';
import { registerWatchlistRoutes } from './routes/watchlists.routes.ts';

export interface BuildApiOptions {
  config: Config;
  log: Logger;
  services: ApiServices;
  version: string;
}

/** The HTTP API and the built web application. Listening is the caller's business. */
export async function buildApi({ config, log, services, version }: BuildApiOptions): Promise<ZodApp> {
  const app = Fastify({
    loggerInstance: log.child({ module: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimitBytes,
    trustProxy: config.server.trustProxy,
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(log));
  registerAuth(app as unknown as FastifyInstance);

  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Argus API', description: 'Argus video surveillance and command system', version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  registerSystemRoutes(app, services);
  registerAuthRoutes(app, services, { loginRateLimitPerMinute: config.auth.loginRateLimitPerMinute });
  registerUserRoutes(app, services);
  registerCameraRoutes(app, services);
  registerMediaRoutes(app, services);
  registerLiveRoutes(app, { auth: services.auth, live: services.live });
  registerSightingRoutes(app, { auth: services.auth, sightings: services.sightings });
  registerWatchlistRoutes(app, { auth: services.auth, watchlists: services.watchlists });
  registerAlertRoutes(app, { auth: services.auth, alerts: services.alerts });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const webDir = config.server.webDir;
  const webBuilt = existsSync(join(webDir, 'index.html'));
  if (webBuilt) {
    await app.register(fastifyStatic, { root: webDir, wildcard: false, index: 'index.html' });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.url.startsWith('/socket.io')) {
      return reply.code(404).send(errorBody(ERROR_CODES.NOT_FOUND, `No route ${request.method} ${request.url.split('?')[0]}.`));
    }
    if (!webBuilt) {
      return reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><meta charset="utf-8"><title>Argus</title><p>The web application is not built (no ${webDir}/index.html). Run <code>npm start</code>, which builds it, or <code>npm run build:web</code>.</p><p>网页应用尚未构建，请运行 <code>npm start</code>。</p>`);
    }
    // Client-side routes fall back to the application.
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });

  return app;
}
