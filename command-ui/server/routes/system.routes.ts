import { Readable } from 'node:stream';
import { z } from 'zod';
import { auditEntrySchema, healthSchema, listResponseSchema } from '../../../contracts/api.ts';
import { auditCsvQuerySchema, auditQuerySchema } from '../../../contracts/audit.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { authErrors, type ApiServices, type ZodApp } from './types.ts';

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
  // Read-only by design: the audit log has no route that changes or removes an entry.
  app.get(
    '/api/audit.csv',
    {
      preHandler: authorize(services.auth, 'audit.view'),
      schema: { tags: ['system'], summary: 'The filtered audit log as CSV, newest first (the download is audited as audit.export)', querystring: auditCsvQuerySchema },
    },
    async (request, reply) => {
      const lines = await services.system.auditCsv(request.query, principalOf(request), requestMeta(request));
      const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="argus-audit-${stamp}.csv"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(lines));
    },
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
