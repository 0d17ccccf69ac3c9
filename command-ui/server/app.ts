import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../config/logger.ts';
import { ERROR_CODES, ValidationError } from '../../contracts/errors.ts';
import { registerAuth } from './auth.plugin.ts';
import { createErrorHandler, errorBody } from './errors.ts';
import { registerAlertRoutes } from './routes/alerts.routes.ts';
import { registerAuthRoutes } from './routes/auth.routes.ts';
import { registerCameraRoutes } from './routes/cameras.routes.ts';
import { registerExportRoutes } from './routes/exports.routes.ts';
import { registerIncidentRoutes } from './routes/incidents.routes.ts';
import { registerLiveRoutes } from './routes/live.routes.ts';
import { registerMediaRoutes } from './routes/media.routes.ts';
import { registerOverviewRoutes } from './routes/overview.routes.ts';
import { registerSettingsRoutes } from './routes/settings.routes.ts';
import { registerSightingRoutes } from './routes/sightings.routes.ts';
import { registerSystemRoutes } from './routes/system.routes.ts';
import type { ApiServices, ZodApp } from './routes/types.ts';
import { registerUnitRoutes } from './routes/units.routes.ts';
import { registerUserRoutes } from './routes/users.routes.ts';
import { registerWatchlistRoutes } from './routes/watchlists.routes.ts';

export interface BuildApiOptions {
  config: Config;
  log: Logger;
  services: ApiServices;
  version: string;
}

/** The dotted path of the first string (or key) holding U+0000 in parsed input, else null. Iterative: bodies may nest deeply. */
export function pathOfNul(input: unknown): string | null {
  const stack: Array<[unknown, string]> = [[input, '']];
  while (stack.length) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path.replace(/^(body\.?)/, '');
    } else if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const [k, v] of Object.entries(value)) {
        const at = path ? `${path}.${k}` : k;
        if (k.includes('\u0000')) return at;
        stack.push([v, at]);
      }
    }
  }
  return null;
}

/** The HTTP API and the built web application. Listening is the caller's business. */
export async function buildApi({ config, log, services, version }: BuildApiOptions): Promise<ZodApp> {
  const app = Fastify({
    loggerInstance: log.child({ module: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimitBytes,
    trustProxy: config.server.trustProxy,
    forceCloseConnections: true,
    // Addresses the router refuses (bad percent-encoding, a path parameter over maxParamLength): the one error shape.
    frameworkErrors: (err, _request, reply) => {
      const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : typeof err.statusCode === 'number' && err.statusCode < 500 ? err.statusCode : 400;
      const message = status === 414 ? 'A part of the address is too long.' : 'The address is not valid.';
      void (reply as FastifyReply).code(status).send(errorBody(ERROR_CODES.VALIDATION, message));
    },
    // Requests that never reach a route (broken HTTP, headers too large, too slow) get the one error shape too.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
      const [status, label, message] =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'The request line or headers are too large.']
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', 'The request took too long to arrive.']
            : [400, 'Bad Request', 'The request is not valid HTTP.'];
      const body = JSON.stringify(errorBody(ERROR_CODES.VALIDATION, message));
      socket.end(`HTTP/1.1 ${status} ${label}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(log));
  registerAuth(app as unknown as FastifyInstance);
  // PostgreSQL cannot store U+0000 in text or jsonb: refuse it in any field before a handler runs (else a 500).
  app.addHook('preValidation', async (request) => {
    const path = pathOfNul({ body: request.body, query: request.query, params: request.params });
    if (path !== null) throw new ValidationError('Text may not contain the NUL character (U+0000).', [{ path, message: 'contains U+0000' }]);
  });

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
  registerIncidentRoutes(app, { auth: services.auth, incidents: services.incidents, dispatch: services.dispatch });
  registerUnitRoutes(app, { auth: services.auth, units: services.units, incidents: services.incidents, dispatch: services.dispatch });
  registerOverviewRoutes(app, { auth: services.auth, overview: services.overview });
  registerExportRoutes(app, { auth: services.auth, exports: services.exports });
  registerSettingsRoutes(app, services, config);

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
