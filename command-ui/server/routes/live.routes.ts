import { z } from 'zod';
import { idSchema } from '../../../contracts/api.ts';
import { liveViewerAnswerSchema, liveViewerOfferSchema } from '../../../contracts/media.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import type { AuthService } from '../services/auth.service.ts';
import type { LiveService } from '../services/live.service.ts';
import { authErrors, errorResponseSchema, type ZodApp } from './types.ts';

const cameraParamsSchema = z.object({ cameraId: idSchema }).strict();
const viewerParamsSchema = z.object({ viewerId: z.string().uuid().describe('Live viewer id') }).strict();

/**
 * Live video signalling (the browser never talks to the relay): open a viewer of a camera and get
 * the relay's SDP offer, post the complete SDP answer, close the viewer. Only the user who opened a
 * viewer may answer or close it.
 */
export function registerLiveRoutes(app: ZodApp, { auth, live }: { auth: AuthService; live: LiveService }): void {
  const view = authorize(auth, 'cameras.view');
  const errors = { ...authErrors, 404: errorResponseSchema, 409: errorResponseSchema, 503: errorResponseSchema };

  app.post(
    '/api/live/:cameraId/viewers',
    {
      preHandler: view,
      schema: {
        tags: ['live'],
        summary: "Open a live viewer of a camera; returns the relay's SDP offer",
        params: cameraParamsSchema,
        response: { 201: liveViewerOfferSchema, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await live.open(request.params.cameraId, principalOf(request), requestMeta(request))),
  );

  app.post(
    '/api/live/viewers/:viewerId/answer',
    {
      preHandler: view,
      schema: {
        tags: ['live'],
        summary: "The browser's complete SDP answer (ICE gathering done); video starts",
        params: viewerParamsSchema,
        body: liveViewerAnswerSchema,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await live.answer(request.params.viewerId, request.body, principalOf(request));
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/live/viewers/:viewerId',
    {
      preHandler: view,
      schema: { tags: ['live'], summary: 'Close a live viewer', params: viewerParamsSchema, response: { 204: z.null(), ...errors } },
    },
    async (request, reply) => {
      await live.close(request.params.viewerId, principalOf(request), requestMeta(request));
      return reply.code(204).send(null);
    },
  );
}
