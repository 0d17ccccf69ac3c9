import { z } from 'zod';
import { idParamsSchema } from '../../../contracts/api.ts';
import {
  analyticsSettingsInputSchema,
  cameraAnalyticsSchema,
  sightingPageSchema,
  sightingSchema,
  sightingSearchQuerySchema,
  sightingStatsQuerySchema,
  sightingStatsSchema,
  faceSearchQuerySchema,
  faceSearchResultSchema,
  trajectoryQuerySchema,
  trajectorySchema,
} from '../../../contracts/sightings.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { acceptRawBodies, sendJpeg } from './raw-bodies.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

/** `?v=<version>` only makes the address change when a refined image replaces the old one. */
const imageQuerySchema = z.object({ v: z.string().max(32).optional() }).strict();


export function registerSightingRoutes(app: ZodApp, services: Pick<ApiServices, 'auth' | 'sightings'>): void {
  const search = authorize(services.auth, 'sightings.search');
  const manage = authorize(services.auth, 'cameras.manage');
  const notFound = { 404: errorResponseSchema };

  app.get(
    '/api/sightings',
    {
      preHandler: search,
      schema: {
        tags: ['sightings'],
        summary: 'Search plate reads, faces and objects, newest first',
        querystring: sightingSearchQuerySchema,
        response: { 200: sightingPageSchema, ...authErrors },
      },
    },
    async (request) => services.sightings.search(request.query, principalOf(request), requestMeta(request)),
  );
  app.get(
    '/api/sightings/trajectory',
    {
      preHandler: search,
      schema: {
        tags: ['sightings'],
        summary: "A vehicle's trajectory: its plate reads across cameras and checkpoints, oldest first",
        querystring: trajectoryQuerySchema,
        response: { 200: trajectorySchema, ...authErrors },
      },
    },
    async (request) => services.sightings.trajectory(request.query, principalOf(request), requestMeta(request)),
  );
  acceptRawBodies(app, ['image/jpeg', 'image/png']);
  app.post(
    '/api/sightings/face-search',
    {
      preHandler: search,
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        tags: ['sightings'],
        summary: 'Face search by photo (JPEG or PNG body): the stored face sightings most like its one face',
        querystring: faceSearchQuerySchema,
        response: { 200: faceSearchResultSchema, ...authErrors },
      },
    },
    async (request) => {
      const body = request.body;
      return services.sightings.faceSearch(Buffer.isBuffer(body) ? body : Buffer.alloc(0), request.query, principalOf(request), requestMeta(request));
    },
  );
  app.get(
    '/api/sightings/stats',
    {
      preHandler: search,
      schema: {
        tags: ['sightings'],
        summary: 'Sightings per hour and kind, and per camera, in a time range (at most 31 days)',
        querystring: sightingStatsQuerySchema,
        response: { 200: sightingStatsSchema, ...authErrors },
      },
    },
    async (request) => services.sightings.stats(request.query, principalOf(request)),
  );
  app.get(
    '/api/sightings/:id',
    { preHandler: search, schema: { tags: ['sightings'], summary: 'One sighting', params: idParamsSchema, response: { 200: sightingSchema, ...notFound, ...authErrors } } },
    async (request) => services.sightings.get(request.params.id, principalOf(request)),
  );
  app.get(
    '/api/sightings/:id/crop.jpg',
    { preHandler: search, schema: { tags: ['sightings'], summary: 'The cropped evidence image (JPEG)', params: idParamsSchema, querystring: imageQuerySchema } },
    async (request, reply) => sendJpeg(reply, await services.sightings.evidence(request.params.id, 'crop', principalOf(request), requestMeta(request))),
  );
  app.get(
    '/api/sightings/:id/frame.jpg',
    { preHandler: search, schema: { tags: ['sightings'], summary: 'The whole frame of a sighting (JPEG); each view is audited', params: idParamsSchema, querystring: imageQuerySchema } },
    async (request, reply) => sendJpeg(reply, await services.sightings.evidence(request.params.id, 'frame', principalOf(request), requestMeta(request))),
  );

  app.get(
    '/api/cameras/:id/analytics',
    {
      preHandler: manage,
      schema: { tags: ['cameras'], summary: "A camera's analytics settings (the defaults until set)", params: idParamsSchema, response: { 200: cameraAnalyticsSchema, ...notFound, ...authErrors } },
    },
    async (request) => services.sightings.getAnalytics(request.params.id),
  );
  app.put(
    '/api/cameras/:id/analytics',
    {
      preHandler: manage,
      schema: {
        tags: ['cameras'],
        summary: "Replace a camera's analytics settings (fields left out take their defaults)",
        params: idParamsSchema,
        body: analyticsSettingsInputSchema,
        response: { 200: cameraAnalyticsSchema, ...notFound, ...authErrors },
      },
    },
    async (request) => services.sightings.setAnalytics(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
}
