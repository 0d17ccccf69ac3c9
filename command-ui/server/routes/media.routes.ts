import { z } from 'zod';
import { idParamsSchema } from '../../../contracts/api.ts';
import { layoutNameSchema, ptzCommandSchema, ptzPresetSchema, recordingSchema, wallLayoutInputSchema, wallLayoutSchema } from '../../../contracts/media.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import { errorBody } from '../errors.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

const recordingsQuerySchema = z
  .object({
    from: z.coerce.date().describe('start of the range (ISO 8601)'),
    to: z.coerce.date().describe('end of the range (ISO 8601)'),
  })
  .strict();

export function registerMediaRoutes(app: ZodApp, services: ApiServices): void {
  const view = authorize(services.auth, 'cameras.view');
  const control = authorize(services.auth, 'cameras.control');
  const layoutParams = z.object({ name: layoutNameSchema }).strict();

  app.get(
    '/api/me/layouts',
    { preHandler: view, schema: { tags: ['wall'], summary: 'My saved video wall layouts', response: { 200: z.object({ items: z.array(wallLayoutSchema) }), ...authErrors } } },
    async (request) => ({ items: await services.media.listLayouts(principalOf(request)) }),
  );
  app.put(
    '/api/me/layouts/:name',
    {
      preHandler: view,
      schema: { tags: ['wall'], summary: 'Save (create or replace) a layout', params: layoutParams, body: wallLayoutInputSchema, response: { 200: wallLayoutSchema, ...authErrors } },
    },
    async (request) => services.media.saveLayout(principalOf(request), request.params.name, request.body),
  );
  app.delete(
    '/api/me/layouts/:name',
    { preHandler: view, schema: { tags: ['wall'], summary: 'Delete a layout', params: layoutParams, response: { 204: z.null(), 404: errorResponseSchema, ...authErrors } } },
    async (request, reply) => {
      await services.media.deleteLayout(principalOf(request), request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/cameras/:id/recordings',
    {
      preHandler: view,
      schema: {
        tags: ['playback'],
        summary: 'Recorded segments of a camera in a time range',
        params: idParamsSchema,
        querystring: recordingsQuerySchema,
        response: { 200: z.object({ items: z.array(recordingSchema) }), 404: errorResponseSchema, ...authErrors },
      },
    },
    async (request) => ({ items: await services.media.listRecordings(request.params.id, request.query.from, request.query.to, principalOf(request)) }),
  );
  app.get(
    '/api/recordings/:id/media',
    { preHandler: view, schema: { tags: ['playback'], summary: 'The video of one recorded segment (byte ranges supported)', params: idParamsSchema } },
    async (request, reply) => {
      const range = typeof request.headers.range === 'string' ? request.headers.range : undefined;
      const file = await services.media.openRecording(request.params.id, range, principalOf(request), requestMeta(request));
      if ('unsatisfiable' in file) {
        return reply
          .code(416)
          .header('content-range', `bytes */${file.size}`)
          .send(errorBody(ERROR_CODES.VALIDATION, `The requested range is not in the file (${file.size} bytes).`));
      }
      void reply.header('accept-ranges', 'bytes').header('content-type', file.contentType).header('cache-control', 'private, max-age=3600');
      if (file.range) {
        void reply
          .code(206)
          .header('content-range', `bytes ${file.range.start}-${file.range.end}/${file.size}`)
          .header('content-length', String(file.range.end - file.range.start + 1));
      } else {
        void reply.header('content-length', String(file.size));
      }
      return reply.send(file.stream);
    },
  );

  app.get(
    '/api/cameras/:id/snapshot',
    {
      preHandler: view,
      schema: {
        tags: ['cameras'],
        summary: 'One current picture of a camera (JPEG, privacy masks laid over): from its newest recording, else from the camera',
        params: idParamsSchema,
      },
    },
    async (request, reply) => {
      const shot = await services.media.snapshot(request.params.id, principalOf(request), requestMeta(request));
      return reply.header('content-type', 'image/jpeg').header('cache-control', 'no-store').header('content-length', String(shot.jpeg.length)).send(shot.jpeg);
    },
  );

  app.post(
    '/api/cameras/:id/ptz',
    {
      preHandler: control,
      schema: {
        tags: ['cameras'],
        summary: 'Move a PTZ camera, stop it, go to or save a preset (ONVIF cameras)',
        params: idParamsSchema,
        body: ptzCommandSchema,
        response: { 200: z.object({ token: z.string().optional() }), 404: errorResponseSchema, 503: errorResponseSchema, ...authErrors },
      },
    },
    async (request) => services.cameras.ptz(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
  app.get(
    '/api/cameras/:id/ptz/presets',
    {
      preHandler: view,
      schema: { tags: ['cameras'], summary: 'The presets of a PTZ camera', params: idParamsSchema, response: { 200: z.array(ptzPresetSchema), 404: errorResponseSchema, ...authErrors } },
    },
    async (request) => services.cameras.ptzPresets(request.params.id),
  );
}
