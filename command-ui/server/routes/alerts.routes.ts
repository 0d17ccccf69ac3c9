import { idParamsSchema } from '../../../contracts/api.ts';
import { alertPageSchema, alertQuerySchema, alertSchema, alertSinceQuerySchema, alertSinceSchema, noteAlertSchema, optionalNoteSchema, resolveAlertSchema } from '../../../contracts/alerts.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { sendJpeg } from './raw-bodies.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';


export function registerAlertRoutes(app: ZodApp, services: Pick<ApiServices, 'auth' | 'alerts'>): void {
  const view = authorize(services.auth, 'alerts.view');
  const act = authorize(services.auth, 'alerts.act');
  const notFound = { 404: errorResponseSchema };
  const conflict = { 409: errorResponseSchema };

  app.get(
    '/api/alerts',
    { preHandler: view, schema: { tags: ['alerts'], summary: 'Alerts, newest first', querystring: alertQuerySchema, response: { 200: alertPageSchema, ...authErrors } } },
    async (request) => services.alerts.list(request.query, principalOf(request)),
  );
  app.get(
    '/api/alerts/since',
    {
      preHandler: view,
      schema: {
        tags: ['alerts'],
        summary: 'Alerts created after seq, oldest first: what a reconnecting terminal missed',
        querystring: alertSinceQuerySchema,
        response: { 200: alertSinceSchema, ...authErrors },
      },
    },
    async (request) => services.alerts.since(request.query, principalOf(request)),
  );
  app.get(
    '/api/alerts/:id',
    { preHandler: view, schema: { tags: ['alerts'], summary: 'One alert with its actions', params: idParamsSchema, response: { 200: alertSchema, ...notFound, ...authErrors } } },
    async (request) => services.alerts.get(request.params.id, principalOf(request)),
  );
  app.get(
    '/api/alerts/:id/crop.jpg',
    { preHandler: view, schema: { tags: ['alerts'], summary: "The alert's evidence crop (JPEG)", params: idParamsSchema } },
    async (request, reply) => sendJpeg(reply, await services.alerts.evidence(request.params.id, 'crop', principalOf(request))),
  );
  app.get(
    '/api/alerts/:id/frame.jpg',
    { preHandler: view, schema: { tags: ['alerts'], summary: "The alert's whole frame (JPEG)", params: idParamsSchema } },
    async (request, reply) => sendJpeg(reply, await services.alerts.evidence(request.params.id, 'frame', principalOf(request))),
  );

  const response = { 200: alertSchema, ...notFound, ...conflict, ...authErrors };
  app.post(
    '/api/alerts/:id/acknowledge',
    { preHandler: act, schema: { tags: ['alerts'], summary: 'Acknowledge a new alert', params: idParamsSchema, body: optionalNoteSchema, response } },
    async (request) => services.alerts.acknowledge(request.params.id, principalOf(request), requestMeta(request), request.body?.note),
  );
  app.post(
    '/api/alerts/:id/inspect',
    { preHandler: act, schema: { tags: ['alerts'], summary: 'Start the inspection (vehicle stopped)', params: idParamsSchema, body: optionalNoteSchema, response } },
    async (request) => services.alerts.inspect(request.params.id, principalOf(request), requestMeta(request), request.body?.note),
  );
  app.post(
    '/api/alerts/:id/resolve',
    { preHandler: act, schema: { tags: ['alerts'], summary: 'Record the outcome (disposition) and close the alert', params: idParamsSchema, body: resolveAlertSchema, response } },
    async (request) => services.alerts.resolve(request.params.id, principalOf(request), requestMeta(request), request.body.disposition, request.body.note),
  );
  app.post(
    '/api/alerts/:id/note',
    { preHandler: act, schema: { tags: ['alerts'], summary: 'Add a note', params: idParamsSchema, body: noteAlertSchema, response } },
    async (request) => services.alerts.note(request.params.id, principalOf(request), requestMeta(request), request.body.note),
  );
}
