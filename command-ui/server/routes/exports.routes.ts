import { z } from 'zod';
import { idParamsSchema } from '../../../contracts/api.ts';
import { exportCreateSchema, exportJobSchema, exportPublicKeySchema } from '../../../contracts/exports.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import type { AuthService } from '../services/auth.service.ts';
import type { ExportsService } from '../services/exports.service.ts';
import { authErrors, errorResponseSchema, type ZodApp } from './types.ts';

/** Evidence export: request a signed package, follow it, download it. */
export function registerExportRoutes(app: ZodApp, services: { auth: AuthService; exports: ExportsService }): void {
  const exporter = authorize(services.auth, 'exports.create');
  const tags = ['exports'];

  app.get(
    '/api/exports/public-key',
    {
      preHandler: authorize(services.auth, null),
      schema: { tags, summary: "The server's Ed25519 key that signs export manifests (compare its fingerprint with a package's)", response: { 200: exportPublicKeySchema, ...authErrors } },
    },
    async () => services.exports.publicKey(),
  );
  app.post(
    '/api/exports',
    {
      preHandler: exporter,
      schema: { tags, summary: 'Request an evidence export (built by a job; progress is pushed as export.updated)', body: exportCreateSchema, response: { 202: exportJobSchema, ...authErrors } },
    },
    async (request, reply) => reply.code(202).send(await services.exports.create(principalOf(request), request.body, requestMeta(request))),
  );
  app.get(
    '/api/exports',
    {
      preHandler: exporter,
      schema: { tags, summary: 'My exports, newest first (every export for administrators)', response: { 200: z.object({ items: z.array(exportJobSchema) }), ...authErrors } },
    },
    async (request) => ({ items: await services.exports.list(principalOf(request)) }),
  );
  app.get(
    '/api/exports/:id',
    { preHandler: exporter, schema: { tags, summary: 'One export', params: idParamsSchema, response: { 200: exportJobSchema, 404: errorResponseSchema, ...authErrors } } },
    async (request) => services.exports.get(principalOf(request), request.params.id),
  );
  app.get(
    '/api/exports/:id/download',
    { preHandler: exporter, schema: { tags, summary: 'Download the package (a tar; audited)', params: idParamsSchema } },
    async (request, reply) => {
      const file = await services.exports.openDownload(principalOf(request), request.params.id, requestMeta(request));
      return reply
        .header('content-type', 'application/x-tar')
        .header('content-length', String(file.size))
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .header('x-content-sha256', file.sha256)
        .header('cache-control', 'private, no-store')
        .send(file.stream);
    },
  );
  app.delete(
    '/api/exports/:id',
    {
      preHandler: exporter,
      schema: { tags, summary: 'Delete the package file of a finished export (the record stays)', params: idParamsSchema, response: { 200: exportJobSchema, 404: errorResponseSchema, 409: errorResponseSchema, ...authErrors } },
    },
    async (request) => services.exports.deletePackage(principalOf(request), request.params.id, requestMeta(request)),
  );
}
