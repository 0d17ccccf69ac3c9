import { z } from 'zod';
import {
  cameraSchema,
  createCameraRequestSchema,
  createSiteRequestSchema,
  idParamsSchema,
  listQuerySchema,
  listResponseSchema,
  siteSchema,
  updateCameraRequestSchema,
} from '../../../contracts/api.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

export function registerCameraRoutes(app: ZodApp, services: ApiServices): void {
  const view = authorize(services.auth, 'cameras.view');
  const manage = authorize(services.auth, 'cameras.manage');
  const notFound = { 404: errorResponseSchema };

  app.get(
    '/api/cameras',
    { preHandler: view, schema: { tags: ['cameras'], summary: 'List cameras', querystring: listQuerySchema, response: { 200: listResponseSchema(cameraSchema), ...authErrors } } },
    async (request) => services.cameras.list(request.query),
  );
  app.get(
    '/api/cameras/:id',
    { preHandler: view, schema: { tags: ['cameras'], summary: 'One camera', params: idParamsSchema, response: { 200: cameraSchema, ...notFound, ...authErrors } } },
    async (request) => services.cameras.get(request.params.id),
  );
  app.post(
    '/api/cameras',
    {
      preHandler: manage,
      schema: { tags: ['cameras'], summary: 'Add a camera by RTSP URL, ONVIF address or file', body: createCameraRequestSchema, response: { 201: cameraSchema, ...authErrors } },
    },
    async (request, reply) => reply.code(201).send(await services.cameras.create(request.body, principalOf(request), requestMeta(request))),
  );
  app.patch(
    '/api/cameras/:id',
    {
      preHandler: manage,
      schema: { tags: ['cameras'], summary: 'Change a camera', params: idParamsSchema, body: updateCameraRequestSchema, response: { 200: cameraSchema, ...notFound, ...authErrors } },
    },
    async (request) => services.cameras.update(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
  app.delete(
    '/api/cameras/:id',
    { preHandler: manage, schema: { tags: ['cameras'], summary: 'Remove a camera', params: idParamsSchema, response: { 204: z.null(), ...notFound, ...authErrors } } },
    async (request, reply) => {
      await services.cameras.remove(request.params.id, principalOf(request), requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/sites',
    { preHandler: view, schema: { tags: ['sites'], summary: 'Checkpoints and other sites', response: { 200: listResponseSchema(siteSchema), ...authErrors } } },
    async () => services.sites.list(),
  );
  app.post(
    '/api/sites',
    { preHandler: manage, schema: { tags: ['sites'], summary: 'Add a checkpoint or site', body: createSiteRequestSchema, response: { 201: siteSchema, ...authErrors } } },
    async (request, reply) => reply.code(201).send(await services.sites.create(request.body, principalOf(request), requestMeta(request))),
  );
  app.delete(
    '/api/sites/:id',
    { preHandler: manage, schema: { tags: ['sites'], summary: 'Remove a site', params: idParamsSchema, response: { 204: z.null(), ...notFound, ...authErrors } } },
    async (request, reply) => {
      await services.sites.remove(request.params.id, principalOf(request), requestMeta(request));
      return reply.code(204).send(null);
    },
  );
}
