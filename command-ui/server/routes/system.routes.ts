import { z } from 'zod';
import { auditEntrySchema, healthSchema, listResponseSchema } from '../../../contracts/api.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { authErrors, type ApiServices, type ZodApp } from './types.ts';

export const auditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
    action: z.string().max(100).optional(),
    userId: z.string().uuid().optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
  })
  .strict();

export const noticeRequestSchema = z
  .object({ level: z.enum(['info', 'warning', 'critical']), text: z.string().trim().min(1).max(2000) })
  .strict();

export function registerSystemRoutes(app: ZodApp, services: ApiServices): void {
  app.get(
    '/api/health',
    { schema: { tags: ['system'], summary: 'Whether the database and Redis answer (no login needed)', response: { 200: healthSchema, 503: healthSchema } } },
    async (_request, reply) => {
      const health = await services.system.health();
      return reply.code(health.status === 'ok' ? 200 : 503).send(health);
    },
  );
  app.get(
    '/api/audit',
    {
      preHandler: authorize(services.auth, 'audit.view'),
      schema: { tags: ['system'], summary: 'The audit log, newest first', querystring: auditQuerySchema, response: { 200: listResponseSchema(auditEntrySchema), ...authErrors } },
    },
    async (request) => services.system.audit(request.query),
  );
  app.post(
    '/api/system/notices',
    {
      preHandler: authorize(services.auth, 'users.manage'),
      schema: {
        tags: ['system'],
        summary: 'Send a notice to every connected screen (through the job queue)',
        body: noticeRequestSchema,
        response: { 202: z.object({ jobId: z.string() }), ...authErrors },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await services.system.broadcastNotice(request.body.level, request.body.text, principalOf(request), requestMeta(request))),
  );
  app.get(
    '/api/system/dead-letters',
    {
      preHandler: authorize(services.auth, 'users.manage'),
      schema: {
        tags: ['system'],
        summary: 'Jobs that failed every attempt',
        response: { 200: z.array(z.object({ id: z.string(), name: z.string(), failedReason: z.string(), attemptsMade: z.number() })), ...authErrors },
      },
    },
    async () => services.system.deadLetters(),
  );
}
