import { z } from 'zod';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import {
  createEntrySchema,
  createWatchlistSchema,
  entriesQuerySchema,
  entryPageSchema,
  entryParamsSchema,
  importQuerySchema,
  importReportSchema,
  updateEntrySchema,
  updateWatchlistSchema,
  watchlistEntrySchema,
  watchlistParamsSchema,
  watchlistSchema,
} from '../../../contracts/watchlists.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { acceptRawBodies } from './raw-bodies.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

/** Bodies that are files: CSV imports and enrolment photos. */
const UPLOAD_LIMIT_BYTES = 16 * 1024 * 1024;
const RAW_TYPES = ['text/csv', 'image/jpeg', 'image/png'];

export function registerWatchlistRoutes(app: ZodApp, services: Pick<ApiServices, 'auth' | 'watchlists'>): void {
  const manage = authorize(services.auth, 'watchlists.manage');
  const notFound = { 404: errorResponseSchema };
  acceptRawBodies(app, RAW_TYPES);

  app.get(
    '/api/watchlists',
    { preHandler: manage, schema: { tags: ['watchlists'], summary: 'Every watchlist', response: { 200: z.array(watchlistSchema), ...authErrors } } },
    async () => services.watchlists.list(),
  );
  app.post(
    '/api/watchlists',
    { preHandler: manage, schema: { tags: ['watchlists'], summary: 'Create a plate or face watchlist', body: createWatchlistSchema, response: { 201: watchlistSchema, ...authErrors } } },
    async (request, reply) => reply.code(201).send(await services.watchlists.create(request.body, principalOf(request), requestMeta(request))),
  );
  app.get(
    '/api/watchlists/:id',
    { preHandler: manage, schema: { tags: ['watchlists'], summary: 'One watchlist', params: watchlistParamsSchema, response: { 200: watchlistSchema, ...notFound, ...authErrors } } },
    async (request) => services.watchlists.get(request.params.id),
  );
  app.patch(
    '/api/watchlists/:id',
    {
      preHandler: manage,
      schema: { tags: ['watchlists'], summary: 'Change a watchlist', params: watchlistParamsSchema, body: updateWatchlistSchema, response: { 200: watchlistSchema, ...notFound, ...authErrors } },
    },
    async (request) => services.watchlists.update(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
  app.delete(
    '/api/watchlists/:id',
    {
      preHandler: manage,
      schema: {
        tags: ['watchlists'],
        summary: 'Delete a watchlist (only deactivated when alerts refer to it)',
        params: watchlistParamsSchema,
        response: { 200: z.object({ id: z.string(), result: z.enum(['deleted', 'deactivated']) }), ...notFound, ...authErrors },
      },
    },
    async (request) => services.watchlists.remove(request.params.id, principalOf(request), requestMeta(request)),
  );

  app.get(
    '/api/watchlists/:id/entries',
    {
      preHandler: manage,
      schema: { tags: ['watchlists'], summary: 'Entries of a watchlist', params: watchlistParamsSchema, querystring: entriesQuerySchema, response: { 200: entryPageSchema, ...notFound, ...authErrors } },
    },
    async (request) => services.watchlists.listEntries(request.params.id, request.query),
  );
  app.post(
    '/api/watchlists/:id/entries',
    {
      preHandler: manage,
      schema: {
        tags: ['watchlists'],
        summary: 'Add a plate pattern (plate lists) or a person (face lists)',
        params: watchlistParamsSchema,
        body: createEntrySchema,
        response: { 201: watchlistEntrySchema, ...notFound, ...authErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await services.watchlists.createEntry(request.params.id, request.body, principalOf(request), requestMeta(request))),
  );
  app.patch(
    '/api/watchlists/:id/entries/:entryId',
    {
      preHandler: manage,
      schema: { tags: ['watchlists'], summary: 'Change an entry', params: entryParamsSchema, body: updateEntrySchema, response: { 200: watchlistEntrySchema, ...notFound, ...authErrors } },
    },
    async (request) => services.watchlists.updateEntry(request.params.id, request.params.entryId, request.body, principalOf(request), requestMeta(request)),
  );
  app.delete(
    '/api/watchlists/:id/entries/:entryId',
    { preHandler: manage, schema: { tags: ['watchlists'], summary: 'Remove an entry', params: entryParamsSchema, response: { 204: z.null(), ...notFound, ...authErrors } } },
    async (request, reply) => {
      await services.watchlists.removeEntry(request.params.id, request.params.entryId, principalOf(request), requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/watchlists/:id/import',
    {
      preHandler: manage,
      bodyLimit: UPLOAD_LIMIT_BYTES,
      schema: {
        tags: ['watchlists'],
        summary: 'Import plate entries from CSV (plate,reason,case_number,valid_from,valid_to); all or nothing; ?dryRun=1 only reports',
        params: watchlistParamsSchema,
        querystring: importQuerySchema,
        response: { 200: importReportSchema, 400: errorResponseSchema.extend(importReportSchema.partial().shape), ...notFound, 401: errorResponseSchema, 403: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
      const { ok, report } = await services.watchlists.importCsv(request.params.id, text, request.query.dryRun, principalOf(request), requestMeta(request));
      if (ok) return report;
      const bad = report.rows.filter((r) => !r.ok);
      return reply.code(400).send({
        error: {
          code: ERROR_CODES.VALIDATION,
          message: `${bad.length} of ${report.rows.length} rows are wrong; nothing was imported.`,
          issues: bad.slice(0, 100).map((r) => ({ path: `line ${r.line}`, message: r.error ?? 'wrong' })),
        },
        ...report,
      });
    },
  );

  app.post(
    '/api/watchlists/:id/entries/:entryId/photos',
    {
      preHandler: manage,
      bodyLimit: UPLOAD_LIMIT_BYTES,
      schema: {
        tags: ['watchlists'],
        summary: 'Enrol a photo (JPEG or PNG body) of a person: exactly one face of enough quality, else 400 saying why',
        params: entryParamsSchema,
        response: { 201: watchlistEntrySchema, ...notFound, ...authErrors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const image = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      return reply.code(201).send(await services.watchlists.addPhoto(request.params.id, request.params.entryId, image, principalOf(request), requestMeta(request)));
    },
  );
}
